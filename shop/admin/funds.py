"""Admin: funds."""

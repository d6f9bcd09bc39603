"""Admin: stores."""

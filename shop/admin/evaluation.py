"""Admin: store evaluation."""

"""Deadline sweeps of the shop app (orders' time rules), registered with portal.sweeps."""

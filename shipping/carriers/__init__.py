"""Carrier adapters: one interface (base.py), a registry, and the sandbox courier service."""

"""Exits 0 without printing anything."""

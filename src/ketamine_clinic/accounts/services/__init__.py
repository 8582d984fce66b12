"""Writes to staff accounts, one module per concept."""

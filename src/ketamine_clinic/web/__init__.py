"""The staff web shell: base layout, home page per role, shared static files."""

"""Pages of the accounts app: signing in and out, one's own password, staff administration."""

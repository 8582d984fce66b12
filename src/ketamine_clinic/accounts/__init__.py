"""Staff accounts: users, roles, second factor, sign-in policy."""

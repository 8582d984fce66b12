"""The versioned JSON API (/api/v1/): token or staff-session auth, the same role policies."""

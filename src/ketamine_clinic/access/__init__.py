"""Who may use what: one declarative access policy for every view and API operation."""

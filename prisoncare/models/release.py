"""Release plans, community providers, consents and follow-up (issue 7)."""

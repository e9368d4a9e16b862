"""Medication orders, scheduled doses, administrations and reviews (issue 4)."""

"""Checklist instances, answers and community medication (issue 3)."""

"""Rows of the role x route matrix for the intake routes (see test_authz_matrix.py)."""
from .matrix_common import ROLES, only  # noqa: F401

ROWS = {}

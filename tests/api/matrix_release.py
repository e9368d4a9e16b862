"""Rows of the role x route matrix for the release routes (see test_authz_matrix.py,
which fills every id in: add your own id to real_ids() there if you need one)."""
from .matrix_common import ROLES, only  # noqa: F401

ROWS = {}

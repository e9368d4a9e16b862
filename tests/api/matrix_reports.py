"""Rows of the role x route matrix for the report and dashboard routes (see test_authz_matrix.py)."""
from .matrix_common import only  # noqa: F401

ROWS = {
}

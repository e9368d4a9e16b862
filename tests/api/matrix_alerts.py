"""Rows of the role x route matrix for the alert routes (see test_authz_matrix.py)."""
from .matrix_common import only

ROWS = {
    ("GET", "/api/v1/alerts"): (only("nurse", "clinician", "release_officer", "auditor", "custody"), 401),
    # acting on alert 999999 (none) is a 404 for those allowed to act
    ("POST", "/api/v1/alerts/<int:alert_id>/acknowledge"): (
        only("nurse", "clinician", "release_officer", "custody"), 401),
    ("POST", "/api/v1/alerts/<int:alert_id>/resolve"): (
        only("nurse", "clinician", "release_officer", "custody"), 401),
}

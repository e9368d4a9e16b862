"""Rows of the role x route matrix for the intake routes (see test_authz_matrix.py)."""
from .matrix_common import ROLES, only  # noqa: F401

STATUS_READERS = only("nurse", "clinician", "release_officer", "auditor", "custody")
CLINICAL = only("nurse", "clinician")

ANSWER_ROUTE = ("PATCH", "/api/v1/checklists/<int:checklist_id>/items/<item_id>")
ANSWER_ROW = (CLINICAL, 401)

ROWS = {
    ("GET", "/api/v1/patients/<int:patient_id>/checklists"): (STATUS_READERS, 401),
    ("GET", "/api/v1/checklists"): (STATUS_READERS, 401),
    ("POST", "/api/v1/patients/<int:patient_id>/community-medications"): (CLINICAL, 401),
    ("GET", "/api/v1/patients/<int:patient_id>/community-medications"): (CLINICAL, 401),
    ANSWER_ROUTE: ANSWER_ROW,
    ("GET", "/checklists"): (STATUS_READERS, "login"),
    ("GET", "/patients/<int:patient_id>/checklists"): (CLINICAL, "login"),
    ("POST", "/patients/<int:patient_id>/checklists"): (CLINICAL, "login"),
    ("POST", "/patients/<int:patient_id>/community-medications"): (CLINICAL, "login"),
}

"""Rows of the role x route matrix for the escort letter (issue 5, item 4; see
test_authz_matrix.py). Nurses and clinicians only: the letter is clinical (custody
staff carry it sealed and see only the envelope line), release officers read no MAR,
auditors read the access log, not the record. The matrix patient has no court date or
transfer planned, so those allowed get 409 no_planned_absence ("ok")."""
from .matrix_common import only

CLINICAL = only("nurse", "clinician")

ROWS = {
    ("GET", "/patients/<int:patient_id>/escort-letter"): (CLINICAL, "login"),
    ("GET", "/patients/<int:patient_id>/escort-letter.pdf"): (CLINICAL, "login"),
    ("GET", "/api/v1/patients/<int:patient_id>/escort-letter"): (CLINICAL, 401),
}

"""Rows of the role x route matrix for the scheduler routes (see test_authz_matrix.py,
which fills every id in: add your own id to real_ids() there if you need one)."""
from .matrix_common import ROLES, only  # noqa: F401

CARE_AND_AUDIT = only("nurse", "clinician", "auditor")
ALERT_READERS = only("nurse", "clinician", "release_officer", "auditor", "custody")
ALERT_ACTORS = only("nurse", "clinician", "release_officer", "custody")

ROWS = {
    ("GET", "/api/v1/interruptions"): (CARE_AND_AUDIT, 401),
    ("GET", "/alerts"): (ALERT_READERS, "login"),
    # acting on alert 999999 (none) is a 404 for those allowed to act
    ("POST", "/alerts/<int:alert_id>/acknowledge"): (ALERT_ACTORS, "login"),
    ("POST", "/alerts/<int:alert_id>/resolve"): (ALERT_ACTORS, "login"),
    ("GET", "/interruptions"): (CARE_AND_AUDIT, "login"),
    # transfer handovers: recorded by the health unit, read with the medication record
    ("POST", "/api/v1/patients/<int:patient_id>/transfer-handovers"): (
        only("nurse", "clinician"), 401),
    ("GET", "/api/v1/patients/<int:patient_id>/transfer-handovers"): (
        only("nurse", "clinician"), 401),
    ("POST", "/patients/<int:patient_id>/transfer-handovers"): (
        only("nurse", "clinician"), "login"),
}

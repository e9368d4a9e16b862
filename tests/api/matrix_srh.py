"""Rows of the role x route matrix for the srh routes (see test_authz_matrix.py,
which fills every id in: add your own id to real_ids() there if you need one).

SRH records and the facility's SRH worklist: nurses and clinicians. Enabling or
revoking a record for a patient not recorded as female: clinicians only
(Permission.SRH_ENABLE). Protection flags: everyone who
reads patients, custody included. Hospital escorts: custody staff record them."""
from .matrix_common import ROLES, only  # noqa: F401

CLINICAL = only("nurse", "clinician")
PATIENT_READERS = only("nurse", "clinician", "release_officer", "auditor", "custody")
API = "/api/v1/patients/<int:patient_id>"

ROWS = {
    ("GET", f"{API}/srh"): (CLINICAL, 401),
    ("POST", f"{API}/srh/enable"): (only("clinician"), 401),
    ("POST", f"{API}/srh/revoke"): (only("clinician"), 401),
    ("GET", "/api/v1/srh/worklist"): (CLINICAL, 401),
    ("POST", f"{API}/srh/pregnancy-tests"): (CLINICAL, 401),
    ("POST", f"{API}/srh/pregnancies"): (CLINICAL, 401),
    ("POST", f"{API}/srh/contacts"): (CLINICAL, 401),
    ("PUT", f"{API}/srh/birth-plan"): (CLINICAL, 401),
    ("POST", f"{API}/srh/pregnancy-outcome"): (CLINICAL, 401),
    ("POST", f"{API}/srh/breastfeeding"): (CLINICAL, 401),
    ("POST", f"{API}/srh/children"): (CLINICAL, 401),
    ("POST", f"{API}/srh/child-care"): (CLINICAL, 401),
    ("PATCH", f"{API}/srh/pregnancy"): (CLINICAL, 401),
    ("PATCH", f"{API}/srh/children/<int:child_id>"): (CLINICAL, 401),
    ("POST", f"{API}/srh/preventive-care"): (CLINICAL, 401),
    ("GET", f"{API}/srh/violence"): (CLINICAL, 401),
    ("POST", f"{API}/srh/violence"): (CLINICAL, 401),
    ("GET", f"{API}/protection-flags"): (PATIENT_READERS, 401),
    ("POST", f"{API}/hospital-escorts"): (only("custody"), 401),
    ("GET", "/patients/<int:patient_id>/srh"): (CLINICAL, "login"),
    ("POST", "/patients/<int:patient_id>/srh"): (CLINICAL, "login"),
    ("GET", "/patients/<int:patient_id>/srh/violence"): (CLINICAL, "login"),
    ("POST", "/patients/<int:patient_id>/srh/enable"): (only("clinician"), "login"),
    ("POST", "/patients/<int:patient_id>/srh/revoke"): (only("clinician"), "login"),
    ("GET", "/srh/worklist"): (CLINICAL, "login"),
    ("POST", "/patients/<int:patient_id>/hospital-escorts"): (only("custody"), "login"),
}

"""Rows of the role x route matrix for the srh routes (see test_authz_matrix.py,
which fills every id in: add your own id to real_ids() there if you need one).

SRH records: nurses and clinicians (enabling a record for a patient not recorded
as female is further limited to clinicians by the service: a nurse gets 403 with
a valid body, 422 with the matrix's empty one). Protection flags: everyone who
reads patients, custody included. Hospital escorts: custody staff record them."""
from .matrix_common import ROLES, only  # noqa: F401

CLINICAL = only("nurse", "clinician")
PATIENT_READERS = only("nurse", "clinician", "release_officer", "auditor", "custody")
API = "/api/v1/patients/<int:patient_id>"

ROWS = {
    ("GET", f"{API}/srh"): (CLINICAL, 401),
    ("POST", f"{API}/srh/enable"): (CLINICAL, 401),
    ("POST", f"{API}/srh/pregnancy-tests"): (CLINICAL, 401),
    ("POST", f"{API}/srh/pregnancies"): (CLINICAL, 401),
    ("POST", f"{API}/srh/contacts"): (CLINICAL, 401),
    ("PUT", f"{API}/srh/birth-plan"): (CLINICAL, 401),
    ("POST", f"{API}/srh/pregnancy-outcome"): (CLINICAL, 401),
    ("POST", f"{API}/srh/breastfeeding"): (CLINICAL, 401),
    ("POST", f"{API}/srh/children"): (CLINICAL, 401),
    ("POST", f"{API}/srh/child-care"): (CLINICAL, 401),
    ("POST", f"{API}/srh/preventive-care"): (CLINICAL, 401),
    ("GET", f"{API}/srh/violence"): (CLINICAL, 401),
    ("POST", f"{API}/srh/violence"): (CLINICAL, 401),
    ("GET", f"{API}/protection-flags"): (PATIENT_READERS, 401),
    ("POST", f"{API}/hospital-escorts"): (only("custody"), 401),
    ("GET", "/patients/<int:patient_id>/srh"): (CLINICAL, "login"),
    ("POST", "/patients/<int:patient_id>/srh"): (CLINICAL, "login"),
    ("GET", "/patients/<int:patient_id>/srh/violence"): (CLINICAL, "login"),
    ("POST", "/patients/<int:patient_id>/hospital-escorts"): (only("custody"), "login"),
}

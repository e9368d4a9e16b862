"""Rows of the role x route matrix for the MAR routes (see test_authz_matrix.py,
which fills every id in with a real patient, order and dose)."""
from .matrix_common import ROLES, only

TO_LOGIN = {r: "login" for r in ROLES}
MAR_READERS = only("nurse", "clinician")  # release officers: last doses via the plan only
MAR_RECORDERS = only("nurse", "clinician")
CLINICIAN = only("clinician")
PATIENT_READERS = only("nurse", "clinician", "release_officer", "auditor", "custody")

ROWS = {
    ("POST", "/api/v1/patients/<int:patient_id>/orders"): (CLINICIAN, 401),
    ("GET", "/api/v1/patients/<int:patient_id>/orders"): (MAR_READERS, 401),
    ("PATCH", "/api/v1/orders/<int:order_id>"): (CLINICIAN, 401),
    ("POST", "/api/v1/orders/<int:order_id>/discontinue"): (CLINICIAN, 401),
    ("GET", "/api/v1/doses"): (MAR_READERS, 401),
    ("GET", "/api/v1/patients/<int:patient_id>/doses"): (MAR_READERS, 401),
    ("POST", "/api/v1/doses/<int:dose_id>/administration"): (MAR_RECORDERS, 401),
    ("POST", "/api/v1/doses/<int:dose_id>/administration/void"): (MAR_RECORDERS, 401),
    ("POST", "/api/v1/patients/<int:patient_id>/reviews"): (CLINICIAN, 401),
    ("GET", "/mar/pill-pass"): (MAR_READERS, "login"),
    ("GET", "/mar/patients/<int:patient_id>"): (MAR_READERS, "login"),
    ("POST", "/mar/patients/<int:patient_id>/orders"): (CLINICIAN, "login"),
    ("POST", "/mar/patients/<int:patient_id>/reviews"): (CLINICIAN, "login"),
    ("POST", "/mar/doses/<int:dose_id>/administration"): (MAR_RECORDERS, "login"),
    ("POST", "/mar/orders/<int:order_id>/discontinue"): (CLINICIAN, "login"),
    # the explicit fallback when the scheduler has not made a ward-day's doses
    ("POST", "/mar/pill-pass/generate"): (MAR_RECORDERS, "login"),
    # the pill pass's one form around the table (the pressed row's Record button)
    ("POST", "/mar/pill-pass/record"): (MAR_RECORDERS, "login"),
    # patient photos: the patient's visibility to see, nurse or clinician to upload
    ("GET", "/api/v1/patients/<int:patient_id>/photo"): (PATIENT_READERS, 401),
    ("PUT", "/api/v1/patients/<int:patient_id>/photo"): (MAR_RECORDERS, 401),
    ("GET", "/patients/<int:patient_id>/photo"): (PATIENT_READERS, "login"),
    ("POST", "/patients/<int:patient_id>/photo"): (MAR_RECORDERS, "login"),
}

# What the routes with other ids really answer (checked in test_mar_api.py).
ID_ROUTES = {
    ("PATCH", "/api/v1/orders/{order_id}"): (CLINICIAN, 401),
    ("POST", "/api/v1/orders/{order_id}/discontinue"): (CLINICIAN, 401),
    ("POST", "/api/v1/doses/{dose_id}/administration"): (MAR_RECORDERS, 401),
    ("POST", "/api/v1/doses/{dose_id}/administration/void"): (MAR_RECORDERS, 401),
    ("POST", "/mar/doses/{dose_id}/administration"): (MAR_RECORDERS, "login"),
    ("POST", "/mar/orders/{order_id}/discontinue"): (CLINICIAN, "login"),
}

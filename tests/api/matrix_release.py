"""Rows of the role x route matrix for the release routes (see test_authz_matrix.py,
which fills every id in: add your own id to real_ids() there if you need one).

Providers are addressed by their code; the matrix leaves `<code>` and
`<provider_code>` as they are, which is simply an unknown code (a 404 for those
allowed, so "ok")."""
from .matrix_common import ROLES, only  # noqa: F401

READERS = only("nurse", "clinician", "release_officer")
WRITERS = only("clinician", "release_officer")
ADMIN = only("admin")
PLAN = "/api/v1/patients/<int:patient_id>/release-plan"
PAGE = "/patients/<int:patient_id>/release-plan"

ROWS = {
    ("GET", "/api/v1/providers"): (only("nurse", "clinician", "release_officer", "admin"), 401),
    ("POST", "/api/v1/providers"): (ADMIN, 401),
    ("PATCH", "/api/v1/providers/<code>"): (ADMIN, 401),
    ("GET", PLAN): (READERS, 401),
    ("PUT", PLAN): (WRITERS, 401),
    ("POST", PLAN + "/finalize"): (WRITERS, 401),
    ("POST", PLAN + "/follow-up"): (WRITERS, 401),
    ("GET", PLAN + "/fhir"): (READERS, 401),
    ("GET", PLAN + ".pdf"): (READERS, 401),
    ("GET", PLAN + "/referrals/<provider_code>.pdf"): (READERS, 401),
    ("GET", "/release-board"): (READERS, "login"),
    ("GET", PAGE): (READERS, "login"),
    ("POST", PAGE): (WRITERS, "login"),
    ("POST", PAGE + "/finalize"): (WRITERS, "login"),
    ("GET", PAGE + "/print"): (READERS, "login"),
    ("GET", PAGE + "/letter/<provider_code>"): (READERS, "login"),
    ("GET", "/api/v1/release-follow-ups"): (READERS, 401),
    ("GET", "/release-follow-ups"): (READERS, "login"),
    ("POST", "/release-follow-ups"): (WRITERS, "login"),
    ("GET", "/admin/providers"): (ADMIN, "login"),
    ("POST", "/admin/providers"): (ADMIN, "login"),
    ("POST", "/admin/providers/<code>/active"): (ADMIN, "login"),
}

"""The whole role x route matrix. Every route the app serves must have a row
here: adding a route without deciding who may use it fails this test.

Each cell says what a user of that role (in FAC-A, where the patient is) gets:
"ok" (allowed: any status but 401/403), 403, or for anonymous users 401 (API)
or "login" (pages redirect to the login page).
"""
from datetime import timedelta

import pytest

from prisoncare import create_app
from tests.conftest import NOW
from tests.factories import ApiClient, admit, make_patient

from .matrix_common import ALL, ROLES, only


TO_LOGIN = {r: "login" for r in ROLES}
PATIENT_READERS = only("nurse", "clinician", "release_officer", "auditor", "custody")

# (method, rule) -> (role -> expected, anonymous expected)
FOUNDATION = {
    ("GET", "/api/openapi.json"): (ALL, "ok"),
    ("POST", "/api/v1/session"): (ALL, "ok"),
    ("GET", "/api/v1/session"): (ALL, 401),
    ("DELETE", "/api/v1/session"): (ALL, "ok"),
    ("GET", "/api/v1/facilities"): (ALL, 401),
    ("POST", "/api/v1/facilities"): (only("admin"), 401),
    ("GET", "/api/v1/patients"): (PATIENT_READERS, 401),
    ("POST", "/api/v1/patients"): (only("nurse", "clinician", "custody"), 401),
    ("GET", "/api/v1/patients/<int:patient_id>"): (PATIENT_READERS, 401),
    ("GET", "/api/v1/patients/<int:patient_id>/custody-events"): (PATIENT_READERS, 401),
    ("POST", "/api/v1/patients/<int:patient_id>/custody-events"): (only("custody"), 401),
    ("GET", "/api/v1/audit-log"): (only("auditor"), 401),
    ("GET", "/login"): (ALL, "ok"),
    # an empty form is a failed login; without a session there is no CSRF token: refused
    ("POST", "/login"): ({r: 401 for r in ROLES}, 403),
    ("GET", "/logout"): (ALL, "login"),         # asks to confirm; the POST logs out
    ("POST", "/logout"): (TO_LOGIN, "login"),
    ("GET", "/"): (ALL, "login"),
    ("POST", "/switch"): (ALL, "login"),
    ("GET", "/patients/"): (PATIENT_READERS, "login"),
    ("GET", "/patients/new"): (only("nurse", "clinician", "custody"), "login"),
    ("POST", "/patients/new"): (only("nurse", "clinician", "custody"), "login"),
    ("GET", "/patients/<int:patient_id>"): (PATIENT_READERS, "login"),
    ("POST", "/patients/<int:patient_id>/custody-events"): (only("custody"), "login"),
    ("GET", "/audit"): (only("auditor"), "login"),
    ("GET", "/admin/users"): (only("admin"), "login"),
    ("POST", "/admin/users"): (only("admin"), "login"),
    ("POST", "/admin/users/<username>/disable"): (only("admin"), "login"),
}

# Each domain keeps its rows beside its tests: tests/api/matrix_<domain>.py.
from .matrix_alerts import ROWS as ALERTS  # noqa: E402
from .matrix_intake import ROWS as INTAKE  # noqa: E402
from .matrix_mar import ROWS as MAR  # noqa: E402
from .matrix_scheduler import ROWS as SCHEDULER  # noqa: E402
from .matrix_release import ROWS as RELEASE  # noqa: E402
from .matrix_srh import ROWS as SRH  # noqa: E402
from .matrix_reports import ROWS as REPORTS  # noqa: E402
from .matrix_escort import ROWS as ESCORT  # noqa: E402

MATRIX = {**FOUNDATION, **INTAKE, **MAR, **ALERTS, **SCHEDULER, **SRH, **RELEASE, **REPORTS,
          **ESCORT}

IGNORED_ENDPOINTS = {"static"}


def served_routes():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://")
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            out.add((method, rule.rule))
    return out


def test_every_route_has_a_row_and_every_row_a_route():
    served = served_routes()
    assert sorted(served - MATRIX.keys()) == [], "routes without a row in MATRIX"
    assert sorted(MATRIX.keys() - served) == [], "rows for routes that do not exist"


def concrete(rule, ids):
    for name, value in ids.items():
        rule = rule.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
    return rule


def real_ids():
    """A FAC-A patient admitted today (so her intake checklist is open) with a
    methadone order and today's dose: every id a route can take."""
    from prisoncare.extensions import db
    from prisoncare.models.intake import ChecklistInstance
    from prisoncare.models.medication import ScheduledDose
    from prisoncare.services import orders
    from tests.factories import SYSTEM
    patient = make_patient("MX-1", facility="FAC-A")
    admit(patient, at=NOW - timedelta(hours=2))
    order = orders.create_order(SYSTEM, patient, {
        "programme": "ost", "drug": "methadone", "dose": 60, "unit": "mg", "route": "oral",
        "schedule": {"times": ["14:00"], "every_days": 1}, "start_at": NOW - timedelta(hours=1),
        "administration": "witnessed"}, now=NOW)
    db.session.flush()
    dose = db.session.scalars(db.select(ScheduledDose).where(ScheduledDose.order_id == order.id)
                              .order_by(ScheduledDose.due_at)).first()
    checklist = db.session.scalars(db.select(ChecklistInstance).where(
        ChecklistInstance.patient_id == patient.id)).first()
    db.session.commit()
    return {"patient_id": patient.id, "order_id": order.id, "dose_id": dose.id,
            "checklist_id": checklist.id, "item_id": "IN-01", "username": "nurse.b",
            "alert_id": 999999, "episode_id": 999999, "child_id": 999999}


def verdict(resp, is_api):
    assert resp.status_code < 500, (resp.request.method, resp.request.path, resp.status_code)
    if resp.status_code in (401, 403):
        return resp.status_code
    if not is_api and resp.status_code == 302 and "/login" in resp.headers["Location"]:
        return "login"
    return "ok"


@pytest.mark.parametrize("method,rule", sorted(MATRIX))
def test_role_matrix(app, world, method, rule):
    with app.app_context():
        ids = real_ids()
    by_role, anonymous = MATRIX[(method, rule)]
    path = concrete(rule, ids)
    is_api = rule.startswith("/api/")
    got = {}
    for role in ROLES:
        api = ApiClient(app.test_client())
        api.login(f"{role}.a")
        resp = api.client.open(path, method=method, json={} if is_api and method != "GET" else None,
                               headers={"X-CSRF-Token": api.csrf})
        got[role] = verdict(resp, is_api)
    assert got == by_role
    resp = app.test_client().open(path, method=method, json={} if is_api and method != "GET" else None)
    assert verdict(resp, is_api) == anonymous

"""OST in pregnancy through PATCH: an end date or a deep cut is a withdrawal, so it
needs the clinical reason code and tells the clinician (OST-P-02 / OST-P-03), like
a discontinuation; small changes and non-pregnant women are untouched."""
from datetime import timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.models import Alert, AuditEntry
from tests.conftest import NOW

from .test_intake_api import admitted

ORDER = {"route": "oral", "schedule": {"times": ["08:00"], "every_days": 1}, "programme": "ost",
         "drug": "methadone", "dose": 60, "unit": "mg", "administration": "witnessed"}


@pytest.fixture
def on_methadone(as_user, world):
    _, pid = admitted(as_user)
    clin = as_user("clinician.a")
    resp = clin.post(f"/api/v1/patients/{pid}/orders", json=ORDER)
    assert resp.status_code == 201, resp.get_json()
    return clin, pid, resp.get_json()["id"]


def pregnant(as_user, pid):
    resp = as_user("nurse.a").post(f"/api/v1/patients/{pid}/srh/pregnancies",
                                   json={"dating_method": "lmp", "lmp_on": "2025-12-20"})
    assert resp.status_code == 201


def alerts(app, pid):
    with app.app_context():
        return sorted((a.rule_code, a.severity) for a in db.session.scalars(
            db.select(Alert).where(Alert.patient_id == pid)))


def test_an_end_date_on_a_pregnant_womans_ost_needs_the_reason_code(app, as_user, on_methadone):
    clin, pid, oid = on_methadone
    pregnant(as_user, pid)
    end = (NOW + timedelta(days=2)).isoformat()
    resp = clin.patch(f"/api/v1/orders/{oid}", json={"end_at": end})
    assert resp.status_code == 422
    err = resp.get_json()["error"]
    assert err["code"] == "pregnancy_ost_reason_required" and "reason_code" in err["fields"]
    assert alerts(app, pid) == []
    resp = clin.patch(f"/api/v1/orders/{oid}", json={"end_at": end, "reason_code": "patient_request_informed"})
    assert resp.status_code == 200, resp.get_json()
    assert ("OST-P-02", "high") in alerts(app, pid)
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).where(AuditEntry.action == "order.change")).all()[-1]
        assert entry.detail["reason_code"] == "patient_request_informed"


def test_a_deep_cut_in_pregnancy_needs_a_reason_and_warns(app, as_user, on_methadone):
    clin, pid, oid = on_methadone
    pregnant(as_user, pid)
    resp = clin.patch(f"/api/v1/orders/{oid}", json={"dose": 5})
    assert resp.status_code == 422 and "reason_code" in resp.get_json()["error"]["fields"]
    resp = clin.patch(f"/api/v1/orders/{oid}", json={"dose": 5, "reason_code": "adverse_reaction"})
    assert resp.status_code == 200
    assert alerts(app, pid) == [("OST-P-03", "warning")]


def test_a_small_step_down_or_an_increase_in_pregnancy_goes_through(app, as_user, on_methadone):
    clin, pid, oid = on_methadone
    pregnant(as_user, pid)
    resp = clin.patch(f"/api/v1/orders/{oid}", json={"dose": 55})   # 8 %
    assert resp.status_code == 200
    resp = clin.patch(f"/api/v1/orders/{resp.get_json()['id']}", json={"dose": 80})
    assert resp.status_code == 200
    assert alerts(app, pid) == []


def test_below_the_floor_needs_the_reason_even_in_a_small_step(app, as_user, world):
    _, pid = admitted(as_user)
    clin = as_user("clinician.a")
    oid = clin.post(f"/api/v1/patients/{pid}/orders", json={**ORDER, "dose": 31}).get_json()["id"]
    pregnant(as_user, pid)
    resp = clin.patch(f"/api/v1/orders/{oid}", json={"dose": 29})
    assert resp.status_code == 422


def test_without_a_pregnancy_the_same_changes_need_nothing(app, as_user, on_methadone):
    clin, pid, oid = on_methadone
    resp = clin.patch(f"/api/v1/orders/{oid}", json={"dose": 5})
    assert resp.status_code == 200
    resp = clin.patch(f"/api/v1/orders/{resp.get_json()['id']}",
                      json={"end_at": (NOW + timedelta(days=2)).isoformat()})
    assert resp.status_code == 200
    assert alerts(app, pid) == []

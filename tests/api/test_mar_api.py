"""The orders and MAR routes over HTTP: the contract's shapes and every error
case, the role matrix with real ids, and two nurses recording one dose at once."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import AuditEntry, Facility, StaffUser
from prisoncare.models.medication import DoseAdministration
from prisoncare.services import pill_pass
from tests.conftest import NOW
from tests.factories import ApiClient, admit, make_patient

from .matrix_common import ROLES
from .matrix_mar import ID_ROUTES
from .test_authz_matrix import verdict


def order_body(**over):
    body = {"programme": "ost", "drug": "Methadone", "dose": 60, "unit": "mg", "route": "oral",
            "schedule": {"times": ["08:00"], "every_days": 1},
            "start_at": "2026-03-09T12:00:00+02:00", "administration": "witnessed"}
    body.update(over)
    return body


@pytest.fixture
def patient_id(app, world):
    with app.app_context():
        patient = make_patient("MAR-1", facility="FAC-A", given="Olena", family="Kovalenko")
        admit(patient, at=NOW - timedelta(days=20))
        db.session.commit()
        return patient.id


@pytest.fixture
def order(as_user, patient_id):
    resp = as_user("clinician.a").post(f"/api/v1/patients/{patient_id}/orders", json=order_body())
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def todays_dose(api, patient_id):
    rows = api.get("/api/v1/doses?facility=FAC-A&ward=A&date=2026-03-10").get_json()["items"]
    return next(r for r in rows if r["patient"]["id"] == patient_id)


def test_prescribe_and_list(as_user, patient_id, order):
    assert order["version"] == 1 and order["status"] == "active"
    assert order["start_at"] == "2026-03-09T10:00:00Z" and order["dose"] == 60
    assert order["schedule"] == {"times": ["08:00"], "every_days": 1}
    assert order["prescribed_by"] == "clinician.a"
    page = as_user("nurse.a").get(f"/api/v1/patients/{patient_id}/orders").get_json()
    assert [r["id"] for r in page["items"]] == [order["id"]] and page["total"] == 1


@pytest.mark.parametrize("over,code,field", [
    ({"administration": "keep_on_person"}, 422, "administration"),
    ({"programme": "opioids"}, 422, "programme"),
    ({"start_at": "2026-02-01T08:00:00+02:00"}, 422, "start_at"),
    ({"start_at": "2026-03-09T12:00:00"}, 422, "start_at"),            # no offset
    ({"schedule": {"times": ["25:00"]}}, 422, "schedule.times"),
    ({"dose": "lots"}, 422, "dose"),
    ({"programme": "art", "administration": "keep_on_person"}, 422, "quantity"),
])
def test_order_errors(as_user, patient_id, over, code, field):
    resp = as_user("clinician.a").post(f"/api/v1/patients/{patient_id}/orders", json=order_body(**over))
    assert resp.status_code == code, resp.get_json()
    assert field in resp.get_json()["error"]["fields"]


def test_order_for_someone_elsewhere_is_404_and_malformed_json_400(as_user, patient_id):
    resp = as_user("clinician.b").post(f"/api/v1/patients/{patient_id}/orders", json=order_body())
    assert resp.status_code == 404
    api = as_user("clinician.a")
    resp = api.client.post(f"/api/v1/patients/{patient_id}/orders", data="{nope",
                           headers={"X-CSRF-Token": api.csrf, "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.get_json()["error"]["code"] == "malformed_json"


def test_change_and_discontinue(as_user, patient_id, order):
    api = as_user("clinician.a")
    resp = api.patch(f"/api/v1/orders/{order['id']}", json={"dose": 40})
    assert resp.status_code == 200
    new = resp.get_json()
    assert (new["version"], new["replaces"], new["dose"]) == (2, order["id"], 40)
    assert api.patch(f"/api/v1/orders/{order['id']}", json={"dose": 30}).status_code == 409
    assert api.patch(f"/api/v1/orders/{new['id']}", json={}).status_code == 422
    assert api.patch("/api/v1/orders/999999", json={"dose": 30}).status_code == 404
    assert as_user("clinician.b").patch(f"/api/v1/orders/{new['id']}", json={"dose": 1}).status_code == 404
    resp = api.post(f"/api/v1/orders/{new['id']}/discontinue", json={})
    assert resp.status_code == 422 and "reason" in resp.get_json()["error"]["fields"]
    resp = api.post(f"/api/v1/orders/{new['id']}/discontinue", json={"reason": "Moved to bupe"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "discontinued"
    again = api.post(f"/api/v1/orders/{new['id']}/discontinue", json={"reason": "again"})
    assert again.status_code == 409
    page = api.get(f"/api/v1/patients/{patient_id}/orders").get_json()
    assert sorted(o["status"] for o in page["items"]) == ["discontinued", "superseded"]
    one = api.get(f"/api/v1/patients/{patient_id}/orders?limit=1&offset=1").get_json()
    assert one["total"] == 2 and [o["id"] for o in one["items"]] == [page["items"][1]["id"]]
    assert api.get(f"/api/v1/patients/{patient_id}/orders?limit=1001").status_code == 422


def test_the_ward_mar_shape(as_user, patient_id, order):
    rows = as_user("nurse.a").get("/api/v1/doses?facility=FAC-A&ward=A&date=2026-03-10&round=08:00")
    assert rows.status_code == 200
    assert rows.get_json()["total"] == 1
    (row,) = rows.get_json()["items"]
    assert row["patient"] == {"id": patient_id, "prison_number": "MAR-1", "name": "Olena Kovalenko",
                              "custody_status": "in_custody", "absent_where": None}
    assert row["order"]["id"] == order["id"] and row["order"]["programme"] == "ost"
    assert row["due_at"] == "2026-03-10T06:00:00Z" and row["local_time"] == "08:00"
    assert row["status"] == "due" and row["recorded_by"] is None and row["late"] is None
    assert row["blocks"] == []
    api = as_user("nurse.a")
    assert api.get("/api/v1/doses?facility=FAC-A&round=09:00").get_json() == {"items": [], "total": 0}
    assert api.get("/api/v1/doses?facility=FAC-A&offset=1").get_json() == {"items": [], "total": 1}
    assert api.get("/api/v1/doses?facility=FAC-A&limit=0").status_code == 422
    assert api.get("/api/v1/doses?facility=FAC-B").status_code == 404
    assert api.get("/api/v1/doses?facility=NOPE").status_code == 404
    assert api.get("/api/v1/doses?facility=FAC-A&ward=Z").status_code == 404
    assert api.get("/api/v1/doses?facility=FAC-A&round=8").status_code == 422
    assert api.get("/api/v1/doses").status_code == 422
    assert as_user("clinician.b").get("/api/v1/doses?facility=FAC-A").status_code == 404


def test_recording_over_http(app, as_user, patient_id, order):
    nurse = as_user("nurse.a")
    dose = todays_dose(nurse, patient_id)
    url = f"/api/v1/doses/{dose['id']}/administration"
    resp = nurse.post(url, json={"outcome": "given"})
    assert resp.status_code == 422 and "witnessed_by" in resp.get_json()["error"]["fields"]
    assert nurse.post(url, json={"outcome": "refused"}).status_code == 422
    assert nurse.post(url, json={"outcome": "eaten"}).status_code == 422
    future = nurse.post(url, json={"outcome": "given", "witnessed_by": "nurse.a",
                                   "administered_at": "2026-03-10T13:00:00+02:00"})
    assert future.status_code == 422 and "administered_at" in future.get_json()["error"]["fields"]
    assert as_user("clinician.b").post(url, json={"outcome": "refused", "reason": "x"}).status_code == 404
    assert nurse.post("/api/v1/doses/999999/administration", json={"outcome": "given"}).status_code == 404
    resp = nurse.post(url, json={"outcome": "given", "witnessed_by": "clinician.a", "dose_given": 55,
                                 "administered_at": "2026-03-10T08:05:00+02:00"})
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["late"] is True and body["witnessed_by"] == "clinician.a" and body["dose_given"] == 55
    assert body["recorded_by"] == "nurse.a" and body["administered_at"] == "2026-03-10T06:05:00Z"
    again = nurse.post(url, json={"outcome": "refused", "reason": "x"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "dose_already_recorded"
    row = todays_dose(nurse, patient_id)
    assert (row["status"], row["recorded_by"], row["witnessed_by"], row["late"]) == \
        ("given", "nurse.a", "clinician.a", True)
    assert nurse.post(url + "/void", json={}).status_code == 422
    assert nurse.post(url + "/void", json={"reason": "Wrong dose entered"}).status_code == 200
    assert nurse.post(url + "/void", json={"reason": "again"}).status_code == 404
    assert todays_dose(nurse, patient_id)["status"] == "due"
    assert nurse.post(url, json={"outcome": "given", "witnessed_by": "nurse.a"}).status_code == 201
    with app.app_context():
        actions = [a.action for a in db.session.query(AuditEntry).order_by(AuditEntry.id)
                   if a.action.startswith("dose.")]
    assert actions == ["dose.given", "dose.void", "dose.given"]


def test_review_required_then_review_unblocks(as_user, patient_id):
    clinician = as_user("clinician.a")
    resp = clinician.post(f"/api/v1/patients/{patient_id}/orders",
                          json=order_body(start_at="2026-03-05T12:00:00+02:00"))
    assert resp.status_code == 201
    nurse = as_user("nurse.a")
    dose = todays_dose(nurse, patient_id)
    assert dose["blocks"] == ["review_required"]
    url = f"/api/v1/doses/{dose['id']}/administration"
    resp = nurse.post(url, json={"outcome": "given", "witnessed_by": "nurse.a"})
    assert resp.status_code == 422 and resp.get_json()["error"]["code"] == "review_required"
    assert nurse.post(f"/api/v1/patients/{patient_id}/reviews",
                      json={"programme": "ost", "note": "x"}).status_code == 403
    assert clinician.post(f"/api/v1/patients/{patient_id}/reviews",
                          json={"programme": "ost"}).status_code == 422
    resp = clinician.post(f"/api/v1/patients/{patient_id}/reviews",
                          json={"programme": "ost", "note": "Not intoxicated; restart at 30 mg",
                                "new_dose": 30})
    assert resp.status_code == 201, resp.get_json()
    review = resp.get_json()
    assert review["order"]["version"] == 2 and review["order"]["dose"] == 30
    # Today's 08:00 belonged to version 1 and is still there to record.
    assert nurse.post(url, json={"outcome": "given", "witnessed_by": "nurse.a",
                                 "dose_given": 30}).status_code == 201


def test_patient_doses_range(as_user, patient_id, order):
    api = as_user("clinician.a")
    rows = api.get(f"/api/v1/patients/{patient_id}/doses").get_json()
    assert [r["local_date"] for r in rows["items"]] == ["2026-03-10"] and rows["total"] == 1
    rows = api.get(f"/api/v1/patients/{patient_id}/doses?from=2026-03-01&to=2026-03-10").get_json()
    assert [r["due_at"] for r in rows["items"]] == ["2026-03-10T06:00:00Z"]
    assert api.get(f"/api/v1/patients/{patient_id}/doses?limit=1&offset=1").get_json() == {
        "items": [], "total": 1}
    assert api.get(f"/api/v1/patients/{patient_id}/doses?from=2026-03-10&to=2026-03-01").status_code == 422
    assert api.get(f"/api/v1/patients/{patient_id}/doses?from=2025-01-01&to=2026-03-01").status_code == 422
    assert as_user("clinician.b").get(f"/api/v1/patients/{patient_id}/doses").status_code == 404


def test_absent_patient_is_shown_with_where(as_user, patient_id, order):
    custody = as_user("custody.a")
    assert custody.post(f"/api/v1/patients/{patient_id}/custody-events",
                        json={"type": "court_out", "occurred_at": "2026-03-10T07:30:00Z"}).status_code == 201
    row = todays_dose(as_user("nurse.a"), patient_id)
    assert row["patient"]["absent_where"] == "at court" and row["patient"]["custody_status"] == "out_at_court"


@pytest.mark.parametrize("method,template", sorted(ID_ROUTES))
def test_role_matrix_with_real_ids(app, as_user, patient_id, order, method, template):
    dose = todays_dose(as_user("nurse.a"), patient_id)
    path = template.format(order_id=order["id"], dose_id=dose["id"])
    by_role, anonymous = ID_ROUTES[(method, template)]
    is_api = path.startswith("/api/")
    got = {}
    for role in ROLES:
        api = ApiClient(app.test_client())
        api.login(f"{role}.a")
        resp = api.client.open(path, method=method, json={} if is_api else None,
                               headers={"X-CSRF-Token": api.csrf})
        got[role] = verdict(resp, is_api)
    assert got == by_role
    resp = app.test_client().open(path, method=method, json={} if is_api else None)
    assert verdict(resp, is_api) == anonymous


def test_two_nurses_record_the_same_dose_at_once(app, as_user, patient_id, order):
    dose_id = todays_dose(as_user("nurse.a"), patient_id)["id"]
    with app.app_context():
        from tests.factories import make_user
        make_user("nurse.a2", ["nurse"], ["FAC-A"])
        db.session.commit()
    nurses = [as_user("nurse.a"), as_user("nurse.a2")]
    barrier = threading.Barrier(2)
    results = []

    def send(api):
        barrier.wait()
        resp = api.post(f"/api/v1/doses/{dose_id}/administration",
                        json={"outcome": "given", "witnessed_by": "nurse.a"})
        results.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=send, args=(n,)) for n in nurses]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(code for code, _ in results) == [201, 409], results
    loser = next(body for code, body in results if code == 409)
    assert loser["error"]["code"] == "dose_already_recorded"
    with app.app_context():
        assert db.session.query(DoseAdministration).count() == 1


def test_the_block_moves_with_the_rule_tables_blocking_rung(app, as_user, patient_id):
    """A deployment that moves the methadone ladder (PRISONCARE_ALERT_RULE_OVERRIDES)
    moves the dosing block with it: the guard blocks from the lowest rung that says
    blocks_dosing, not from a second table."""
    app.config["ALERT_RULE_OVERRIDES"] = {"OST-M-03": {"min": 5}, "OST-M-04": {"min": 6},
                                          "OST-M-05": {"min": 7}}
    try:
        clinician, nurse = as_user("clinician.a"), as_user("nurse.a")
        assert clinician.post(f"/api/v1/patients/{patient_id}/orders", json=order_body(
            start_at="2026-03-05T12:00:00+02:00")).status_code == 201
        dose = todays_dose(nurse, patient_id)      # 6-9 March not given: 4 days
        assert dose["blocks"] == []
        resp = nurse.post(f"/api/v1/doses/{dose['id']}/administration",
                          json={"outcome": "given", "witnessed_by": "nurse.a"})
        assert resp.status_code == 201, resp.get_json()
    finally:
        app.config["ALERT_RULE_OVERRIDES"] = None


def test_reading_a_ward_mar_is_in_the_access_log(app, as_user, patient_id, order):
    """A ward's medication list names everyone on it (and their treatments): each read
    is one access-log entry saying which list, as for the other worklists."""
    as_user("nurse.a").get("/api/v1/doses?facility=FAC-A&ward=A&date=2026-03-10&round=08:00")
    entries = as_user("auditor.a").get("/api/v1/audit-log?user=nurse.a").get_json()["items"]
    read = [e for e in entries if e["action"] == "mar.ward_read"]
    assert len(read) == 1 and read[0]["entity"] == "facility"
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "mar.ward_read")).one()
        assert entry.detail == {"via": "api", "ward": "A", "date": "2026-03-10", "round": "08:00",
                                "doses": 1}


def test_the_same_ward_read_twice_at_one_instant_is_logged_twice(app, world):
    """Every read is its own entry, even with the same reader, list and instant."""
    with app.app_context():
        nurse = db.session.scalars(select(StaffUser).where(StaffUser.username == "nurse.a")).one()
        facility = db.session.scalars(select(Facility).where(Facility.code == "FAC-A")).one()
        for _ in range(2):
            pill_pass.log_ward_read(nurse, facility, "A", NOW.date(), round_code=None, doses=3,
                                    now=clock.now(), via="api")
        db.session.commit()
        assert len(db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "mar.ward_read")).all()) == 2

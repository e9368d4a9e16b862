from prisoncare.extensions import db
from prisoncare.models import AuditEntry, CustodyEvent

from .test_patients_api import register


def new_patient(as_user):
    api = as_user("custody.a")
    return api, register(api).get_json()["id"]


def post_event(api, pid, **body):
    return api.post(f"/api/v1/patients/{pid}/custody-events", json=body)


def test_a_court_day_and_back(as_user, world):
    api, pid = new_patient(as_user)
    assert post_event(api, pid, type="admission", occurred_at="2026-03-04T09:00:00+02:00",
                      facility="FAC-A", ward="A", legal_status="pretrial").status_code == 201
    resp = post_event(api, pid, type="court_scheduled", occurred_at="2026-03-05T09:00:00Z",
                      expected_at="2026-03-09T07:00:00Z")
    assert resp.status_code == 201
    p = api.get(f"/api/v1/patients/{pid}").get_json()["custody"]
    assert p["next_court_date"] == "2026-03-09" and p["ward"] == "A"
    assert post_event(api, pid, type="court_out", occurred_at="2026-03-09T07:00:00Z").status_code == 201
    assert api.get(f"/api/v1/patients/{pid}").get_json()["custody"]["status"] == "out_at_court"
    assert post_event(api, pid, type="court_return", occurred_at="2026-03-09T17:30:00Z").status_code == 201
    timeline = api.get(f"/api/v1/patients/{pid}/custody-events").get_json()["items"]
    assert [e["type"] for e in timeline] == ["admission", "court_scheduled", "court_out", "court_return"]
    assert timeline[0]["occurred_at"] == "2026-03-04T07:00:00Z"  # returned in UTC
    assert timeline[-1]["status_after"] == "in_custody"
    assert api.get(f"/api/v1/patients/{pid}").get_json()["custody"]["next_court_date"] is None


def test_a_plan_recorded_today_does_not_block_a_late_entry(as_user, world):
    api, pid = new_patient(as_user)
    post_event(api, pid, type="admission", occurred_at="2026-03-01T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    assert post_event(api, pid, type="release_scheduled",
                      expected_at="2026-04-01T09:00:00Z").status_code == 201  # recorded at NOW
    resp = post_event(api, pid, type="hospital_out", occurred_at="2026-03-08T02:00:00Z")
    assert resp.status_code == 201
    types = [e["type"] for e in api.get(f"/api/v1/patients/{pid}/custody-events").get_json()["items"]]
    assert types == ["admission", "hospital_out", "release_scheduled"]


def test_impossible_sequence_is_409_naming_the_status_and_writes_nothing(app, as_user, world):
    api, pid = new_patient(as_user)
    resp = post_event(api, pid, type="court_return", occurred_at="2026-03-09T17:30:00Z")
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_custody_transition"
    assert "has never been admitted" in error["message"]
    post_event(api, pid, type="admission", occurred_at="2026-03-04T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    resp = post_event(api, pid, type="admission", occurred_at="2026-03-05T09:00:00Z",
                      facility="FAC-A", legal_status="pretrial")
    assert resp.status_code == 409 and "is in custody" in resp.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(CustodyEvent)) == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.action.like("custody_event.%"))) == 1


def test_events_after_release_are_refused(as_user, world):
    api, pid = new_patient(as_user)
    post_event(api, pid, type="admission", occurred_at="2026-03-01T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    post_event(api, pid, type="court_out", occurred_at="2026-03-09T07:00:00Z")
    resp = post_event(api, pid, type="release", occurred_at="2026-03-09T12:00:00Z")
    assert resp.status_code == 201 and resp.get_json()["from"] == "court"
    resp = post_event(api, pid, type="court_return", occurred_at="2026-03-09T18:00:00Z")
    assert resp.status_code == 409 and "has been released" in resp.get_json()["error"]["message"]


def test_future_actual_event_is_422_but_a_plan_may_be_in_the_future(as_user, world):
    api, pid = new_patient(as_user)
    resp = post_event(api, pid, type="admission", occurred_at="2026-03-11T09:00:00Z",
                      facility="FAC-A", legal_status="pretrial")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"occurred_at": ["Cannot be in the future."]}
    post_event(api, pid, type="admission", occurred_at="2026-03-09T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    assert post_event(api, pid, type="release_scheduled",
                      expected_at="2026-04-01T09:00:00Z").status_code == 201


def test_unknown_facility_or_ward_is_422(as_user, world):
    api, pid = new_patient(as_user)
    resp = post_event(api, pid, type="admission", occurred_at="2026-03-09T09:00:00Z",
                      facility="NOPE", legal_status="pretrial")
    assert resp.status_code == 422 and "facility" in resp.get_json()["error"]["fields"]
    resp = post_event(api, pid, type="admission", occurred_at="2026-03-09T09:00:00Z",
                      facility="FAC-A", ward="Z9", legal_status="pretrial")
    assert resp.status_code == 422 and "ward" in resp.get_json()["error"]["fields"]
    resp = post_event(api, pid, type="admission", occurred_at="2026-03-09T09:00:00")
    fields = resp.get_json()["error"]["fields"]
    assert resp.status_code == 422 and "occurred_at" in fields  # naive time refused


def test_late_event_in_order_is_accepted_out_of_order_is_409(as_user, world):
    api, pid = new_patient(as_user)
    post_event(api, pid, type="admission", occurred_at="2026-03-01T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    post_event(api, pid, type="court_out", occurred_at="2026-03-05T07:00:00Z")
    resp = post_event(api, pid, type="court_return", occurred_at="2026-03-04T18:00:00Z")
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "out_of_order"
    resp = post_event(api, pid, type="court_return", occurred_at="2026-03-05T18:00:00Z")
    assert resp.status_code == 201  # five days late, but in order


def test_transfer_moves_the_record_to_the_receiving_facility(as_user, world):
    api, pid = new_patient(as_user)
    post_event(api, pid, type="admission", occurred_at="2026-03-01T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    post_event(api, pid, type="transfer_out", occurred_at="2026-03-09T06:00:00Z", to_facility="FAC-B")
    receiving = as_user("custody.b")
    custody = receiving.get(f"/api/v1/patients/{pid}").get_json()["custody"]
    assert custody["status"] == "in_transfer" and custody["to_facility"] == "FAC-B"
    assert post_event(receiving, pid, type="transfer_in", occurred_at="2026-03-09T15:00:00Z",
                      facility="FAC-B", ward="M1").status_code == 201
    assert as_user("nurse.a").get(f"/api/v1/patients/{pid}").status_code == 404
    assert receiving.get(f"/api/v1/patients/{pid}").get_json()["custody"]["facility"] == "FAC-B"


def test_sentencing_sets_legal_status_and_expected_release(as_user, world):
    api, pid = new_patient(as_user)
    post_event(api, pid, type="admission", occurred_at="2026-03-01T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    resp = post_event(api, pid, type="sentenced", occurred_at="2026-03-09T09:00:00Z",
                      legal_status="sentenced", expected_at="2026-09-30T21:30:00Z")
    assert resp.status_code == 201
    custody = api.get(f"/api/v1/patients/{pid}").get_json()["custody"]
    assert custody["legal_status"] == "sentenced"
    assert custody["expected_release_date"] == "2026-10-01"  # 00:30 in Kyiv


def test_only_custody_staff_post_events_and_clinical_staff_read_the_timeline(as_user, world):
    api, pid = new_patient(as_user)
    for username in ("nurse.a", "clinician.a", "auditor.a", "release_officer.a", "admin.a"):
        resp = post_event(as_user(username), pid, type="admission",
                          occurred_at="2026-03-01T09:00:00Z", facility="FAC-A", legal_status="pretrial")
        assert resp.status_code == 403, username
    assert as_user("nurse.a").get(f"/api/v1/patients/{pid}/custody-events").status_code == 200
    assert as_user("admin.a").get(f"/api/v1/patients/{pid}/custody-events").status_code == 403

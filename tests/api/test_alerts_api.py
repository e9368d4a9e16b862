from datetime import timedelta

from prisoncare.extensions import db
from prisoncare.models import Patient
from prisoncare.services import alerts
from tests.conftest import NOW

from .test_custody_api import new_patient, post_event

SPEC = alerts.AlertSpec("ART-06", "high", "clinician", "art", "Community ART not continued.",
                        "Verify the regimen.", custody_message="Health review needed before transfer.")


def alert_for(app, pid, key="k"):
    with app.app_context():
        alert = alerts.raise_alert(SPEC, db.session.get(Patient, pid), dedup_key=key,
                                   now=NOW - timedelta(minutes=5))
        db.session.commit()
        return alert.id


def admitted(as_user):
    api, pid = new_patient(as_user)
    post_event(api, pid, type="admission", occurred_at="2026-03-09T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    return pid


def test_nurse_lists_acknowledges_and_resolves(app, as_user, world):
    pid = admitted(as_user)
    alert_id = alert_for(app, pid)
    nurse = as_user("nurse.a")
    body = nurse.get("/api/v1/alerts?status=open").get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["rule"] == "ART-06" and item["programme"] == "art" and item["patient"] == pid
    assert item["opened_at"] == "2026-03-10T09:55:00Z"
    resp = nurse.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={"note": "on it"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "acknowledged"
    assert nurse.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 409
    resp = nurse.post(f"/api/v1/alerts/{alert_id}/resolve", json={})
    assert resp.status_code == 422 and "note" in resp.get_json()["error"]["fields"]
    resp = nurse.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "dosed after verification"})
    assert resp.get_json()["status"] == "resolved"
    assert nurse.get("/api/v1/alerts?status=open").get_json()["total"] == 0


def test_custody_staff_see_the_task_without_any_diagnosis(app, as_user, world):
    pid = admitted(as_user)
    alert_for(app, pid)
    item = as_user("custody.a").get("/api/v1/alerts").get_json()["items"][0]
    assert item["message"] == "Health review needed before transfer."
    assert item["rule"] == "custody_task" and item["programme"] is None and item["action"] is None
    assert "ART" not in str(item) and "art" not in str(item).split("'")


def test_alerts_of_another_facility_are_invisible(app, as_user, world):
    pid = admitted(as_user)
    alert_id = alert_for(app, pid)
    other = as_user("nurse.b")
    assert other.get("/api/v1/alerts").get_json()["total"] == 0
    assert other.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 404


def test_filters_naming_another_facility_or_its_patient_are_404(app, as_user, world):
    pid = admitted(as_user)
    alert_for(app, pid)
    other = as_user("nurse.b")
    assert other.get("/api/v1/alerts?facility=FAC-A").status_code == 404
    assert other.get(f"/api/v1/alerts?patient={pid}").status_code == 404
    assert other.get(f"/api/v1/interruptions?patient={pid}").status_code == 404
    assert as_user("nurse.a").get("/api/v1/alerts?facility=FAC-A").get_json()["total"] == 1

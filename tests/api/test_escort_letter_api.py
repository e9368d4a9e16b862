"""GET /api/v1/patients/{id}/escort-letter (issue 5, item 4): the letter's facts as JSON,
in the OpenAPI document, audited; its errors."""
from sqlalchemy import select

from prisoncare.extensions import db
from prisoncare.models import AuditEntry
from tests.web.test_escort_letter_pages import COURT, on_ost_with_court

from .test_custody_api import post_event
from .test_patients_api import register


def test_the_letter_as_json(app, as_user, world):
    pid, event_id = on_ost_with_court(app, as_user)
    resp = as_user("clinician.a").get(f"/api/v1/patients/{pid}/escort-letter")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["patient"] == {"id": pid, "name": "Olena Sample", "given_name": "Olena",
                               "family_name": "Sample", "prison_number": "W-100",
                               "date_of_birth": "1991-04-02"}
    assert body["facility"]["code"] == "FAC-A" and body["facility"]["timezone"] == "Europe/Kyiv"
    absence = body["absence"]
    assert (absence["event_id"], absence["event_type"], absence["departs_at"],
            absence["departs_local"], absence["returns_at"], absence["hours"]) == (
        event_id, "court_scheduled", "2026-03-11T05:00:00Z", "2026-03-11 07:00 Kyiv time",
        "2026-03-11T17:00:00Z", 12)
    [order] = body["orders"]
    assert (order["programme"], order["dose"], order["unit"], order["schedule"], order["witnessed"]) == (
        "ost", 60.0, "mg", "08:00 daily", True)
    assert order["last_dose"] == {"administered_at": "2026-03-10T06:05:00Z",
                                  "local": "2026-03-10 08:05 Kyiv time", "dose_given": 60.0,
                                  "unit": "mg", "recorded_by": "nurse.a",
                                  "witnessed_by": "clinician.a"}
    [due] = order["doses_during_absence"]
    assert (due["due_at"], due["status"], due["administered_at"]) == (
        "2026-03-11T06:00:00Z", "not_yet_given", None)
    assert body["prepared_at"] == "2026-03-10T10:00:00Z" and body["prepared_by"] == "clinician.a"
    same = as_user("nurse.a").get(f"/api/v1/patients/{pid}/escort-letter?event={event_id}")
    assert same.get_json()["orders"] == body["orders"]
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "escort_letter.read").order_by(AuditEntry.id)).all()
        assert [(e.username, e.patient_id, e.entity, e.entity_id, e.detail["format"])
                for e in entries] == [("clinician.a", pid, "custody_event", event_id, "json"),
                                      ("nurse.a", pid, "custody_event", event_id, "json")]


def test_its_errors(app, as_user, world):
    pid, event_id = on_ost_with_court(app, as_user)
    nurse = as_user("nurse.a")
    url = f"/api/v1/patients/{pid}/escort-letter"
    bad = nurse.get(url + "?event=court")
    assert bad.status_code == 422 and "event" in bad.get_json()["error"]["fields"]
    assert nurse.get(url + "?event=999999").status_code == 404
    assert nurse.get("/api/v1/patients/999999/escort-letter").status_code == 404
    assert as_user("nurse.b").get(url).status_code == 404
    assert as_user("custody.a").get(url).status_code == 403
    custody = as_user("custody.a")
    other = register(custody, prison_number="W-200", given_name="Iryna").get_json()["id"]
    post_event(custody, other, type="admission", occurred_at="2026-03-01T09:00:00Z",
               facility="FAC-A", ward="A", legal_status="pretrial")
    none = nurse.get(f"/api/v1/patients/{other}/escort-letter")
    assert none.status_code == 409 and none.get_json()["error"]["code"] == "no_planned_absence"
    assert nurse.get(f"{url}?event={post_event(custody, other, **COURT).get_json()['id']}"
                     ).status_code == 404                            # another patient's court date


def test_it_is_in_the_openapi_document(app, as_user, world):
    spec = app.test_client().get("/api/openapi.json").get_json()
    op = spec["paths"]["/api/v1/patients/{patient_id}/escort-letter"]["get"]
    assert {"200", "404", "409", "422"} <= set(op["responses"])
    assert [p["name"] for p in op["parameters"] if p["in"] == "query"] == ["event"]

"""The facility's SRH worklist through the API, and enabling (and revoking) the SRH
record of a patient who is not a woman."""
from prisoncare.extensions import db
from prisoncare.models import AuditEntry

from .test_intake_api import admitted
from .test_patients_api import register
from .test_srh_api import srh_path

ADMIT_B = {"type": "admission", "occurred_at": "2026-03-10T08:00:00Z", "facility": "FAC-B",
           "ward": "M1", "legal_status": "pretrial"}


def worklist(api, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return api.get(f"/api/v1/srh/worklist?{query}")


def test_the_worklist_lists_what_is_due_most_overdue_first(as_user, world):
    _, pid = admitted(as_user)
    nurse = as_user("nurse.a")
    nurse.post(srh_path(pid, "/children"), json={"name": "Mila", "born_at": "2025-12-01T08:00:00Z",
                                                 "arrived_at": "2026-03-01T08:00:00Z"})
    resp = worklist(nurse, facility="FAC-A")
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["total"] == len(body["items"]) > 3
    first = body["items"][0]
    assert first["status"] == "overdue" and first["child"]["name"] == "Mila"
    assert first["kind"] == "immunisation" and first["patient"]["id"] == pid
    kinds = {i["kind"] for i in body["items"]}
    assert {"child_screen", "immunisation", "cervical_screening"} <= kinds
    days = [i["days_overdue"] for i in body["items"] if i["status"] == "overdue"]
    assert days == sorted(days, reverse=True)
    only_due = worklist(nurse, facility="FAC-A", status="due").get_json()
    assert only_due["items"] and {i["status"] for i in only_due["items"]} == {"due"}
    page = worklist(nurse, facility="FAC-A", limit=2, offset=1).get_json()
    assert page["total"] == body["total"] and page["items"] == body["items"][1:3]


def test_the_worklist_is_for_the_facility_s_clinical_staff_only(as_user, world):
    admitted(as_user)
    assert worklist(as_user("nurse.a"), facility="FAC-B").status_code == 404
    assert worklist(as_user("custody.a"), facility="FAC-A").status_code == 403
    assert worklist(as_user("release_officer.a"), facility="FAC-A").status_code == 403
    resp = worklist(as_user("clinician.a"))
    assert resp.status_code == 422 and "facility" in resp.get_json()["error"]["fields"]


def test_a_clinician_enables_and_revokes_a_mans_srh_record_with_reasons(as_user, world, app):
    custody = as_user("custody.b")
    pid = register(custody, prison_number="M-7", sex="male", facility="FAC-B").get_json()["id"]
    custody.post(f"/api/v1/patients/{pid}/custody-events", json=ADMIT_B)
    clinician, nurse = as_user("clinician.b"), as_user("nurse.b")
    assert nurse.post(srh_path(pid, "/enable"), json={"reason": "trans man"}).status_code == 403
    resp = clinician.post(srh_path(pid, "/enable"), json={"reason": "   "})
    assert resp.status_code == 422 and "reason" in resp.get_json()["error"]["fields"]
    resp = clinician.post(srh_path(pid, "/enable"), json={"reason": "trans man: cervical screening"})
    assert resp.status_code == 201 and resp.get_json()["enabled_reason"] == "trans man: cervical screening"
    assert nurse.post(srh_path(pid, "/preventive-care"), json={
        "kind": "sti_test", "done_on": "2026-03-10", "result": "negative"}).status_code == 201
    # available in the men's facility: on its SRH worklist
    items = worklist(nurse, facility="FAC-B").get_json()["items"]
    assert [i["kind"] for i in items if i["patient"]["id"] == pid] == ["cervical_screening"]

    assert nurse.post(srh_path(pid, "/revoke"), json={"reason": "x"}).status_code == 403
    resp = clinician.post(srh_path(pid, "/revoke"), json={"reason": "recorded in error"})
    assert resp.status_code == 200 and resp.get_json()["enabled"] is False
    assert nurse.get(srh_path(pid)).get_json()["preventive"] == []
    assert nurse.post(srh_path(pid, "/preventive-care"), json={
        "kind": "sti_test", "done_on": "2026-03-10", "result": "negative"}).status_code == 409
    assert worklist(nurse, facility="FAC-B").get_json()["items"] == []
    assert clinician.post(srh_path(pid, "/revoke"), json={"reason": "again"}).status_code == 409

    resp = clinician.post(srh_path(pid, "/enable"), json={"reason": "needed after all"})
    assert resp.status_code == 201
    assert [r["kind"] for r in resp.get_json()["preventive"]] == ["sti_test"]   # kept, shown again
    with app.app_context():
        steps = db.session.execute(db.select(AuditEntry.action, AuditEntry.username, AuditEntry.detail)
                                   .where(AuditEntry.action.in_(("srh.enable", "srh.revoke")),
                                          AuditEntry.entity == "srh_enablement")
                                   .order_by(AuditEntry.id)).all()
    assert [(a, u, d["reason"]) for a, u, d in steps] == [
        ("srh.enable", "clinician.b", "trans man: cervical screening"),
        ("srh.revoke", "clinician.b", "recorded in error"),
        ("srh.enable", "clinician.b", "needed after all")]


def test_a_womans_record_cannot_be_revoked(as_user, world):
    _, pid = admitted(as_user)
    resp = as_user("clinician.a").post(srh_path(pid, "/revoke"), json={"reason": "no"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "srh_not_revocable"

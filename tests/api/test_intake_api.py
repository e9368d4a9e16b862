"""The intake and checklist API: checklists opened by custody events, answers and
their errors, what custody staff see, community medication and continuation."""
import pytest

from prisoncare.extensions import db
from prisoncare.models import AuditEntry

from .matrix_common import ROLES
from .matrix_intake import ANSWER_ROW
from .test_patients_api import register

ADMISSION = dict(type="admission", occurred_at="2026-03-10T08:00:00+02:00", facility="FAC-A",
                 ward="A", legal_status="pretrial")
METHADONE = {"programme": "ost", "drug": "methadone", "dose": 60, "unit": "mg",
             "last_dose_at": "2026-03-09T08:30:00+02:00", "source": "patient_report"}


def admitted(as_user, **patient):
    """Register and admit a patient through the API: (custody client, patient id)."""
    api = as_user("custody.a")
    pid = register(api, **patient).get_json()["id"]
    assert api.post(f"/api/v1/patients/{pid}/custody-events", json=ADMISSION).status_code == 201
    return api, pid


def checklists(api, pid):
    resp = api.get(f"/api/v1/patients/{pid}/checklists")
    assert resp.status_code == 200, resp.get_json()
    return resp.get_json()


def answer(api, cid, item_id, value, **extra):
    return api.patch(f"/api/v1/checklists/{cid}/items/{item_id}", json={"answer": value, **extra})


@pytest.fixture
def intake(as_user, world):
    """A woman admitted to the women's facility FAC-A: (nurse client, patient id, intake)."""
    _, pid = admitted(as_user)
    nurse = as_user("nurse.a")
    [checklist] = checklists(nurse, pid)
    return nurse, pid, checklist


def test_admitting_a_woman_opens_the_intake_with_bangkok_items(intake):
    _, _, checklist = intake
    assert checklist["kind"] == "intake" and checklist["definition_version"] == 1
    assert checklist["due_at"] == "2026-03-11T06:00:00Z"  # 24 h after 08:00 Kyiv
    assert checklist["completed_at"] is None and checklist["trigger"]["event_type"] == "admission"
    items = {i["id"]: i for i in checklist["items"]}
    assert items["IN-19"]["rule_refs"] == ["BR6(e)", "BR7", "BR25"]
    assert items["IN-03"]["rule_refs"] == ["BR2(2)"]
    assert items["IN-13"]["text"].startswith("Reproductive history")
    assert all(i["applies"] for i in items.values())
    assert items["IN-13"]["declinable"] and items["IN-13"]["confidential"]
    assert items["IN-01"]["options"] == ["yes", "no", "not_applicable"]
    assert items["IN-01"]["answer"] is None and items["IN-01"]["answered_by"] is None


def test_a_mans_intake_has_no_pregnancy_items(as_user, world):
    api = as_user("custody.b")
    pid = register(api, prison_number="M-1", sex="male", facility="FAC-B").get_json()["id"]
    api.post(f"/api/v1/patients/{pid}/custody-events",
             json={**ADMISSION, "facility": "FAC-B", "ward": "M1"})
    [checklist] = checklists(as_user("nurse.b"), pid)
    ids = {i["id"] for i in checklist["items"]}
    assert not ids & {"IN-13", "IN-13a", "IN-14", "IN-15", "IN-23"}
    assert {"IN-27", "IN-29", "IN-31"} <= ids


def test_answering_an_item(intake):
    nurse, pid, checklist = intake
    resp = answer(nurse, checklist["id"], "IN-01", "yes", note="interpreter used")
    assert resp.status_code == 200
    body = resp.get_json()
    item = next(i for i in body["items"] if i["id"] == "IN-01")
    assert item["answer"] == "yes" and item["note"] == "interpreter used"
    assert item["answered_by"] == "nurse.a" and item["answered_at"] == "2026-03-10T10:00:00Z"
    assert body["status"]["items_answered"] == 1
    assert checklists(nurse, pid)[0]["items"][0]["answer"] == "yes"


def test_a_wrong_answer_type_is_a_field_error(intake):
    nurse, _, checklist = intake
    cases = [("IN-01", 1, "is not one of"), ("IN-01", "maybe", "is not one of"),
             ("IN-04", "two", "Children must be a list"),
             ("IN-04", [{"name": "Sofia", "age_years": 7, "with_her": False}], "location is required")]
    for item_id, value, reason in cases:
        resp = answer(nurse, checklist["id"], item_id, value)
        assert resp.status_code == 422, (item_id, value)
        error = resp.get_json()["error"]
        assert error["code"] == "validation_failed"
        assert list(error["fields"]) == ["answer"] and reason in error["fields"]["answer"][0]


def test_a_missing_or_null_answer_is_422(intake):
    nurse, _, checklist = intake
    resp = nurse.patch(f"/api/v1/checklists/{checklist['id']}/items/IN-01", json={"note": "x"})
    assert resp.status_code == 422 and "answer" in resp.get_json()["error"]["fields"]
    resp = answer(nurse, checklist["id"], "IN-01", None)
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"answer": ["An answer is required."]}


def test_an_item_that_does_not_apply_is_422(intake):
    nurse, _, checklist = intake
    for item_id in ("IN-27", "IN-19a"):
        resp = answer(nurse, checklist["id"], item_id, "yes")
        assert resp.status_code == 422
        error = resp.get_json()["error"]
        assert error["code"] == "item_not_applicable" and "item_id" in error["fields"]


def test_an_unknown_item_or_checklist_is_404(intake):
    nurse, _, checklist = intake
    assert answer(nurse, checklist["id"], "IN-99", "yes").status_code == 404
    assert answer(nurse, 999999, "IN-01", "yes").status_code == 404


@pytest.mark.parametrize("item_id", ["IN-09", "IN-10", "IN-13", "IN-14", "IN-15", "IN-19", "IN-24"])
def test_declined_is_accepted_for_reproductive_testing_and_violence_items(intake, item_id):
    nurse, _, checklist = intake
    resp = answer(nurse, checklist["id"], item_id, "declined")
    assert resp.status_code == 200
    assert next(i for i in resp.get_json()["items"] if i["id"] == item_id)["answer"] == "declined"


def test_declined_is_refused_where_it_is_not_a_sensitive_question(intake):
    nurse, _, checklist = intake
    resp = answer(nurse, checklist["id"], "IN-22", "declined")
    assert resp.status_code == 422 and "not a sensitive question" in \
        resp.get_json()["error"]["fields"]["answer"][0]


def test_a_disclosure_records_recourse_and_support(intake):
    nurse, _, checklist = intake
    body = answer(nurse, checklist["id"], "IN-19", "disclosed").get_json()
    ids = [i["id"] for i in body["items"]]
    assert {"IN-19a", "IN-19b", "IN-19c"} <= set(ids)
    assert answer(nurse, checklist["id"], "IN-19a", "yes").status_code == 200
    assert answer(nurse, checklist["id"], "IN-19b", "accepted").status_code == 200
    # a changed answer keeps the follow-up's answer visible as no longer applying
    body = answer(nurse, checklist["id"], "IN-19", "declined").get_json()
    stale = next(i for i in body["items"] if i["id"] == "IN-19a")
    assert stale["applies"] is False and stale["answer"] == "yes"


def test_custody_staff_and_auditors_see_only_the_status(intake, as_user):
    nurse, pid, checklist = intake
    answer(nurse, checklist["id"], "IN-19", "disclosed")
    answer(nurse, checklist["id"], "IN-01", "yes")
    # Release officers too: the plan reads what it needs from the record itself.
    for username in ("custody.a", "auditor.a", "auditor.national", "release_officer.a"):
        [seen] = checklists(as_user(username), pid)
        assert "items" not in seen, username
        assert seen["status"]["complete"] is False and seen["status"]["items_answered"] == 1
        assert "disclosed" not in str(seen)


def test_custody_staff_cannot_answer(intake, as_user):
    _, _, checklist = intake
    assert answer(as_user("custody.a"), checklist["id"], "IN-01", "yes").status_code == 403


def test_each_read_is_audited(app, intake, as_user):
    _, pid, _ = intake
    checklists(as_user("custody.a"), pid)
    with app.app_context():
        actions = db.session.execute(db.select(AuditEntry.username, AuditEntry.action).where(
            AuditEntry.patient_id == pid, AuditEntry.action.like("checklist.read%"))).all()
    assert ("custody.a", "checklist.read") in actions
    assert ("nurse.a", "checklist.read") in actions
    assert ("nurse.a", "checklist.read_confidential") in actions
    assert ("custody.a", "checklist.read_confidential") not in actions


def test_another_facility_gets_404(intake, as_user):
    _, pid, checklist = intake
    assert as_user("nurse.b").get(f"/api/v1/patients/{pid}/checklists").status_code == 404
    assert answer(as_user("nurse.b"), checklist["id"], "IN-01", "yes").status_code == 404
    assert as_user("nurse.b").post(f"/api/v1/patients/{pid}/community-medications",
                                   json=METHADONE).status_code == 404


def post_event(api, pid, **body):
    resp = api.post(f"/api/v1/patients/{pid}/custody-events", json=body)
    assert resp.status_code == 201, resp.get_json()


def test_checklists_open_on_court_transfer_and_release_events(as_user, world):
    api, pid = admitted(as_user)
    post_event(api, pid, type="court_scheduled", expected_at="2026-03-12T07:00:00Z")
    post_event(api, pid, type="release_scheduled", expected_at="2026-04-30T09:00:00Z")
    post_event(api, pid, type="transfer_scheduled", expected_at="2026-03-11T06:00:00Z",
               to_facility="FAC-B")
    post_event(api, pid, type="transfer_out", occurred_at="2026-03-10T09:00:00Z", to_facility="FAC-B")
    kinds = [(c["kind"], c["due_at"]) for c in checklists(as_user("nurse.a"), pid)]
    assert kinds == [("intake", "2026-03-11T06:00:00Z"), ("pre_court", "2026-03-12T07:00:00Z"),
                     ("pre_release", "2026-04-30T09:00:00Z"),
                     ("pre_transfer", "2026-03-11T06:00:00Z")]  # one per transfer
    receiving = as_user("custody.b")
    post_event(receiving, pid, type="transfer_in", occurred_at="2026-03-10T09:30:00Z",
               facility="FAC-B", ward="M1")
    [last] = [c for c in checklists(as_user("nurse.b"), pid) if c["kind"] == "transfer_in"]
    assert last["due_at"] == "2026-03-11T09:30:00Z"
    assert next(i for i in last["items"] if i["id"] == "TI-01")["due_at"] == "2026-03-10T13:30:00Z"


def test_the_facility_list_of_open_and_overdue_checklists(intake, as_user):
    _, pid, checklist = intake
    api = as_user("custody.a")
    body = api.get("/api/v1/checklists").get_json()
    assert body["total"] == 1
    row = body["items"][0]
    assert row["id"] == checklist["id"] and row["patient"]["prison_number"] == "W-100"
    assert row["overdue"] is False and row["patient"]["ward"] == "A"
    assert api.get("/api/v1/checklists?status=overdue").get_json() == {"items": [], "total": 0}
    assert api.get("/api/v1/checklists?facility=FAC-B").status_code == 404
    assert as_user("auditor.national").get("/api/v1/checklists").status_code == 422  # which one?
    assert as_user("auditor.national").get("/api/v1/checklists?facility=FAC-A").get_json()["total"] == 1


def test_community_methadone_without_an_order_shows_the_continuation_target(intake):
    nurse, pid, _ = intake
    resp = nurse.post(f"/api/v1/patients/{pid}/community-medications", json=METHADONE)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert body["programme"] == "ost" and body["dose"] == 60.0 and body["recorded_by"] == "nurse.a"
    assert body["last_dose_at"] == "2026-03-09T06:30:00Z"
    # admitted 06:00Z; now 10:00Z; the target is 24 hours after admission
    assert body["continuation"] == {"pending": True, "target_at": "2026-03-11T06:00:00Z",
                                    "hours_left": 20.0}
    listed = nurse.get(f"/api/v1/patients/{pid}/community-medications").get_json()
    assert [m["id"] for m in listed] == [body["id"]]


def test_community_medication_errors(intake, as_user):
    nurse, pid, _ = intake
    url = f"/api/v1/patients/{pid}/community-medications"
    resp = nurse.post(url, json={**METHADONE, "programme": "heroin", "dose": -1, "source": "rumour"})
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"programme", "dose", "source"}
    resp = nurse.post(url, json={**METHADONE, "last_dose_at": "2026-03-12T08:00:00Z"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"last_dose_at": ["Cannot be in the future."]}
    assert as_user("custody.a").post(url, json=METHADONE).status_code == 403
    assert as_user("custody.a").get(url).status_code == 403


def test_community_medication_before_admission_is_409(as_user, world):
    api = as_user("nurse.a")
    pid = register(api).get_json()["id"]
    resp = api.post(f"/api/v1/patients/{pid}/community-medications", json=METHADONE)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "not_in_custody"


def test_answer_route_matrix(app, intake):
    """The real role matrix of the answer route, with a real checklist and item
    (the shared matrix test cannot fill in <int:checklist_id>)."""
    from tests.factories import ApiClient
    _, _, checklist = intake
    by_role, anonymous = ANSWER_ROW
    path = f"/api/v1/checklists/{checklist['id']}/items/IN-01"
    got = {}
    for role in ROLES:
        api = ApiClient(app.test_client())
        api.login(f"{role}.a")
        status = api.patch(path, json={"answer": "yes"}).status_code
        got[role] = status if status in (401, 403) else "ok"
    assert got == by_role
    assert app.test_client().patch(path, json={"answer": "yes"}).status_code == anonymous

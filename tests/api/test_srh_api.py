"""The SRH API: a pregnant woman on methadone followed from the intake test through
antenatal contacts, birth, breastfeeding and her infant's prophylaxis; what custody
staff see (protection flags only); violence records hidden and audited; men."""
from datetime import timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.models import Alert, AuditEntry
from prisoncare.services import srh_care
from tests.conftest import NOW

from .test_intake_api import admitted
from .test_patients_api import register


def srh_path(pid, rest=""):
    return f"/api/v1/patients/{pid}/srh{rest}"


@pytest.fixture
def woman(as_user, world):
    """A woman admitted to FAC-A: (nurse client, patient id)."""
    _, pid = admitted(as_user)
    return as_user("nurse.a"), pid


def test_a_pregnancy_dated_by_lmp_shows_gestation_due_date_and_the_booking(woman):
    nurse, pid = woman
    resp = nurse.post(srh_path(pid, "/pregnancies"),
                      json={"dating_method": "lmp", "lmp_on": "2025-10-01", "drug_dependent": True})
    assert resp.status_code == 201, resp.get_json()
    p = resp.get_json()["pregnancy"]
    assert (p["due_on"], p["gestation"], p["gestation_weeks"]) == ("2026-07-08", "22+6", 22)
    booking = p["antenatal_schedule"][0]
    assert booking["number"] == 1 and booking["due_at"] == "2026-03-11T10:00:00Z"  # 24 h: drug-dependent
    assert [c["number"] for c in p["antenatal_schedule"]] == [1, 3, 4, 5, 6, 7, 8]


def test_dating_errors_come_back_together(woman):
    nurse, pid = woman
    resp = nurse.post(srh_path(pid, "/pregnancies"), json={"dating_method": "scan"})
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"scan_on", "scan_gestation_weeks"}
    resp = nurse.post(srh_path(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": "2026-04-01"})
    assert resp.status_code == 422 and "lmp_on" in resp.get_json()["error"]["fields"]
    assert nurse.get(srh_path(pid)).get_json()["pregnancy"] is None  # nothing half-written


def test_one_ongoing_pregnancy_at_a_time_and_contacts_need_one(woman):
    nurse, pid = woman
    resp = nurse.post(srh_path(pid, "/contacts"), json={"contact_on": "2026-03-10"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "no_current_pregnancy"
    body = {"dating_method": "scan", "scan_on": "2026-03-09", "scan_gestation_weeks": 12}
    assert nurse.post(srh_path(pid, "/pregnancies"), json=body).status_code == 201
    resp = nurse.post(srh_path(pid, "/pregnancies"), json=body)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "pregnancy_ongoing"


def test_pregnancy_test_result_rules(woman):
    nurse, pid = woman
    resp = nurse.post(srh_path(pid, "/pregnancy-tests"), json={"status": "done"})
    assert resp.status_code == 422 and "result" in resp.get_json()["error"]["fields"]
    resp = nurse.post(srh_path(pid, "/pregnancy-tests"), json={"status": "declined"})
    assert resp.status_code == 201
    assert resp.get_json()["pregnancy_tests"][0]["status"] == "declined"


def test_followed_from_test_to_birth_breastfeeding_and_infant_prophylaxis(woman, as_user, app):
    nurse, pid = woman
    assert nurse.post(srh_path(pid, "/pregnancy-tests"),
                      json={"status": "done", "result": "positive"}).status_code == 201
    nurse.post(srh_path(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": "2025-06-20",
                                                    "drug_dependent": True})
    resp = nurse.post(srh_path(pid, "/contacts"), json={"contact_on": "2026-03-10", "by_whom": "midwife"})
    assert resp.get_json()["pregnancy"]["antenatal_schedule"][0]["status"] == "done"
    resp = nurse.put(srh_path(pid, "/birth-plan"), json={
        "hospital": "City Maternity", "escort": "two female officers", "who_is_told": ["sister"],
        "feeding_intention": "breastfeeding"})
    assert resp.status_code == 200 and resp.get_json()["pregnancy"]["birth_plan"]["who_is_told"] == ["sister"]
    # Rule 24 is in force from 28 weeks: she is 37+4
    custody = as_user("custody.a")
    flags = custody.get(f"/api/v1/patients/{pid}/protection-flags").get_json()["flags"]
    assert [f["code"] for f in flags] == ["BR22", "BR24"]

    resp = nurse.post(srh_path(pid, "/pregnancy-outcome"), json={"outcome": "live_birth",
                                                                 "ended_on": "2026-03-10"})
    body = resp.get_json()
    assert resp.status_code == 201 and body["pregnancy"]["status"] == "ended"
    assert body["pregnancy"]["postnatal_schedule"][0]["status"] == "due"
    nurse.post(srh_path(pid, "/breastfeeding"), json={"status": "breastfeeding"})
    resp = nurse.post(srh_path(pid, "/children"), json={
        "name": "Baby K", "born_at": "2026-03-10T04:00:00Z", "hiv_exposed": True,
        "feeding": "breastfeeding", "from_pregnancy": True})
    assert resp.status_code == 201, resp.get_json()
    child = resp.get_json()["children"][0]
    assert child["health_screen"]["due_at"] == "2026-03-17T04:00:00Z"
    assert child["hiv"]["prophylaxis"]["status"] == "due"
    assert child["hiv"]["prophylaxis"]["due_at"] == "2026-03-10T16:00:00Z"

    # twelve hours after birth without prophylaxis: critical alert, once
    def art05():
        return db.session.scalars(db.select(Alert).filter_by(rule_code="ART-05")).all()

    with app.app_context():
        srh_care.raise_srh_alerts(now=NOW)
        assert art05() == []
        later = NOW + timedelta(hours=7)
        assert srh_care.raise_srh_alerts(now=later) >= 1
        assert srh_care.raise_srh_alerts(now=later) == 0
        db.session.commit()
        [alert] = art05()
        assert alert.severity == "critical" and alert.patient_id == pid
    resp = nurse.post(srh_path(pid, "/child-care"), json={
        "child_id": child["id"], "kind": "prophylaxis_start", "done_on": "2026-03-10"})
    assert resp.status_code == 201
    assert resp.get_json()["children"][0]["hiv"]["prophylaxis"]["status"] == "done"
    flags = custody.get(f"/api/v1/patients/{pid}/protection-flags").get_json()["flags"]
    assert [f["code"] for f in flags] == ["BR22", "BR24"]  # postpartum, breastfeeding, infant


def test_child_care_codes_come_from_the_schedule(woman):
    nurse, pid = woman
    child = nurse.post(srh_path(pid, "/children"), json={
        "name": "A", "born_at": "2026-01-01T00:00:00Z", "arrived_at": "2026-03-09T08:00:00Z"}
    ).get_json()["children"][0]
    assert child["health_screen"]["due_at"] == "2026-03-16T08:00:00Z"
    resp = nurse.post(srh_path(pid, "/child-care"), json={"child_id": child["id"], "kind": "immunisation",
                                                           "code": "xyz", "done_on": "2026-03-10"})
    assert resp.status_code == 422 and "code" in resp.get_json()["error"]["fields"]
    resp = nurse.post(srh_path(pid, "/child-care"), json={"child_id": child["id"], "kind": "hiv_test",
                                                           "code": "nat_6w", "done_on": "2026-03-10"})
    assert set(resp.get_json()["error"]["fields"]) == {"kind", "result"}
    resp = nurse.post(srh_path(pid, "/child-care"), json={"child_id": 999999, "kind": "health_screen",
                                                           "done_on": "2026-03-10"})
    assert resp.status_code == 404
    resp = nurse.post(srh_path(pid, "/child-care"), json={"child_id": child["id"], "kind": "immunisation",
                                                           "code": "bcg", "done_on": "2026-03-10"})
    imms = {i["code"]: i["status"] for i in resp.get_json()["children"][0]["immunisations"]}
    assert imms["bcg"] == "done" and imms["penta1"] == "due" and imms["hepb_birth"] == "overdue"


def test_preventive_care_and_screening_due(woman):
    nurse, pid = woman  # born 1991-04-02 (register's default)
    body = nurse.get(srh_path(pid)).get_json()
    due = {s["kind"]: s for s in body["screening_due"]}
    assert due["cervical_screening"]["status"] == "due" and due["breast_screening"]["status"] == "upcoming"
    resp = nurse.post(srh_path(pid, "/preventive-care"), json={"kind": "cervical_screening",
                                                                "done_on": "2026-03-01", "result": "normal"})
    due = {s["kind"]: s for s in resp.get_json()["screening_due"]}
    assert due["cervical_screening"]["due_on"] == "2029-03-01"
    resp = nurse.post(srh_path(pid, "/preventive-care"), json={"kind": "sti_test", "done_on": "2026-03-10"})
    assert resp.status_code == 422
    for kind in ("contraception_counselling", "hygiene_materials"):
        assert nurse.post(srh_path(pid, "/preventive-care"), json={
            "kind": kind, "done_on": "2026-03-10", "detail": "given"}).status_code == 201


def test_custody_staff_see_the_protection_flags_and_no_srh_data(woman, as_user):
    nurse, pid = woman
    nurse.post(srh_path(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": "2025-08-01"})
    custody = as_user("custody.a")
    resp = custody.get(f"/api/v1/patients/{pid}/protection-flags")
    assert resp.status_code == 200
    text = resp.get_data(as_text=True).lower()
    assert "rule 22" in text and "rule 24" in text
    for word in ("pregnan", "gestation", "due_on", "weeks\"", "lmp", "2025-08-01"):
        assert word not in text
    assert custody.get(srh_path(pid)).status_code == 403
    assert custody.get(srh_path(pid, "/violence")).status_code == 403


def test_restraint_on_a_rule_24_escort_raises_a_critical_alert(woman, as_user, app):
    nurse, pid = woman
    nurse.post(srh_path(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": "2025-06-20"})
    custody = as_user("custody.a")
    resp = custody.post(f"/api/v1/patients/{pid}/hospital-escorts",
                        json={"escorted_at": "2026-03-10T09:00:00Z", "restraint_used": True})
    assert resp.status_code == 422 and "restraint_note" in resp.get_json()["error"]["fields"]
    resp = custody.post(f"/api/v1/patients/{pid}/hospital-escorts", json={
        "escorted_at": "2026-03-10T09:00:00Z", "restraint_used": True, "restraint_note": "handcuffs"})
    assert resp.status_code == 201 and resp.get_json()["rule24_applied"] is True
    alerts = custody.get(f"/api/v1/alerts?patient={pid}").get_json()["items"]
    br05 = [a for a in alerts if "Rule 24" in (a.get("message") or "")]
    assert br05 and br05[0]["severity"] == "critical"
    assert "pregnan" not in str(alerts).lower()
    resp = custody.post(f"/api/v1/patients/{pid}/hospital-escorts", json={
        "escorted_at": "2026-03-10T09:30:00Z", "restraint_used": False})
    assert resp.status_code == 201
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Alert.id)).filter_by(rule_code="BR-05")) == 1


def test_violence_records_only_for_clinical_roles_and_every_read_is_audited(woman, as_user, app):
    nurse, pid = woman
    resp = nurse.post(srh_path(pid, "/violence"), json={
        "period": "before_custody", "disclosure": "partner violence", "informed_of_recourse": True,
        "support_accepted": ["psychological", "legal_aid"]})
    assert resp.status_code == 201, resp.get_json()
    for role in ("release_officer", "auditor", "custody", "admin"):
        assert as_user(f"{role}.a").get(srh_path(pid, "/violence")).status_code == 403
    assert "partner violence" not in nurse.get(srh_path(pid)).get_data(as_text=True)
    page = as_user("clinician.a").get(srh_path(pid, "/violence")).get_json()
    rows = page["items"]
    assert page["total"] == 1
    assert rows[0]["disclosure"] == "partner violence" and rows[0]["recorded_by"] == "nurse.a"
    with app.app_context():
        reads = db.session.scalars(db.select(AuditEntry).filter_by(action="srh.violence.read")).all()
        assert [r.username for r in reads] == ["clinician.a"]
        assert reads[0].patient_id == pid


def test_support_none_cannot_be_combined(woman):
    nurse, pid = woman
    resp = nurse.post(srh_path(pid, "/violence"), json={
        "period": "during_custody", "disclosure": "x", "informed_of_recourse": False,
        "support_accepted": ["none", "legal_aid"]})
    assert resp.status_code == 422 and "support_accepted" in resp.get_json()["error"]["fields"]


def test_a_man_has_no_srh_record_until_a_clinician_enables_one(as_user, world):
    custody = as_user("custody.b")
    pid = register(custody, prison_number="M-1", sex="male", facility="FAC-B").get_json()["id"]
    nurse = as_user("nurse.b")
    assert nurse.get(srh_path(pid)).get_json()["enabled"] is False
    resp = nurse.post(srh_path(pid, "/preventive-care"), json={"kind": "sti_test", "done_on": "2026-03-10",
                                                                "result": "negative"})
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "srh_not_enabled"
    assert nurse.get(srh_path(pid, "/violence")).status_code == 409
    assert nurse.post(srh_path(pid, "/enable"), json={"reason": "trans man"}).status_code == 403
    clinician = as_user("clinician.b")
    resp = clinician.post(srh_path(pid, "/enable"), json={"reason": "trans man, cervical screening"})
    assert resp.status_code == 201 and resp.get_json()["enabled"] is True
    assert clinician.post(srh_path(pid, "/enable"), json={"reason": "again"}).status_code == 409
    assert nurse.post(srh_path(pid, "/preventive-care"), json={
        "kind": "sti_test", "done_on": "2026-03-10", "result": "negative"}).status_code == 201
    assert as_user("custody.b").get(f"/api/v1/patients/{pid}/protection-flags").get_json()["flags"] == []


def test_another_facility_cannot_see_her_record(woman, as_user):
    _, pid = woman
    assert as_user("nurse.b").get(srh_path(pid)).status_code == 404
    assert as_user("custody.b").get(f"/api/v1/patients/{pid}/protection-flags").status_code == 404

"""SRH corrections and endings through the API: an infant of a mother on ART is
HIV-exposed without anyone ticking a box; re-dating a pregnancy by scan moves the
schedule; a child's feeding and HIV exposure are corrected; a child who leaves stops
the Rule 22 flag, the alerts and the worklist items. Every change is audited."""
from datetime import timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.models import Alert, AuditEntry
from prisoncare.services import srh_care
from tests.conftest import NOW

from .test_intake_api import admitted

ART = {"route": "oral", "schedule": {"times": ["08:00"], "every_days": 1}, "programme": "art",
       "drug": "TLD", "dose": 1, "unit": "tablet", "administration": "nurse_administered"}


def srh(pid, rest=""):
    return f"/api/v1/patients/{pid}/srh{rest}"


@pytest.fixture
def woman(as_user, world):
    _, pid = admitted(as_user)
    return as_user("nurse.a"), pid


def open_alerts(app, pid, code=None):
    with app.app_context():
        q = db.select(Alert).where(Alert.patient_id == pid, Alert.status == "open")
        if code:
            q = q.where(Alert.rule_code == code)
        return [a.dedup_key for a in db.session.scalars(q)]


def sweep(app, at=NOW):
    with app.app_context():
        srh_care.raise_srh_alerts(now=at)
        db.session.commit()


def audit_actions(app, pid):
    with app.app_context():
        return [e.action for e in db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.patient_id == pid).order_by(AuditEntry.id))]


def test_the_infant_of_a_mother_on_art_is_hiv_exposed_and_art05_fires(app, woman, as_user):
    nurse, pid = woman
    assert as_user("clinician.a").post(f"/api/v1/patients/{pid}/orders", json=ART).status_code == 201
    resp = nurse.post(srh(pid, "/children"), json={"name": "Bo", "born_at": (NOW - timedelta(days=2)).isoformat()})
    assert resp.status_code == 201, resp.get_json()
    child = resp.get_json()["children"][0]
    assert child["hiv_exposed"] is True and child["hiv"]["prophylaxis"]["status"] == "overdue"
    sweep(app)
    assert open_alerts(app, pid, "ART-05") == [f"ART-05:child:{child['id']}"]


def test_saying_not_exposed_when_she_is_on_art_is_refused(woman, as_user):
    nurse, pid = woman
    as_user("clinician.a").post(f"/api/v1/patients/{pid}/orders", json=ART)
    resp = nurse.post(srh(pid, "/children"), json={"name": "Bo", "hiv_exposed": False,
                                                   "born_at": (NOW - timedelta(days=2)).isoformat()})
    assert resp.status_code == 422 and "hiv_exposed" in resp.get_json()["error"]["fields"]


def test_without_hiv_in_her_record_the_infant_is_not_exposed(woman):
    nurse, pid = woman
    resp = nurse.post(srh(pid, "/children"), json={"name": "Bo", "born_at": (NOW - timedelta(days=2)).isoformat()})
    assert resp.get_json()["children"][0]["hiv_exposed"] is False


def test_re_dating_by_scan_moves_gestation_and_the_schedule(app, woman):
    nurse, pid = woman
    nurse.post(srh(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": "2025-12-20"})
    assert nurse.get(srh(pid)).get_json()["pregnancy"]["gestation"] == "11+3"
    resp = nurse.patch(srh(pid, "/pregnancy"), json={
        "reason": "dating scan", "dating_method": "scan", "scan_on": "2026-03-09",
        "scan_gestation_weeks": 13, "scan_gestation_days": 2, "drug_dependent": True})
    assert resp.status_code == 200, resp.get_json()
    p = resp.get_json()["pregnancy"]
    assert (p["gestation"], p["dating_method"], p["scan_on"], p["drug_dependent"]) == \
        ("13+3", "scan", "2026-03-09", True)
    assert p["antenatal_schedule"][0]["due_at"] == "2026-03-11T10:00:00Z"   # 24 h: drug-dependent
    assert "srh.pregnancy.correct" in audit_actions(app, pid)


def test_a_correction_needs_a_reason_and_something_to_correct(woman):
    nurse, pid = woman
    nurse.post(srh(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": "2025-12-20"})
    resp = nurse.patch(srh(pid, "/pregnancy"), json={"dating_method": "scan"})
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert {"reason"} <= fields.keys()
    resp = nurse.patch(srh(pid, "/pregnancy"), json={"reason": "x", "dating_method": "scan"})
    assert resp.status_code == 422 and {"scan_on", "scan_gestation_weeks"} <= \
        resp.get_json()["error"]["fields"].keys()


def test_feeding_and_exposure_are_corrected_and_audited(app, woman):
    nurse, pid = woman
    born = (NOW - timedelta(hours=2)).isoformat()
    cid = nurse.post(srh(pid, "/children"), json={"name": "Bo", "born_at": born,
                                                  "feeding": "breastfeeding"}).get_json()["children"][0]["id"]
    resp = nurse.patch(srh(pid, f"/children/{cid}"), json={"feeding": "replacement", "hiv_exposed": True})
    assert resp.status_code == 200, resp.get_json()
    child = resp.get_json()["children"][0]
    assert child["feeding"] == "replacement" and child["hiv"]["prophylaxis"]["weeks"] is not None
    assert "srh.child.update" in audit_actions(app, pid)


def test_a_child_who_left_stops_the_flag_the_alerts_and_the_worklist(app, woman, as_user):
    nurse, pid = woman
    born = (NOW - timedelta(days=30)).isoformat()
    cid = nurse.post(srh(pid, "/children"), json={"name": "Bo", "born_at": born}).get_json()["children"][0]["id"]
    sweep(app)
    assert open_alerts(app, pid)                         # the screen (BR-07) and immunisations
    worklist = nurse.get("/api/v1/srh/worklist?facility=FAC-A").get_json()
    assert any(r["child"] and r["child"]["id"] == cid for r in worklist["items"])
    flags = as_user("custody.a").get(f"/api/v1/patients/{pid}/protection-flags").get_json()["flags"]
    assert [f["code"] for f in flags] == ["BR22"]

    resp = nurse.patch(srh(pid, f"/children/{cid}"), json={"left_at": (NOW - timedelta(hours=1)).isoformat()})
    assert resp.status_code == 422 and "left_to" in resp.get_json()["error"]["fields"]
    resp = nurse.patch(srh(pid, f"/children/{cid}"), json={"left_at": (NOW + timedelta(days=1)).isoformat(),
                                                           "left_to": "grandmother"})
    assert resp.status_code == 422 and "left_at" in resp.get_json()["error"]["fields"]
    resp = nurse.patch(srh(pid, f"/children/{cid}"), json={"left_at": (NOW - timedelta(hours=1)).isoformat(),
                                                           "left_to": "her grandmother, Lviv"})
    assert resp.status_code == 200
    assert resp.get_json()["children"][0]["left_to"] == "her grandmother, Lviv"
    assert open_alerts(app, pid) == []
    worklist = nurse.get("/api/v1/srh/worklist?facility=FAC-A").get_json()
    assert not any(r["child"] for r in worklist["items"])
    assert as_user("custody.a").get(f"/api/v1/patients/{pid}/protection-flags").get_json()["flags"] == []
    sweep(app, NOW + timedelta(days=10))
    assert [k for k in open_alerts(app, pid) if "child" in k] == []
    assert "srh.child.left" in audit_actions(app, pid)
    resp = nurse.post(srh(pid, "/child-care"), json={"child_id": cid, "kind": "health_screen",
                                                     "done_on": "2026-03-10"})
    assert resp.status_code == 409


def test_another_womans_child_is_404(woman, as_user):
    nurse, pid = woman
    _, other = admitted(as_user, prison_number="W-222")
    cid = nurse.post(srh(other, "/children"), json={"name": "X", "born_at": NOW.isoformat()}
                     ).get_json()["children"][0]["id"]
    assert nurse.patch(srh(pid, f"/children/{cid}"), json={"feeding": "mixed"}).status_code == 404


def test_a_labour_escort_applies_rule_24_whatever_the_gestation(app, woman, as_user):
    nurse, pid = woman
    lmp = (NOW - timedelta(weeks=26)).date().isoformat()
    nurse.post(srh(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": lmp})
    custody = as_user("custody.a")
    body = {"escorted_at": NOW.isoformat(), "hospital": "City", "restraint_used": True,
            "restraint_note": "handcuffed"}
    resp = custody.post(f"/api/v1/patients/{pid}/hospital-escorts", json={**body, "purpose": "antenatal"})
    assert resp.status_code == 201 and resp.get_json()["rule24_applied"] is False
    assert open_alerts(app, pid, "BR-05") == []
    resp = custody.post(f"/api/v1/patients/{pid}/hospital-escorts", json={**body, "purpose": "labour_birth"})
    assert resp.status_code == 201
    assert resp.get_json()["rule24_applied"] is True and resp.get_json()["purpose"] == "labour_birth"
    with app.app_context():
        alert = db.session.scalar(db.select(Alert).where(Alert.patient_id == pid, Alert.rule_code == "BR-05"))
        assert alert is not None and alert.severity == "critical"
    resp = custody.post(f"/api/v1/patients/{pid}/hospital-escorts", json={**body, "purpose": "shopping"})
    assert resp.status_code == 422


def test_the_record_shows_the_next_viral_load_and_screening(woman, as_user):
    nurse, pid = woman
    record = nurse.get(srh(pid)).get_json()
    assert record["next_viral_load"] is None
    assert (record["next_screening"]["kind"], record["next_screening"]["due_on"]) == \
        ("cervical_screening", "2026-04-09")                # a month after admission
    as_user("clinician.a").post(f"/api/v1/patients/{pid}/orders", json=ART)
    nurse.post(srh(pid, "/pregnancies"), json={"dating_method": "lmp", "lmp_on": "2025-12-20"})
    record = nurse.get(srh(pid)).get_json()
    assert record["next_viral_load"]["code"] == "vl_booking"
    assert record["next_viral_load"]["due_on"] == "2026-03-10"
    record = nurse.post(srh(pid, "/preventive-care"), json={"kind": "viral_load", "done_on": "2026-03-10",
                                                            "result": "suppressed"}).get_json()
    assert (record["next_viral_load"]["code"], record["next_viral_load"]["due_on"],
            record["next_viral_load"]["status"]) == ("vl_34w", "2026-08-15", "upcoming")


def test_a_positive_sti_test_without_treatment_is_owed_and_alerts_after_a_week(app, woman):
    nurse, pid = woman
    nurse.post(srh(pid, "/preventive-care"), json={"kind": "sti_test", "done_on": "2026-03-05",
                                                   "result": "positive", "detail": "chlamydia"})

    def sti_rows():
        rows = nurse.get("/api/v1/srh/worklist?facility=FAC-A").get_json()["items"]
        return [(r["status"], r["due_on"]) for r in rows if r["kind"] == "sti_treatment"]

    assert sti_rows() == [("due", "2026-03-05")]
    sweep(app)
    assert open_alerts(app, pid, "SRH-STI") == []                 # 5 days: not yet
    sweep(app, NOW + timedelta(days=3))
    assert open_alerts(app, pid, "SRH-STI") == [f"SRH-STI:overdue:patient:{pid}:sti_treatment:2026-03-05"]
    nurse.post(srh(pid, "/preventive-care"), json={"kind": "sti_treatment", "done_on": "2026-03-10",
                                                   "detail": "doxycycline 7 days"})
    assert sti_rows() == [] and open_alerts(app, pid, "SRH-STI") == []


def test_violence_records_are_a_page_like_every_list_and_the_read_is_audited(app, woman, as_user):
    nurse, pid = woman
    for text in ("first", "second", "third"):
        assert nurse.post(srh(pid, "/violence"), json={"period": "before_custody", "disclosure": text,
                                                       "informed_of_recourse": True}).status_code == 201
    page = nurse.get(srh(pid, "/violence?limit=2&offset=1")).get_json()
    assert page["total"] == 3 and len(page["items"]) == 2
    assert nurse.get(srh(pid, "/violence?limit=0")).status_code == 422
    assert as_user("custody.a").get(srh(pid, "/violence")).status_code == 403
    with app.app_context():
        reads = db.session.scalars(db.select(AuditEntry).filter_by(action="srh.violence.read")).all()
        assert len(reads) == 1 and len(reads[0].detail["records"]) == 2


def test_the_childs_screen_deadline_follows_br07s_configured_hours(app, woman):
    nurse, pid = woman
    app.config["ALERT_RULE_OVERRIDES"] = {"BR-07": {"hours": 72}}
    try:
        arrived = NOW - timedelta(days=4)
        child = nurse.post(srh(pid, "/children"), json={"name": "Bo", "born_at": arrived.isoformat()}
                           ).get_json()["children"][0]
        assert child["health_screen"]["due_at"] == "2026-03-09T10:00:00Z"     # 72 h, not 7 days
        assert child["health_screen"]["status"] == "overdue"
        rows = nurse.get("/api/v1/srh/worklist?facility=FAC-A").get_json()["items"]
        screen = next(r for r in rows if r["kind"] == "child_screen")
        assert screen["status"] == "overdue" and screen["overdue_at"] == "2026-03-09T10:00:00Z"
    finally:
        app.config.pop("ALERT_RULE_OVERRIDES", None)


def test_a_woman_living_with_hiv_is_screened_on_the_hiv_interval(woman, as_user):
    nurse, pid = woman
    assert nurse.get(srh(pid)).get_json()["next_screening"]["name"] == "Cervical screening"
    as_user("clinician.a").post(f"/api/v1/patients/{pid}/orders", json=ART)
    record = nurse.get(srh(pid)).get_json()
    cervical = next(s for s in record["screening_due"] if s["kind"] == "cervical_screening")
    assert cervical["name"] == "Cervical screening (living with HIV)"
    assert record["next_screening"]["name"] == "Cervical screening (living with HIV)"

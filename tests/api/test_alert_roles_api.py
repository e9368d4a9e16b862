"""Who acts on an alert: custody staff complete their own task and never close the
nurse's clinical alert; an alert nobody acknowledged escalates to a second role,
whose inbox (?mine=true) then has it, while the first role still sees it."""
from datetime import timedelta

from prisoncare.extensions import db
from prisoncare.models import Alert, AuditEntry, Patient
from prisoncare.services import alerts
from tests.conftest import NOW

from .test_alerts_api import admitted

# OST-PRE-01 as the sweep raises it: a clinical task with a custody task beside it.
PRE = alerts.AlertSpec("OST-PRE-01", "high", "nurse", "ost",
                       "Methadone dose due during the court absence.",
                       "Give the dose early or send it with the escort.",
                       custody_message="Attend the health unit before departure.")


def raise_for(app, pid, spec=PRE, key="pre", minutes_ago=5):
    with app.app_context():
        alert = alerts.raise_alert(spec, db.session.get(Patient, pid), dedup_key=key,
                                   now=NOW - timedelta(minutes=minutes_ago))
        db.session.commit()
        return alert.id


def test_custody_completing_the_task_leaves_the_clinical_alert_open(app, as_user, world):
    pid = admitted(as_user)
    alert_id = raise_for(app, pid)
    custody, nurse = as_user("custody.a"), as_user("nurse.a")

    resp = custody.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={})
    assert resp.status_code == 200 and resp.get_json()["status"] == "acknowledged"
    resp = custody.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "walked her over"})
    body = resp.get_json()
    assert resp.status_code == 200
    assert (body["status"], body["rule"], body["message"]) == (
        "resolved", "custody_task", "Attend the health unit before departure.")
    assert body["resolved_at"] == "2026-03-10T10:00:00Z"
    assert custody.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "again"}).status_code == 409
    assert custody.get("/api/v1/alerts?status=open").get_json()["total"] == 0
    assert custody.get("/api/v1/alerts?status=resolved").get_json()["total"] == 1

    # the nurse's alert is untouched: still open, still hers to acknowledge and resolve
    item = nurse.get(f"/api/v1/alerts?patient={pid}").get_json()["items"][0]
    assert (item["rule"], item["status"], item["acknowledged_at"]) == ("OST-PRE-01", "open", None)
    assert nurse.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 200
    resp = nurse.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "dose given at 06:40"})
    assert resp.get_json()["status"] == "resolved"
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert (alert.resolve_note, alert.custody_note) == ("dose given at 06:40", "walked her over")
        actions = db.session.scalars(db.select(AuditEntry.action).where(
            AuditEntry.entity == "alert", AuditEntry.entity_id == alert_id)).all()
        assert sorted(actions) == ["alert.acknowledge", "alert.custody_task.acknowledge",
                                   "alert.custody_task.resolve", "alert.resolve"]


def test_a_custody_task_closes_with_the_clinical_alert(app, as_user, world):
    pid = admitted(as_user)
    alert_id = raise_for(app, pid)
    as_user("nurse.a").post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "given early"})
    custody = as_user("custody.a")
    assert custody.get("/api/v1/alerts?status=open").get_json()["total"] == 0
    assert custody.post(f"/api/v1/alerts/{alert_id}/resolve", json={"note": "x"}).status_code == 409


def test_an_unacknowledged_alert_escalates_to_the_rules_escalate_to_role(app, as_user, world):
    pid = admitted(as_user)
    # ART-06: role nurse, escalate_to clinician (alert_rules.toml); high: 60 minutes
    spec = alerts.AlertSpec("ART-06", "high", "nurse", "art", "Community ART not continued.")
    alert_id = raise_for(app, pid, spec, key="art", minutes_ago=70)
    clinician, nurse = as_user("clinician.a"), as_user("nurse.a")
    assert clinician.get("/api/v1/alerts?mine=true").get_json()["total"] == 0
    with app.app_context():
        assert alerts.escalate_open_alerts(now=NOW) == 1
        db.session.commit()
    item = clinician.get("/api/v1/alerts?mine=true").get_json()["items"][0]
    assert item["id"] == alert_id
    assert (item["escalated_to"], item["escalated_from"], item["escalated_at"]) == (
        "clinician", "nurse", "2026-03-10T09:50:00Z")
    assert item["role"] == "nurse" and item["escalation_level"] == 1
    assert nurse.get("/api/v1/alerts?mine=true").get_json()["total"] == 1   # still hers too
    # the custody officer and the release officer have no such alert in their inbox
    assert as_user("release_officer.a").get("/api/v1/alerts?mine=true").get_json()["total"] == 0


def test_inbox_shows_only_the_users_roles_and_all_shows_the_facility(app, as_user, world):
    pid = admitted(as_user)
    raise_for(app, pid, key="nurse-one")
    clinician = as_user("clinician.a")
    assert clinician.get("/api/v1/alerts?mine=true").get_json()["total"] == 0
    assert clinician.get("/api/v1/alerts").get_json()["total"] == 1


def test_custody_cannot_filter_their_tasks_by_a_clinical_rule(app, as_user, world):
    """A rule code names the treatment: custody staff filtering by OST-PRE-01 would learn
    who is on OST. They filter by what they see, "custody_task"; nurses by the rule."""
    pid = admitted(as_user)
    raise_for(app, pid)
    custody, nurse = as_user("custody.a"), as_user("nurse.a")
    assert custody.get("/api/v1/alerts?rule=OST-PRE-01").get_json() == {"items": [], "total": 0}
    tasks = custody.get("/api/v1/alerts?rule=custody_task").get_json()
    assert tasks["total"] == 1 and tasks["items"][0]["rule"] == "custody_task"
    assert custody.get("/api/v1/alerts").get_json()["total"] == 1
    assert nurse.get("/api/v1/alerts?rule=OST-PRE-01").get_json()["total"] == 1
    assert nurse.get("/api/v1/alerts?rule=custody_task").get_json()["total"] == 0


# OST-M-03 as the sweep raises it: for the clinician, no escalate_to, no custody task.
M03 = alerts.AlertSpec("OST-M-03", "high", "clinician", "ost",
                       "Methadone: 3 consecutive day(s) without a dose.",
                       "Withhold, or give half the dose after discussion with the prescriber.")


def test_a_clinicians_alert_nobody_acknowledged_escalates_to_the_auditors_read_only(
        app, as_user, world):
    pid = admitted(as_user)
    alert_id = raise_for(app, pid, M03, key="m03", minutes_ago=70)   # high: 60 minutes
    auditor, national = as_user("auditor.a"), as_user("auditor.national")
    assert auditor.get("/api/v1/alerts?mine=true").get_json()["total"] == 0
    with app.app_context():
        assert alerts.escalate_open_alerts(now=NOW) == 1
        db.session.commit()
    for reader in (auditor, national):
        [item] = reader.get("/api/v1/alerts?mine=true").get_json()["items"]
        assert (item["id"], item["rule"], item["escalation_level"], item["escalated_to"],
                item["escalated_from"], item["escalated_at"]) == (
            alert_id, "OST-M-03", 1, "auditor", "clinician", "2026-03-10T09:50:00Z")
    # read-only: the auditor lacks ALERT_ACT
    assert auditor.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 403
    assert auditor.post(f"/api/v1/alerts/{alert_id}/resolve",
                        json={"note": "seen"}).status_code == 403
    # another facility's auditor has nothing; the clinician still has it to act on
    assert as_user("auditor.b").get("/api/v1/alerts?mine=true").get_json()["total"] == 0
    assert as_user("clinician.a").get("/api/v1/alerts?mine=true").get_json()["total"] == 1
    # custody staff never get a clinical alert by escalation
    assert as_user("custody.a").get("/api/v1/alerts").get_json()["total"] == 0


def test_escalation_never_hands_a_clinical_alert_to_custody_staff(app, as_user, world):
    """A deployment that writes next_role nurse = "custody" still escalates the level,
    to nobody: custody staff see no clinical alert and have nothing in their count."""
    app.config["SWEEP_SETTINGS"] = {"escalation": {"next_role": {"nurse": "custody",
                                                                 "clinician": "custody"}}}
    pid = admitted(as_user)
    spec = alerts.AlertSpec("OST-M-01", "critical", "nurse", "ost", "Missed methadone.")
    alert_id = raise_for(app, pid, spec, key="m01", minutes_ago=20)   # critical: 15 minutes
    raise_for(app, pid, M03, key="m03", minutes_ago=70)
    with app.app_context():
        assert alerts.escalate_open_alerts(now=NOW) == 2
        db.session.commit()
        assert sorted((a.rule_code, a.escalation_level, a.escalated_to)
                      for a in db.session.scalars(db.select(Alert))) == [
            ("OST-M-01", 1, None), ("OST-M-03", 1, None)]
    custody = as_user("custody.a")
    assert custody.get("/api/v1/alerts").get_json()["total"] == 0
    assert custody.get(f"/api/v1/alerts?patient={pid}&mine=true").get_json()["total"] == 0
    assert custody.post(f"/api/v1/alerts/{alert_id}/acknowledge", json={}).status_code == 404

"""The alert inbox as people use it: the count beside "Alerts" in the navigation
(one COUNT query per page), the worklist showing the user's role by default with a
filter for the whole facility, and a custody officer completing only her task."""
import re
from datetime import timedelta

from sqlalchemy import event

from prisoncare.extensions import db
from prisoncare.models import Alert, Patient
from prisoncare.services import alerts
from tests.api.test_alerts_api import admitted
from tests.conftest import NOW
from tests.web.helpers import get, login, submit

PRE = alerts.AlertSpec("OST-PRE-01", "high", "nurse", "ost", "Methadone due during court.",
                       "Give the dose early.", custody_message="Attend the health unit before departure.")


def raise_(app, pid, spec, key, minutes_ago=5):
    with app.app_context():
        alert = alerts.raise_alert(spec, db.session.get(Patient, pid), dedup_key=key,
                                   now=NOW - timedelta(minutes=minutes_ago))
        db.session.commit()
        return alert.id


def nav_alerts(page) -> str:
    nav = page.find("nav")
    link = next(a for a in nav.find_all("a") if a.get("href") == "/alerts")
    return link.text


def test_the_nav_counts_open_alerts_for_the_users_role_and_facility(app, as_user, world):
    pid = admitted(as_user)
    raise_(app, pid, PRE, "pre")
    raise_(app, pid, alerts.AlertSpec("OST-M-01", "info", "nurse", "ost", "Missed."), "m1")
    acked = raise_(app, pid, alerts.AlertSpec("OST-M-03", "warning", "nurse", "ost", "x"), "m3")
    raise_(app, pid, alerts.AlertSpec("OST-B-01", "critical", "clinician", "ost", "y"), "b1")
    as_user("nurse.a").post(f"/api/v1/alerts/{acked}/acknowledge", json={})
    client = app.test_client()
    login(client, "nurse.a")
    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        if re.search(r"\bFROM alert\b", statement):
            statements.append(statement)
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        home = get(client, "/")
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert nav_alerts(home) == "Alerts 2 (1 critical/high)"
    assert len(statements) == 1 and "count(" in statements[0]
    for name, expected in (("clinician.a", "Alerts 1 (1 critical/high)"), ("nurse.b", "Alerts"),
                           ("auditor.national", "Alerts")):
        other = app.test_client()
        login(other, name)
        assert nav_alerts(get(other, "/")) == expected, name
    custody = app.test_client()
    login(custody, "custody.a")
    assert nav_alerts(get(custody, "/")) == "Alerts 1 (1 critical/high)"   # her task


def test_the_worklist_shows_the_users_role_by_default_and_all_on_request(app, as_user, world):
    pid = admitted(as_user)
    raise_(app, pid, PRE, "pre")
    escalated = raise_(app, pid, alerts.AlertSpec("ART-06", "high", "nurse", "art",
                                                  "Community ART not continued."), "art", 70)
    with app.app_context():
        alerts.escalate_open_alerts(now=NOW)
        db.session.commit()
    client = app.test_client()
    login(client, "clinician.a")
    mine = get(client, "/alerts")
    assert "ART-06" in mine.main.text and "OST-PRE-01" not in mine.main.text
    row = mine.by_id(f"alert-{escalated}")
    assert "to clinician from nurse, 2026-03-10 09:50 UTC" in row.text
    everything = get(client, "/alerts?show=all")
    assert "ART-06" in everything.main.text and "OST-PRE-01" in everything.main.text


def test_a_custody_officer_completes_her_task_and_the_nurses_alert_stays_open(app, as_user, world):
    pid = admitted(as_user)
    alert_id = raise_(app, pid, PRE, "pre")
    client = app.test_client()
    login(client, "custody.a")
    page = get(client, "/alerts")
    assert "Attend the health unit before departure." in page.main.text
    assert "OST" not in page.main.text and "ethadone" not in page.main.text
    done = submit(client, page, {"note": "escorted at 06:30"}, action=f"/alerts/{alert_id}/resolve",
                  follow_redirects=True)
    assert "Task done." in done.flashes()
    assert "Attend the health unit" not in done.main.text
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert (alert.status, alert.resolved_at, alert.custody_status) == ("open", None, "resolved")
    nurse = app.test_client()
    login(nurse, "nurse.a")
    page = get(nurse, "/alerts")
    assert "OST-PRE-01" in page.main.text
    assert page.find("form", action=f"/alerts/{alert_id}/acknowledge") is not None


def test_an_auditor_reads_the_alerts_escalated_past_the_clinician_without_acting(
        app, as_user, world):
    pid = admitted(as_user)
    m03 = raise_(app, pid, alerts.AlertSpec("OST-M-03", "high", "clinician", "ost",
                                            "Methadone: 3 consecutive day(s) without a dose."),
                 "m03", 70)
    raise_(app, pid, PRE, "pre")                            # the nurse's: not the auditor's
    with app.app_context():
        alerts.escalate_open_alerts(now=NOW)
        db.session.commit()
    for name in ("auditor.a", "auditor.national"):
        client = app.test_client()
        login(client, name)
        assert nav_alerts(get(client, "/")) == "Alerts 1 (1 critical/high)", name
        page = get(client, "/alerts")
        row = page.by_id(f"alert-{m03}")
        assert "to auditor from clinician, 2026-03-10 09:50 UTC" in row.text
        assert "OST-PRE-01" not in page.main.text           # her inbox: escalated to her
        assert page.find("form", action=f"/alerts/{m03}/acknowledge") is None
        assert page.find("form", action=f"/alerts/{m03}/resolve") is None
        assert "OST-PRE-01" in get(client, "/alerts?show=all").main.text
    other = app.test_client()
    login(other, "auditor.b")
    assert nav_alerts(get(other, "/")) == "Alerts"

"""Alerts at the hatch (issue 5, item 5): each row of the pill pass shows the
patient's open medication alerts, severity-coloured, in the facility's local time,
for nurses and clinicians only; and an alert never claims a block the dosing guard
does not enforce (OST-B-02, buprenorphine at 3 days). FAC-A runs on Europe/Kyiv
(UTC+2 in March); the clock is frozen at 12:00 there on 10 March."""
from datetime import timedelta

import pytest

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import run_all
from prisoncare.models import Alert, Patient
from prisoncare.presenters import alert_dict
from prisoncare.services import custody
from tests.conftest import NOW
from tests.factories import SYSTEM
from tests.services.test_mar_orders import staff
from tests.web.helpers import get
from tests.web.test_mar_pages import on_methadone, row

TOMORROW = "/mar/pill-pass?date=2026-03-11"


def sweep(app):
    with app.app_context(), clock.frozen(NOW):
        results = run_all(NOW)
        assert all(ok for _, ok, _ in results), results


def court_tomorrow_at_7(app, patient_id):
    """Court at 07:00 Kyiv tomorrow, before her 08:00 methadone."""
    with app.app_context():
        custody.record_event(SYSTEM, db.session.get(Patient, patient_id),
                             {"type": "court_scheduled", "occurred_at": NOW,
                              "expected_at": NOW.replace(hour=5) + timedelta(days=1)}, now=NOW)
        db.session.commit()


def hatch_alerts(tr):
    return [(a.get("class").split()[1], a.text) for a in tr.find_all("span", class_="hatch-alert")]


def test_the_hatch_shows_her_open_alerts_in_local_time(app, world, logged_in):
    olena = on_methadone(app, "PP-1")
    court_tomorrow_at_7(app, olena)
    on_methadone(app, "PP-2", given="Iryna", family="Bondar", start_days=6)  # 5 days unrecorded
    on_methadone(app, "PP-3", given="Daria", family="Melnyk")               # nothing open
    sweep(app)
    page = get(logged_in("nurse.a"), TOMORROW)
    assert hatch_alerts(row(page, "PP-1")) == [
        ("sev-warning", "warning: Give the dose before court departure 07:00")]
    # the methadone ladder's top rung (the lower ones are superseded, so resolved)
    assert hatch_alerts(row(page, "PP-2")) == [("sev-critical", "critical: Review required")]
    assert hatch_alerts(row(page, "PP-3")) == []
    # today's list: the departure is another day, so it says which
    page = get(logged_in("clinician.a"), "/mar/pill-pass?date=2026-03-10")
    assert hatch_alerts(row(page, "PP-1")) == [
        ("sev-warning", "warning: Give the dose before court departure 2026-03-11 07:00")]


def test_resolved_alerts_and_other_roles_show_nothing(app, world, logged_in):
    olena = on_methadone(app, "PP-1")
    court_tomorrow_at_7(app, olena)
    sweep(app)
    # release officers no longer read the MAR at all (issue 7: only what the plan needs)
    assert get(logged_in("release_officer.a"), TOMORROW).status == 403
    with app.app_context():
        for alert in db.session.scalars(db.select(Alert)):
            alert.status = "resolved"
        db.session.commit()
    page = get(logged_in("nurse.a"), TOMORROW)
    assert hatch_alerts(row(page, "PP-1")) == []


def test_buprenorphine_at_three_days_advises_a_review_and_does_not_claim_a_block(
        app, world, logged_in):
    """The guard blocks from the rule table's lowest blocking rung (buprenorphine:
    OST-B-03, 5 days); the OST-B-02 alert at 3 days advises a review and says dosing is
    not blocked yet."""
    with app.app_context():
        from prisoncare.services import orders
        from tests.factories import admit, make_patient
        from tests.services.test_mar_orders import ost
        patient = make_patient("PP-9", facility="FAC-A", given="Oksana", family="Shevchenko")
        admit(patient, ward="A", at=NOW - timedelta(days=20))
        orders.create_order(staff("clinician.a"), patient, ost(
            drug="Buprenorphine sublingual tablet", dose=8, start_at=NOW - timedelta(days=4)),
            now=NOW)
        db.session.commit()
    sweep(app)
    page = get(logged_in("nurse.a"), "/mar/pill-pass?date=2026-03-10")
    tr = row(page, "PP-9")
    assert [text for _, text in hatch_alerts(tr)] == [
        "warning: Buprenorphine: 3 consecutive day(s) without a dose (interruption since "
        "2026-03-07)."]
    assert tr.find("span", data_block="review_required") is None
    assert not tr.find("option", value="given").has("disabled")
    with app.app_context():
        alert = db.session.scalar(db.select(Alert).where(Alert.rule_code == "OST-B-02"))
        shown = alert_dict(alert, staff("nurse.a"))
        assert "advised" in shown["action"] and "not blocked" in shown["action"]


def test_her_gestation_on_the_row_for_nurses_and_clinicians_only(app, world, logged_in):
    """Needs the SRH helper's gestation_by_patient (issue 6); skipped before it is merged."""
    pytest.importorskip("prisoncare.services.srh.gestation")
    from datetime import date
    from prisoncare.services import srh
    pid = on_methadone(app, "PP-1")
    on_methadone(app, "PP-2", given="Iryna", family="Bondar")
    with app.app_context():
        srh.record_pregnancy(SYSTEM, db.session.get(Patient, pid),
                             {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)}, now=NOW)
        db.session.commit()
    for user in ("nurse.a", "clinician.a"):
        page = get(logged_in(user), "/mar/pill-pass?date=2026-03-10")
        assert "pregnant 11+3" in row(page, "PP-1").text
        assert "pregnant" not in row(page, "PP-2").text
    assert get(logged_in("release_officer.a"), "/mar/pill-pass?date=2026-03-10").status == 403

"""The scheduler down for longer than the backfill window (7 days): the first sweep
after it catches up from where the last one completed, so a real gap in treatment
raises what punctual sweeps would have raised (controlled clock, both databases)."""
import logging
from datetime import date

import pytest
from flask import current_app

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models.medication import ScheduledDose
from tests.factories import build_world

from .test_sweep_helpers import alerts, at, court_day, episodes, give, on_methadone, snapshot, sweep


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def methadone_days(order):
    return {d.local_date.day: d.status for d in db.session.scalars(
        db.select(ScheduledDose).where(ScheduledDose.order_id == order.id)
        .order_by(ScheduledDose.due_at))}


def dosed_then_the_scheduler_stops():
    """Methadone given on the 8th and 9th; the last sweep before the outage on the
    9th at 08:00 UTC; nothing recorded from the 10th on."""
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(9, 8))
    return patient, order


def test_ten_days_without_a_sweep_still_show_ten_missed_days(w):
    patient, order = dosed_then_the_scheduler_stops()
    clock.set_now(at(19, 18))
    sweep(at(19, 18))                       # 10 days and 10 hours later, the first sweep
    days = methadone_days(order)
    assert {day: days.get(day) for day in range(8, 20)} == {
        8: "given", 9: "given", **{day: "missed" for day in range(10, 20)}}
    [episode] = episodes(patient)
    assert (episode.start_on, episode.end_on, episode.length_days, episode.missed_days,
            episode.cause, dict(episode.cause_days)) == (
        date(2026, 3, 10), None, 10, 10, "documentation_gap", {"documentation_gap": 10})
    rungs = {(a.rule_code, a.status) for a in alerts(patient) if a.rule_code.startswith("OST-M")}
    # every rung raised, the lower ones superseded by the top one: re-induction
    assert rungs == {("OST-M-01", "resolved"), ("OST-M-02", "resolved"),
                     ("OST-M-03", "resolved"), ("OST-M-04", "resolved"),
                     ("OST-M-05", "open")}
    before = snapshot()
    again = sweep(at(19, 18))
    assert snapshot() == before
    assert (again["generate-doses"], again["mark-missed"], again["evaluate-rules"]) == (
        "0 generated", "0 marked", "0 raised")


def test_the_catch_up_is_capped_and_says_so(w, caplog, monkeypatch):
    # the migrations' logging config (alembic.ini) disables the loggers that exist then
    monkeypatch.setattr(logging.getLogger("prisoncare.services.sweep_watermark"), "disabled", False)
    current_app.config["SWEEP_SETTINGS"] = {"doses": {"catch_up_max_days": 8}}
    patient, order = dosed_then_the_scheduler_stops()
    clock.set_now(at(19, 18))
    with caplog.at_level(logging.WARNING, logger="prisoncare.services.sweep_watermark"):
        sweep(at(19, 18))
    days = methadone_days(order)
    # 8 days back from 19 March 18:00 UTC: the 10th's dose (made before the outage)
    # is left unmarked, the 11th is never made; from the 12th on, missed
    assert (days.get(10), days.get(11)) == ("due", None)
    assert all(days[day] == "missed" for day in range(12, 20))
    assert any("catching up only from 2026-03-11T18:00:00+00:00" in r.getMessage()
               and "catch_up_max_days = 8" in r.getMessage() for r in caplog.records)


def test_a_court_day_early_in_a_long_outage_still_raises_its_alert(w):
    """The rules' look-back (14 days) reaches back from the last completed sweep too:
    a dose lost to court on the 10th, first swept on the 30th, raises OST-E-02."""
    patient, order = dosed_then_the_scheduler_stops()
    clock.set_now(at(10, 18))
    court_day(patient, 10)                  # the PMS posts it; no sweep runs
    clock.set_now(at(30, 9))
    sweep(at(30, 9))
    assert methadone_days(order)[10] == "absent"
    lost = [a for a in alerts(patient) if a.rule_code == "OST-E-02"]
    assert [(a.cause_event_type, a.severity) for a in lost] == [("court_out", "high")]
    before = snapshot()
    sweep(at(30, 9))
    assert snapshot() == before

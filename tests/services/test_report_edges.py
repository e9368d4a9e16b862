"""The edge cases of report_edges.py, worked by hand there: where a transfer's
interruption is counted, missed doses clipped to the period, person-days counted
per programme and once, verified holds, outcomes not yet due, what a median
leaves out."""
from datetime import date

import pytest
from sqlalchemy import select

from prisoncare.extensions import db
from prisoncare.models import Facility
from prisoncare.models.interruptions import InterruptionEpisode
from prisoncare.services.reports import Scope
from prisoncare.services.reports.indicators import indicator_rows
from prisoncare.services.reports.interruptions import _compute, interruption_rows

from .report_edges import MARCH, build_edge_world, mar

ALL = Scope(*MARCH, None)


@pytest.fixture
def people(ctx):
    return build_edge_world()


def figures(rows, *groups):
    return {tuple(r[g] for g in groups): (r["interruptions"], r["missed_doses"],
                                          r["person_days_on_treatment"],
                                          r["rate_per_100_person_days"]) for r in rows}


def test_a_transfer_interruption_is_the_sending_facility_s(people):
    codes = {f.id: f.code for f in db.session.scalars(select(Facility))}
    episode = db.session.scalars(select(InterruptionEpisode).where(
        InterruptionEpisode.patient_id == people["T1"])).one()
    assert (episode.cause, episode.start_on, episode.end_on, episode.missed_doses) == (
        "transfer", date(2026, 3, 5), date(2026, 3, 6), 2)
    assert codes[episode.facility_id] == "FAC-A"
    assert figures(interruption_rows(ALL, ("facility",)), "facility") == {
        ("FAC-A",): (4, 7, 31, 12.9), ("FAC-C",): (0, 0, 2, 0.0)}


def test_the_facility_stays_when_the_sweep_recomputes_after_the_transfer(people):
    from tests.services.test_sweep_helpers import sweep
    from prisoncare import clock
    from prisoncare.services.interruption_episodes import recompute_episodes
    with clock.frozen(mar(10, 10)):
        recompute_episodes(db.session, mar(10, 10), recompute_days=30, intake_lookback_days=14,
                           programmes=("ost", "art", "tb", "hcv"), full=True)
        db.session.commit()
    sweep(mar(10, 11))
    episode = db.session.scalars(select(InterruptionEpisode).where(
        InterruptionEpisode.patient_id == people["T1"])).one()
    assert db.session.get(Facility, episode.facility_id).code == "FAC-A"


def test_missed_doses_are_those_due_in_the_period_and_episodes_count_by_start(people):
    assert figures(interruption_rows(ALL, ())) == {(): (4, 7, 33, 12.12)}
    feb = Scope(date(2026, 2, 1), date(2026, 2, 28), None)
    assert figures(interruption_rows(feb, ())) == {(): (1, 2, 8, 12.5)}
    # X3's going-on episode B has a missed dose on 9 March: 1-8 March does not count it
    nine = Scope(date(2026, 3, 1), date(2026, 3, 9), None)
    assert interruption_rows(nine, ())[0]["missed_doses"] == 8


def test_person_days_per_programme_and_a_total_counting_each_day_once(people):
    assert figures(interruption_rows(ALL, ("programme",)), "programme") == {
        ("art",): (2, 1, 8, 25.0), ("ost",): (2, 6, 25, 8.0)}
    rows, per_programme, once = _compute(ALL, ("programme",))
    assert (per_programme, once) == (33, 25)
    assert figures(interruption_rows(ALL, ("cause",)), "cause") == {
        ("intake_gap",): (1, 0, None, None), ("refusal",): (2, 5, None, None),
        ("transfer",): (1, 2, None, None)}


def table(rows):
    return {i["id"]: i["total"] for i in rows}


def test_dose_coverage_leaves_out_only_verified_holds_of_treatment(people):
    total = table(indicator_rows(ALL, ("sex",), mar(10, 10)))["dose_coverage"]
    assert (total["numerator"], total["denominator"], total["value"]) == (23, 31, 74.2)


def test_intake_outcomes_not_yet_due_are_left_out_and_the_never_dosed_shown(people):
    got = table(indicator_rows(ALL, ("sex",), mar(10, 10)))
    c, h = got["continuation_at_intake"], got["hours_to_first_dose"]
    assert (c["numerator"], c["denominator"], c["value"]) == (0, 1, 0.0)
    assert (h["denominator"], h["value"], h["outstanding"], h["outstanding_percent"]) == (
        0, None, 1, 100.0)
    nine = table(indicator_rows(Scope(date(2026, 3, 1), date(2026, 3, 9), None), ("sex",),
                                mar(10, 10)))
    c, h = nine["continuation_at_intake"], nine["hours_to_first_dose"]
    assert (c["numerator"], c["denominator"], c["value"]) == (1, 2, 50.0)
    assert (h["denominator"], h["value"], h["outstanding"], h["outstanding_percent"]) == (
        1, 10.0, 1, 50.0)


def test_an_appointment_still_to_come_is_not_judged(people):
    wide = Scope(date(2026, 2, 20), date(2026, 3, 9), None)
    a = table(indicator_rows(wide, ("sex",), mar(10, 10)))["first_appointment_attended"]
    assert (a["numerator"], a["denominator"], a["value"]) == (1, 1, 100.0)


def test_by_month_an_episode_s_missed_doses_fall_in_each_dose_s_month(people):
    # 20 Feb-8 Mar: X3's episode A (27 Feb-2 Mar) started in February, 2 doses in each
    # month; March: 4 started (P2, N1, T1, X3 B), missed 2 + 1 + 2 + 2 = 7 with X3 A's
    wide = Scope(date(2026, 2, 20), date(2026, 3, 8), None)
    rows = {r["month"]: (r["interruptions"], r["missed_doses"])
            for r in interruption_rows(wide, ("month",))}
    assert rows == {"2026-02": (1, 2), "2026-03": (4, 7)}
    assert interruption_rows(wide, ())[0]["missed_doses"] == 9

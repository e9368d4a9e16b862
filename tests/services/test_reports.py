"""The interruption report and the indicators on the hand-checked world of
report_world.py (services, no HTTP)."""
import pytest

from prisoncare.extensions import db
from prisoncare.services.reports import Scope
from prisoncare.services.reports.indicators import indicator_rows
from prisoncare.services.reports.interruptions import interruption_rows

from .report_world import FIRST, LAST, build_report_world
from .test_sweep_helpers import at

ALL = Scope(FIRST, LAST, None)


@pytest.fixture
def people(ctx):
    return build_report_world()


@pytest.fixture
def world_ids(people):
    from prisoncare.models import Facility
    return {f.code: f.id for f in db.session.scalars(db.select(Facility))}


def figures(rows, *groups):
    return {tuple(r[g] for g in groups): (r["interruptions"], r["missed_doses"],
                                          r["person_days_on_treatment"],
                                          r["rate_per_100_person_days"]) for r in rows}


def test_the_report_totals_and_by_sex(people):
    assert figures(interruption_rows(ALL, ())) == {(): (3, 4, 25, 12.0)}
    assert figures(interruption_rows(ALL, ("sex",)), "sex") == {
        ("female",): (2, 2, 16, 12.5), ("male",): (1, 2, 9, 11.11)}


def test_the_report_by_legal_status_cause_programme_age_and_month(people):
    assert figures(interruption_rows(ALL, ("legal_status",)), "legal_status") == {
        ("pretrial",): (2, 3, 21, 9.52), ("sentenced",): (1, 1, 4, 25.0)}
    # by cause: no person-days or rate per row (each would be the whole population's)
    assert figures(interruption_rows(ALL, ("cause",)), "cause") == {
        ("court",): (1, 1, None, None), ("documentation_gap",): (1, 2, None, None),
        ("refusal",): (1, 1, None, None)}
    assert figures(interruption_rows(ALL, ("programme",)), "programme") == {
        ("art",): (1, 2, 9, 11.11), ("ost",): (2, 2, 16, 12.5)}
    assert figures(interruption_rows(ALL, ("age_band",)), "age_band") == {
        ("<25",): (1, 1, 7, 14.29), ("35-44",): (1, 1, 9, 11.11), ("45-54",): (1, 2, 9, 11.11)}
    assert figures(interruption_rows(ALL, ("facility", "month")), "facility", "month") == {
        ("FAC-A", "2026-03"): (2, 2, 16, 12.5), ("FAC-B", "2026-03"): (1, 2, 9, 11.11)}


def test_a_facility_scope_counts_only_its_episodes_and_days(people, world_ids):
    fac_a = Scope(FIRST, LAST, frozenset({world_ids["FAC-A"]}), "FAC-A")
    assert figures(interruption_rows(fac_a, ())) == {(): (2, 2, 16, 12.5)}


def test_person_days_split_by_month_and_clipped_to_the_period(people):
    from datetime import date
    scope = Scope(date(2026, 2, 27), date(2026, 3, 4), None)
    # W1 and M1 from 1 March (4 days each), W2 from 3 March (2 days); February: none
    assert figures(interruption_rows(scope, ("month",)), "month") == {
        ("2026-03",): (0, 0, 10, 0.0)}


def indicator_table(rows):
    return {i["id"]: ({tuple(r[g] for g in ("sex",)): (r["numerator"], r["denominator"], r["value"],
                                                        r["level"]) for r in i["rows"]},
                      (i["total"]["numerator"], i["total"]["denominator"], i["total"]["value"],
                       i["total"]["level"]))
            for i in rows}


def test_every_indicator_by_sex(people):
    got = indicator_table(indicator_rows(ALL, ("sex",), at(10, 10)))
    assert got == {
        "continuation_at_intake": ({("female",): (2, 2, 100.0, None), ("male",): (1, 1, 100.0, None)},
                                   (3, 3, 100.0, None)),
        "hours_to_first_dose": ({("female",): (None, 2, 11.5, None), ("male",): (None, 1, 9.0, None)},
                                (None, 3, 9.0, None)),
        "dose_coverage": ({("female",): (12, 14, 85.7, None), ("male",): (7, 9, 77.8, None)},
                          (19, 23, 82.6, None)),
        "interruption_rate": ({("female",): (2, 16, 12.5, None), ("male",): (1, 9, 11.11, None)},
                              (3, 25, 12.0, None)),
        "intake_checklist_24h": ({("female",): (1, 2, 50.0, None), ("male",): (0, 1, 0.0, None)},
                                 (1, 3, 33.3, None)),
        "alert_response_hours": ({("female",): (None, 1, 3.0, None),
                                  ("male",): (None, 0, None, None)}, (None, 1, 3.0, None)),
        "release_plan_finalized": ({("female",): (1, 1, 100.0, None)}, (1, 1, 100.0, None)),
        "naloxone_issued": ({("female",): (1, 1, 100.0, None)}, (1, 1, 100.0, None)),
        "first_appointment_attended": ({}, (0, 0, None, None)),
        "ost_coverage": ({("female",): (2, 2, 100.0, "high"), ("male",): (0, 1, 0.0, "low")},
                         (2, 3, 66.7, "high")),
        "art_coverage": ({("female",): (0, 1, 0.0, None), ("male",): (1, 1, 100.0, None)},
                         (1, 2, 50.0, None)),
        "hiv_test_offered": ({("female",): (2, 2, 100.0, None), ("male",): (0, 1, 0.0, None)},
                             (2, 3, 66.7, None)),
        "hiv_test_accepted": ({("female",): (1, 2, 50.0, None), ("male",): (0, 1, 0.0, None)},
                              (1, 3, 33.3, None)),
    }


def test_medians_show_what_they_leave_out(people):
    got = {i["id"]: i for i in indicator_rows(ALL, ("sex",), at(10, 10))}
    alerts = got["alert_response_hours"]
    # 13 alerts opened 1-9 March, one answered (W1's court alert, 3 h): women 1 of 10,
    # men 0 of 3
    assert [(r["sex"], r["denominator"], r["outstanding"], r["outstanding_percent"])
            for r in alerts["rows"]] == [("female", 1, 9, 90.0), ("male", 0, 3, 100.0)]
    assert (alerts["total"]["outstanding"], alerts["total"]["outstanding_percent"]) == (12, 92.3)
    dosed = got["hours_to_first_dose"]["total"]
    assert (dosed["denominator"], dosed["outstanding"], dosed["outstanding_percent"]) == (3, 0, 0.0)


def test_a_response_after_the_period_end_is_outstanding_for_that_period(people):
    # W1's court alert opened 5 March 20:00 UTC (22:00 Kyiv), answered 23:00 UTC, i.e.
    # 01:00 Kyiv on 6 March: a period ending 5 March has it unanswered
    five = Scope(FIRST, FIRST.replace(day=5), None)
    total = {i["id"]: i for i in indicator_rows(five, ("sex",), at(10, 10))}[
        "alert_response_hours"]["total"]
    assert (total["denominator"], total["value"], total["outstanding"]) == (0, None, 10)

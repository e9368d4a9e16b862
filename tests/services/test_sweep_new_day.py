"""The first sweep of a new local day (issue 5): every episode going on grows by
the day. Most only lengthen, without rereading a dose (services/episode_growth);
the others are recomputed. Either way the routine sweep must end where a full
recompute does, and what grew must reach the alerts."""
from datetime import date, timedelta

import pytest

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.services import administration as mar
from prisoncare.services import orders
from tests.factories import build_world

from .test_sweep_helpers import (alerts, at, dose, episodes, give, on_community_methadone,
                                 on_methadone, staff, sweep)
from .test_sweep_incremental import (NOTHING, each_ends_where_a_full_pass_does,
                                     full_recompute)

DAY = timedelta(days=1)


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def counts(episode):
    return (episode.start_on, episode.end_on, episode.length_days, episode.missed_days,
            episode.held_days, episode.cause)


def open_codes(patient):
    return {a.rule_code for a in alerts(patient) if a.status == "open"}


def test_an_hcv_interruption_reaches_its_second_rung_at_midnight_by_growing_alone(w):
    patient, order = on_methadone("S-1", drug="Sofosbuvir/velpatasvir", programme="hcv")
    clock.set_now(at(8, 8))
    give(order, 8)
    sweep(at(15, 21, 45))                        # 23:45 in Kyiv: the 9th to the 15th missed
    [episode] = episodes(patient)
    assert counts(episode) == (date(2026, 3, 9), None, 7, 7, 0, "documentation_gap")
    assert "HCV-02" not in open_codes(patient)
    summary = sweep(at(15, 22, 5))               # 00:05 on the 16th: nothing recorded since
    assert summary["interruptions"] == "0 opened, 1 updated, 0 closed, 0 removed"
    [grown] = episodes(patient)
    assert (grown.id, grown.length_days, grown.missed_days) == (episode.id, 8, 7)
    assert "HCV-02" in open_codes(patient)       # day 8: the rules saw the new length
    assert full_recompute(at(15, 22, 5)) == NOTHING


def test_a_hold_recorded_ahead_counts_on_its_day_when_it_comes(w):
    patient, order = on_methadone()
    clock.set_now(at(8, 8))
    give(order, 8)
    sweep(at(10, 18))                            # the 9th and 10th missed
    clock.set_now(at(10, 19))                    # 21:00 in Kyiv: tomorrow's dose held ahead
    mar.record_administration(staff("clinician.a"), dose(order, 11), {
        "outcome": "held", "reason": "Sedated: hold the morning dose"}, now=clock.now())
    db.session.commit()
    sweep(at(10, 21, 45))
    assert counts(episodes(patient)[0]) == (date(2026, 3, 9), None, 2, 2, 0, "documentation_gap")
    sweep(at(10, 22, 5))                         # 00:05 on the 11th: the held day is today
    assert counts(episodes(patient)[0]) == (date(2026, 3, 9), None, 3, 3, 1, "documentation_gap")
    assert full_recompute(at(10, 22, 5)) == NOTHING


def test_community_methadone_never_continued_stays_on_record_past_the_intake_look_back(w):
    patient = on_community_methadone()
    sweep(at(9, 20))
    for days in (26, 27, 28, 29, 30):            # past the 28 days admissions are looked back
        sweep(at(9, 21, 45) + days * DAY)        # 23:45 in Kyiv
        sweep(at(9, 22, 5) + days * DAY)         # 00:05: a new day without her methadone
        [episode] = episodes(patient)
        assert counts(episode) == (date(2026, 3, 9), None, days + 2, days + 2, 0, "intake_gap")
        assert full_recompute(at(9, 22, 5) + days * DAY) == NOTHING


def test_a_switch_to_buprenorphine_prescribed_ahead_names_the_family_when_its_doses_are_made(w):
    patient, methadone = on_methadone()
    clock.set_now(at(8, 8))
    give(methadone, 8)
    sweep(at(10, 12))
    assert episodes(patient)[0].drug_family == "methadone"
    clock.set_now(at(10, 12, 5))
    orders.create_order(staff("clinician.a"), patient, {
        "programme": "ost", "drug": "Buprenorphine sublingual", "dose": 8, "unit": "mg",
        "route": "sublingual", "schedule": {"times": ["09:00"], "every_days": 1},
        "start_at": at(12, 0), "administration": "witnessed"}, now=clock.now())
    db.session.commit()
    sweep(at(10, 12, 15))                        # its first dose (12th, 07:00Z) not yet made
    assert episodes(patient)[0].drug_family == "methadone"
    steps = [(at(10, 18, 30) + i * 15 * timedelta(minutes=1), lambda: None) for i in range(4)]
    each_ends_where_a_full_pass_does(steps, lambda now: sum(full_recompute(now).values()))
    assert episodes(patient)[0].drug_family == "buprenorphine"   # made at 19:00Z, 36 h ahead

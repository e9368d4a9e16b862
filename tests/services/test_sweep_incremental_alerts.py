"""The alert jobs of the routine sweep (evaluate-rules, srh-alerts) read only what
changed since they last ran (issue 5, speed): they must still end exactly where a
full pass over everyone would, through late entries, new SRH records, a release
and the local day changing."""
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS
from prisoncare.models import Alert
from prisoncare.models.interruptions import SweepWatermark
from prisoncare.rules.srh import prophylaxis_due_at
from prisoncare.services import orders, srh, srh_care
from prisoncare.services.srh import alerts as srh_alerts
from prisoncare.services import administration as mar
from tests.factories import SYSTEM, admit, build_world, make_facility, make_patient

from .test_sweep_helpers import (alerts, at, court_day, dose, event, give, on_methadone, snapshot,
                                 staff, sweep)

MIN = timedelta(minutes=1)
PROPHYLAXIS_HOURS = prophylaxis_due_at(at(1, 0), at(1, 0)) - at(1, 0)
ALERT_JOBS = tuple(j for j in JOBS if j.id in ("evaluate-rules", "srh-alerts"))
ART = {"programme": "art", "drug": "TLD", "dose": 1, "unit": "tablet", "route": "oral",
       "schedule": {"times": ["08:00"], "every_days": 1}, "administration": "nurse_administered"}


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def full_pass_changes(now) -> bool:
    """Whether a full pass of the alert jobs at `now` (no watermark) changes anything."""
    before = snapshot()
    db.session.execute(delete(SweepWatermark))
    db.session.commit()
    sweep(now, ALERT_JOBS)
    return snapshot() != before


def test_routine_alert_sweeps_end_where_a_full_pass_does(w):
    meth, meth_order = on_methadone("S-1")
    art, art_order = on_methadone("S-4", drug="Tenofovir/lamivudine/dolutegravir",
                                  programme="art", times=("09:00", "21:00"))
    mother = make_patient("S-2", born=date(1994, 2, 1))
    admit(mother, at=at(1, 9))
    screened = make_patient("S-3", born=date(1980, 5, 1))    # due for screening only
    admit(screened, at=at(1, 9))
    db.session.commit()
    clock.set_now(at(10, 19))
    give(meth_order, 8)
    sweep(at(10, 19, 45))                        # 9 and 10 March unrecorded: a ladder climbs
    assert any(a.patient_id == meth.id for a in db.session.scalars(select(Alert)))
    changes = [
        lambda: srh.record_pregnancy(SYSTEM, mother, {"dating_method": "lmp",
                                                      "lmp_on": date(2025, 12, 20)}, now=clock.now()),
        lambda: srh_care.record_child(      # HIV-exposed: prophylaxis late in 25 minutes
            SYSTEM, screened, {"name": "Baby K", "born_at": clock.now() - timedelta(days=8),
                               "arrived_at": clock.now() + 25 * MIN - PROPHYLAXIS_HOURS,
                               "hiv_exposed": True}, now=clock.now()),
        lambda: give(meth_order, 9),             # a late entry: the ladder starts again
        lambda: give(art_order, 7),              # the first ART dose given late: a new run
        lambda: orders.create_order(SYSTEM, mother, ART, now=clock.now()),
        lambda: court_day(meth, 10),             # an escort's record entered late
        lambda: None,                            # 22:00 UTC: midnight in Kyiv, a new day
        lambda: srh.record_contact(SYSTEM, mother, {"contact_on": date(2026, 3, 10)},
                                   now=clock.now()),
        lambda: event(screened, "release", clock.now(), release_from="facility"),
        lambda: None,
    ]
    instant = at(10, 20, 30)
    for change in changes:
        clock.set_now(instant - 5 * MIN)
        change()
        db.session.commit()
        sweep(instant)
        assert not full_pass_changes(instant), instant
        instant += 15 * MIN
    keys = {a.dedup_key.split(":")[0] for a in db.session.scalars(select(Alert))}
    assert {"OST-M-02", "ART-02", "ART-05", "SRH-IMM", "SRH-VL"} <= keys
    released = db.session.scalars(select(Alert).where(Alert.patient_id == screened.id,
                                                      Alert.status == "open")).all()
    assert [a.dedup_key for a in released if a.dedup_key.startswith("SRH-")] == []


def test_a_routine_run_looks_again_only_at_the_women_whose_facts_changed(w, monkeypatch):
    women = [make_patient(f"W-{n}", born=date(1980, 5, 1)) for n in range(3)]
    for woman in women:
        admit(woman, at=at(1, 9))
    db.session.commit()
    seen = []
    real = srh_alerts.sync
    monkeypatch.setattr(srh_alerts, "sync",
                        lambda **kw: seen.append(kw.get("patient_ids")) or real(**kw))
    sweep(at(10, 10), ALERT_JOBS)                # the first run: everyone
    assert seen == [None]
    clock.set_now(at(10, 10, 10))
    srh.record_pregnancy(SYSTEM, women[1], {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)},
                         now=clock.now())
    db.session.commit()
    sweep(at(10, 10, 15), ALERT_JOBS)
    assert seen == [None, {women[1].id}]
    sweep(at(10, 22, 0), ALERT_JOBS)             # midnight in Kyiv: a full pass
    assert seen[-1] is None



def test_srh_alerts_makes_its_daily_full_pass_at_the_new_local_day_and_not_again_at_utc_midnight(
        w, monkeypatch):
    women = [make_patient(f"W-{n}", born=date(1980, 5, 1)) for n in range(2)]
    for woman in women:
        admit(woman, at=at(1, 9))
    clock.set_now(at(10, 20))
    srh.record_pregnancy(SYSTEM, women[0], {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)},
                         now=clock.now())
    db.session.commit()
    seen = []
    real = srh_alerts.sync
    monkeypatch.setattr(srh_alerts, "sync",
                        lambda **kw: seen.append(kw.get("patient_ids")) or real(**kw))
    sweep(at(10, 21, 50), ALERT_JOBS)            # the first run: everyone
    sweep(at(10, 22, 5), ALERT_JOBS)             # 00:05 in Kyiv, 11 March: the day's full pass
    assert seen == [None, None]
    sweep(at(11, 0, 5), ALERT_JOBS)              # 02:05 in Kyiv: a new UTC day, the same local day
    assert seen[2:] == [{women[0].id}]           # only the woman whose deadlines run by the hour
    assert not full_pass_changes(at(11, 0, 5))


LATER_RUNGS = {"OST-M-02": {"min": 3}, "OST-M-03": {"min": 4}, "OST-M-04": {"min": 5},
               "OST-M-05": {"min": 6}}


def test_a_change_of_the_rule_table_takes_effect_at_the_next_routine_run(w, app):
    patient, order = on_methadone("S-1")
    clock.set_now(at(10, 19))
    give(order, 8)
    app.config["ALERT_RULE_OVERRIDES"] = LATER_RUNGS
    try:
        sweep(at(10, 20))                        # 9 and 10 March: two days without a dose
    finally:
        app.config["ALERT_RULE_OVERRIDES"] = None
    codes = {a.rule_code for a in db.session.scalars(select(Alert)) if a.patient_id == patient.id}
    assert "OST-M-01" in codes and "OST-M-02" not in codes
    sweep(at(10, 20, 15), ALERT_JOBS)            # nothing recorded since: only the table changed
    codes = {a.rule_code for a in db.session.scalars(select(Alert)) if a.patient_id == patient.id}
    assert "OST-M-02" in codes


def test_a_missed_dose_leaving_the_window_is_seen_by_a_routine_run(w):
    """ART-02 looks 14 + 7 days back: when the first dose of a run leaves that span,
    the rest of the run is a new run (the full pass raises it), with nothing recorded."""
    patient, order = on_methadone("A-1", first_day=2, drug="Tenofovir/lamivudine/dolutegravir",
                                  programme="art", times=("09:00",))
    sweep(at(5, 10))                             # 2 to 5 March missed: one run
    assert len([a for a in db.session.scalars(select(Alert)) if a.rule_code == "ART-02"]) == 1
    sweep(at(23, 6, 50), ALERT_JOBS)             # the 2nd's dose (07:00 UTC) still in the span
    sweep(at(23, 7, 5), ALERT_JOBS)              # ... and now out of it
    assert len([a for a in db.session.scalars(select(Alert)) if a.rule_code == "ART-02"]) == 2
    assert not full_pass_changes(at(23, 7, 5))


def test_a_refusal_voided_or_a_late_entry_over_a_mark_is_seen_by_a_routine_run(w):
    """A dose given from `due` changes no run of doses not taken, and a routine run
    does not read it again; a dose that was not taken and now is (a refusal voided
    and recorded given, a late entry over a missed mark) can change the runs, and is
    read again: the routine run ends where a full pass would."""
    patient, order = on_methadone("A-2", first_day=2, drug="Tenofovir/lamivudine/dolutegravir",
                                  programme="art", times=("09:00",))
    clock.set_now(at(2, 8))
    refused = mar.record_administration(staff("nurse.a"), dose(order, 2), {
        "outcome": "refused", "reason": "Said she felt sick"}, now=clock.now())
    db.session.commit()
    sweep(at(5, 19))                             # refused on the 2nd, missed 3rd to 5th
    assert [a.dedup_key for a in alerts(patient) if a.rule_code == "ART-02"] == [
        f"ART-02:dose:{refused.dose_id}"]
    clock.set_now(at(5, 19, 5))                  # the refusal was another woman's
    mar.void_administration(staff("nurse.a"), dose(order, 2), "Wrong patient", now=clock.now())
    give(order, 2)
    sweep(at(5, 19, 15), ALERT_JOBS)
    assert not full_pass_changes(at(5, 19, 15))
    clock.set_now(at(5, 19, 40))                 # (the void now before the run's margin)
    give(order, 3)                               # a late entry over the 3rd's missed mark
    sweep(at(5, 19, 45), ALERT_JOBS)
    assert not full_pass_changes(at(5, 19, 45))
    assert len([a for a in alerts(patient) if a.rule_code == "ART-02"]) == 3


def test_srh_alerts_follow_each_facility_s_local_day_through_a_transfer_between_time_zones(w):
    """Women in Kyiv (UTC+3 from 29 March) and Tokyo (UTC+9): the first screening
    offered within 30 days of 1 March turns overdue at each facility's own midnight
    after the 31st; a woman transferred from Kyiv to Tokyo (pregnant, her baby with
    her) follows Tokyo's; every routine run ends where a full pass does."""
    make_facility("FAC-T", population="women", timezone="Asia/Tokyo")
    kyiv, moved = (make_patient(n, born=date(1980, 5, 1)) for n in ("K-1", "M-1"))
    tokyo = make_patient("T-1", facility="FAC-T", born=date(1980, 5, 1))
    for woman, facility in ((kyiv, "FAC-A"), (moved, "FAC-A"), (tokyo, "FAC-T")):
        admit(woman, facility=facility, at=at(1, 9))
    db.session.commit()
    clock.set_now(at(30, 9))
    srh.record_pregnancy(SYSTEM, moved, {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)},
                         now=clock.now())
    srh_care.record_child(SYSTEM, moved, {"name": "Baby M", "born_at": at(20, 4)}, now=clock.now())
    db.session.commit()
    sweep(at(30, 10), ALERT_JOBS)

    def overdue_screening():
        return {a.patient_id: a.facility_id for a in db.session.scalars(
            select(Alert).where(Alert.rule_code == "SRH-CX", Alert.status == "open"))}

    steps = [
        (at(30, 12, 5), lambda: event(moved, "transfer_out", at(30, 12), to_facility="FAC-T")),
        (at(30, 18, 5), lambda: event(moved, "transfer_in", at(30, 18), facility="FAC-T", ward="A")),
        (at(31, 14, 50), lambda: None),      # 23:50 in Tokyo: nobody overdue yet
        (at(31, 15, 5), lambda: None),       # 00:05 on 1 April in Tokyo, 18:05 in Kyiv
        (at(31, 21, 5), lambda: None),       # 00:05 on 1 April in Kyiv
    ]
    seen = []
    for instant, change in steps:
        clock.set_now(instant - 5 * MIN)
        change()
        db.session.commit()
        sweep(instant, ALERT_JOBS)
        assert not full_pass_changes(instant), instant
        seen.append(overdue_screening())
    fac_a, fac_t = kyiv.facility_id, tokyo.facility_id
    assert fac_a != fac_t and moved.facility_id == fac_t
    assert seen[2] == {}
    assert seen[3] == {tokyo.id: fac_t, moved.id: fac_t}
    assert seen[4] == {tokyo.id: fac_t, moved.id: fac_t, kyiv.id: fac_a}


"""The routine sweep does only what changed (issue 5, speed): it must still end
exactly where a full recompute would. Generation fills holes, marking reaches a
patient away since before the window, escalation moves many alerts at once."""
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import _settings
from prisoncare.models import Alert
from prisoncare.models.medication import ScheduledDose
from prisoncare.services import administration as mar
from prisoncare.services import alerts as alert_service
from prisoncare.services import orders
from prisoncare.services.dose_marks import mark_absent
from prisoncare.services.doses import generate_doses
from prisoncare.services.interruption_episodes import recompute_episodes
from tests.factories import build_world, make_patient, admit

from .test_sweep_helpers import (at, court_day, dose, episodes, event, give, on_methadone,
                                 snapshot, staff, sweep)

MIN = timedelta(minutes=1)


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def full_recompute(now):
    """What a full recompute of the episodes changes at `now` (nothing, if the
    routine runs kept up)."""
    s = _settings()["interruptions"]
    with clock.frozen(now):
        counts = recompute_episodes(db.session, now, recompute_days=s["recompute_days"],
                                    intake_lookback_days=s["intake_lookback_days"],
                                    programmes=s["programmes"], full=True)
    db.session.commit()
    db.session.expire_all()
    return counts


NOTHING = {"opened": 0, "updated": 0, "closed": 0, "removed": 0}


def test_routine_sweeps_every_15_minutes_end_where_a_full_recompute_does(w):
    meth, meth_order = on_methadone("S-1")
    art, art_order = on_methadone("S-2", drug="Tenofovir/lamivudine/dolutegravir",
                                  programme="art", times=("09:00", "21:00"))
    clock.set_now(at(10, 20))
    give(meth_order, 8)
    sweep(at(10, 20))                            # 9 and 10 March unrecorded: an episode
    [before] = episodes(meth)
    assert before.start_on == date(2026, 3, 9) and before.end_on is None
    changes = [
        lambda: give(meth_order, 9),             # a late entry: the episode now starts on the 10th
        lambda: court_day(art, 10),              # an escort's record entered late
        lambda: mar.void_administration(staff("nurse.a"), dose(meth_order, 9), "wrong patient",
                                        now=clock.now()),
        lambda: event(meth, "transfer_out", clock.now(), to_facility="FAC-B"),
    ]
    instant = at(10, 20)
    for change in changes:
        instant += 15 * MIN
        clock.set_now(instant - 5 * MIN)
        change()
        db.session.commit()
        sweep(instant)
        routine = snapshot(with_times=False)
        assert full_recompute(instant) == NOTHING
        assert snapshot(with_times=False) == routine
    [after] = episodes(meth)
    assert after.id == before.id and after.start_on == date(2026, 3, 9)
    assert dose(art_order, 10).status == "absent"       # the morning dose, lost at court
    assert [e.cause for e in episodes(art)] == ["documentation_gap"]   # the evening one pending


def test_an_ongoing_episode_grows_at_the_next_local_day_with_nothing_recorded(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    sweep(at(9, 20))
    [episode] = episodes(patient)
    assert (episode.start_on, episode.length_days) == (date(2026, 3, 9), 1)
    sweep(at(9, 21, 45))                         # 23:45 in Kyiv: still the 9th
    assert episodes(patient)[0].length_days == 1
    sweep(at(9, 22, 0))                          # midnight in Kyiv: the 10th
    assert episodes(patient)[0].length_days == 2
    assert full_recompute(at(9, 22, 0)) == NOTHING


def test_a_second_run_at_the_same_instant_recomputes_nothing_new(w):
    patient, order = on_methadone()
    clock.set_now(at(10, 12))
    sweep(at(10, 12))
    clock.set_now(at(10, 12))
    give(order, 9)                               # recorded at the very instant of the sweep
    summary = sweep(at(10, 12))                  # the 8th alone, then the 10th on
    assert summary["interruptions"] == "1 opened, 0 updated, 1 closed, 0 removed"
    assert sweep(at(10, 12))["interruptions"] == "0 opened, 0 updated, 0 closed, 0 removed"


def count_doses(order):
    return db.session.scalar(select(func.count()).select_from(ScheduledDose)
                             .where(ScheduledDose.order_id == order.id))


def test_generation_fills_a_hole_in_the_past_week_and_otherwise_adds_only_new_instants(w):
    patient, order = on_methadone(times=("08:00", "20:00"))
    clock.set_now(at(10, 6))
    window = (at(10, 6) - timedelta(hours=168), at(10, 6) + timedelta(hours=36))
    generate_doses(db.session, *window, clock.now())
    have = count_doses(order)
    assert have == 8                            # 7 March 20:00 Kyiv (start 10:00 UTC) to 11 March 08:00
    assert generate_doses(db.session, *window, clock.now()) == 0
    hole = dose(order, 9)
    db.session.execute(delete(ScheduledDose).where(ScheduledDose.id == hole.id))
    assert generate_doses(db.session, *window, clock.now()) == 1
    assert count_doses(order) == have
    later = (window[0] + timedelta(hours=12), window[1] + timedelta(hours=12))
    assert generate_doses(db.session, *later, clock.now()) == 1    # 11 March 20:00 Kyiv
    assert count_doses(order) == have + 1


def test_a_patient_in_hospital_since_before_the_window_has_her_doses_marked_absent(w):
    patient, order = on_methadone(first_day=2)
    clock.set_now(at(2, 12))
    event(patient, "hospital_out", at(2, 12))    # and still there twelve days later
    sweep(at(14, 12))
    due = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.order_id == order.id, ScheduledDose.due_at >= at(7, 12),
        ScheduledDose.due_at <= at(14, 12))).all()
    assert due and {d.status for d in due} == {"absent"}


def test_escalation_moves_every_alert_behind_to_its_level_in_one_run(w):
    patient = make_patient("E-1")
    admit(patient, at=at(1, 9))
    spec = {s: alert_service.AlertSpec(rule_code=f"T-{s}", severity=s, role="nurse",
                                       programme="ost", message="m")
            for s in ("critical", "high", "warning", "info")}
    opened = at(10, 6)
    made = {s: alert_service.raise_alert(spec[s], patient, dedup_key=f"k-{s}", now=opened)
            for s in spec}
    acknowledged = alert_service.raise_alert(spec["critical"], patient, dedup_key="k-ack",
                                             now=opened)
    alert_service.acknowledge(staff("nurse.a"), acknowledged, None, now=opened + MIN)
    db.session.commit()
    later = opened + 70 * MIN
    assert alert_service.escalate_open_alerts(now=later) == 2      # critical and high
    levels = {a.dedup_key: (a.escalation_level, a.escalated_at)
              for a in db.session.scalars(select(Alert))}
    assert levels["k-critical"] == (3, opened + 45 * MIN)          # 15-minute steps, at most 3
    assert levels["k-high"] == (1, opened + 60 * MIN)
    assert levels["k-warning"] == (0, None) and levels["k-info"] == (0, None)
    assert levels["k-ack"] == (0, None)
    assert made["high"].escalation_level == 1    # the session's own objects show it
    assert alert_service.escalate_open_alerts(now=later) == 0


def test_her_other_programme_reaching_further_back_does_not_duplicate_an_old_episode(w):
    """On methadone and ART: the methadone episode going on since the 4th makes the
    sweep read her doses from then; the ART day lost on the 5th, before the 14-day
    window of the 20th, stays the one episode it was."""
    from prisoncare.services import orders
    patient, ost = on_methadone("S-9", first_day=2)
    art = orders.create_order(staff("clinician.a"), patient, {
        "programme": "art", "drug": "TLD", "dose": 1, "unit": "tablet", "route": "oral",
        "schedule": {"times": ["09:00"], "every_days": 1}, "start_at": at(1, 10),
        "administration": "nurse_administered"}, now=clock.now())
    db.session.commit()
    for day in range(2, 21):
        clock.set_now(at(day, 20))
        if day < 4:
            give(ost, day)
        if day not in (5, 15):
            give(art, day)
        sweep(at(day, 20))
    by_programme = {}
    for e in episodes(patient):
        by_programme.setdefault(e.programme, []).append((e.start_on, e.end_on))
    assert by_programme == {"art": [(date(2026, 3, 5), date(2026, 3, 5)),
                                    (date(2026, 3, 15), date(2026, 3, 15))],
                            "ost": [(date(2026, 3, 4), None)]}
    assert full_recompute(at(20, 20)) == NOTHING


def test_the_morning_round_recomputes_only_patients_near_an_episode(w, monkeypatch):
    """Doses given on time change no episode: the routine run after the round
    recomputes only the woman whose ongoing episode the given dose ends, and still
    ends where a full recompute does."""
    steady, steady_order = on_methadone("S-1")
    lapsed, lapsed_order = on_methadone("S-2")
    clock.set_now(at(9, 8))
    give(steady_order, 8)
    give(steady_order, 9)
    give(lapsed_order, 8)                        # nothing on the 9th: an episode
    sweep(at(9, 20))
    [ongoing] = episodes(lapsed)
    assert ongoing.end_on is None and episodes(steady) == []
    import prisoncare.services.interruption_episodes as ie
    seen = []
    real = ie._candidates

    def spy(session, window_start, programmes, now, intake_days, patients=None):
        seen.append(set(patients) if patients is not None else None)
        return real(session, window_start, programmes, now, intake_days, patients)
    monkeypatch.setattr(ie, "_candidates", spy)
    clock.set_now(at(10, 6, 5))
    give(steady_order, 10)                       # the 08:00 round, on time
    give(lapsed_order, 10)                       # her first dose since the 8th
    sweep(at(10, 6, 15))
    assert seen[-1] == {lapsed.id}
    [ended] = episodes(lapsed)
    assert (ended.id, ended.start_on, ended.end_on) == (ongoing.id, date(2026, 3, 9),
                                                        date(2026, 3, 9))
    assert episodes(steady) == []
    monkeypatch.undo()
    assert full_recompute(at(10, 6, 15)) == NOTHING


def each_ends_where_a_full_pass_does(steps, full_pass):
    """Each (instant, change): the change made 5 minutes before, a routine sweep at the
    instant, and then `full_pass(instant)` must change nothing."""
    for instant, change in steps:
        clock.set_now(instant - 5 * MIN)
        change()
        db.session.commit()
        sweep(instant)
        assert full_pass(instant) == 0, instant


def full_mark_absent(now):
    """How many doses a full pass of mark-absent at `now` changes (none, if the
    routine runs, reading only what changed since the last, kept up)."""
    with clock.frozen(now):
        changed = mark_absent(db.session, now, since=now - timedelta(hours=168), ahead_hours=36)
    db.session.commit()
    db.session.expire_all()
    return changed


def test_routine_mark_absent_ends_where_a_full_pass_does(w):
    meth, meth_order = on_methadone("S-1")
    art, art_order = on_methadone("S-2", drug="Tenofovir/lamivudine/dolutegravir",
                                  programme="art", times=("09:00", "21:00"))
    sweep(at(10, 20))
    changes = [
        (at(10, 20, 15), lambda: mar.record_administration(      # recorded for her by mistake ...
            staff("nurse.a"), dose(art_order, 10), {"outcome": "given", "witnessed_by": "nurse.a"},
            now=clock.now())),
        (at(10, 20, 30), lambda: [court_day(p, 10) for p in (art, meth)]),   # entered late
        (at(10, 20, 45), lambda: None),
        (at(10, 21, 0), lambda: mar.void_administration(         # ... she was at court: absent
            staff("nurse.a"), dose(art_order, 10), "She was at court", now=clock.now())),
        (at(10, 21, 15), lambda: event(meth, "hospital_out", clock.now())),
        (at(11, 6, 30), lambda: None),                 # her 08:00 dose fell due in hospital
        (at(11, 7, 45), lambda: None),
        (at(11, 8, 15), lambda: orders.create_order(staff("clinician.a"), meth, {   # backdated:
            "programme": "tb", "drug": "HRZE", "dose": 4, "unit": "tablet", "route": "oral",
            "schedule": {"times": ["09:30"], "every_days": 1}, "start_at": at(10, 12),
            "administration": "nurse_administered"}, now=clock.now())),   # 07:30Z made now
        (at(11, 8, 30), lambda: event(art, "release", clock.now(), release_from="facility")),
        (at(11, 20, 0), lambda: None),                 # her doses generated ahead fell due
    ]
    each_ends_where_a_full_pass_does(changes, full_mark_absent)
    assert dose(art_order, 10).status == "absent" and dose(meth_order, 10).status == "absent"
    tb = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.patient_id == meth.id, ScheduledDose.order_id != meth_order.id)).all()
    assert tb and {d.status for d in tb if d.due_at <= at(11, 20)} == {"absent"}
    assert {d.status for d in db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.order_id == art_order.id, ScheduledDose.due_at > at(11, 8, 25),
        ScheduledDose.due_at <= at(11, 20)))} == {"absent"}


def full_generation(now):
    """How many doses a full pass of generation at `now` makes (none, if the routine
    runs, each making only the instants new since the last and the doses of the
    patients whose orders or custody changed, kept up)."""
    made = generate_doses(db.session, now - timedelta(hours=168), now + timedelta(hours=36), now)
    db.session.commit()
    return made


def test_routine_generation_makes_what_a_full_pass_would(w):
    meth, meth_order = on_methadone("S-1")
    newcomer = make_patient("S-9")
    sweep(at(10, 20))
    steps = [
        (at(10, 20, 15), lambda: orders.create_order(staff("clinician.a"), meth, {  # backdated
            "programme": "tb", "drug": "HRZE", "dose": 4, "unit": "tablet", "route": "oral",
            "schedule": {"times": ["09:30", "21:30"], "every_days": 1}, "start_at": at(5, 12),
            "administration": "nurse_administered"}, now=clock.now())),
        (at(10, 20, 30), lambda: None),
        (at(11, 9, 0), lambda: None),                            # the window's end moved on
        (at(11, 9, 15), lambda: admit(newcomer, at=at(11, 7))),  # admitted two hours ago ...
        (at(11, 9, 30), lambda: orders.create_order(staff("clinician.a"), newcomer, {
            "programme": "ost", "drug": "Methadone oral solution", "dose": 40, "unit": "mg",
            "route": "oral", "schedule": {"times": ["08:00"], "every_days": 1},
            "start_at": at(11, 8), "administration": "witnessed"}, now=clock.now())),
        (at(11, 10, 0), lambda: event(newcomer, "release", clock.now(), release_from="facility")),
        (at(11, 20, 0), lambda: None),                           # her dose of the 13th not made
        (at(11, 20, 15), lambda: admit(newcomer, at=at(11, 20))),   # back: it is made now
    ]
    each_ends_where_a_full_pass_does(steps, full_generation)
    tb = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.patient_id == meth.id, ScheduledDose.order_id != meth_order.id)).all()
    assert min(d.due_at for d in tb) == at(5, 19, 30) and max(d.due_at for d in tb) > at(12, 7)
    assert at(13, 6) in db.session.scalars(select(ScheduledDose.due_at).where(
        ScheduledDose.patient_id == newcomer.id)).all()

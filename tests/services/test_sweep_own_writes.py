"""A routine sweep does not read again what the previous sweep wrote itself (issue 5,
speed: the first sweep after one that marked thousands of doses and opened
thousands of episodes costs what a quiet one does), but it still reads every
write by a person or the PMS within the late-commit margin, whatever the order in
which the jobs ran, and after a job that failed.

The clock is frozen: a write "stamped before the sweep but committed after it"
is made after the sweep, with the clock set back."""
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import event as sa_event, select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS, run_all
from prisoncare.models import Alert
from prisoncare.models.medication import ScheduledDose
from tests.factories import build_world

from .test_sweep_helpers import at, dose, episodes, event, give, on_methadone, sweep
from .test_sweep_incremental import NOTHING, full_recompute
from .test_sweep_incremental_alerts import full_pass_changes

MIN = timedelta(minutes=1)
JOB = {j.id: j for j in JOBS}
READERS = ("interruptions", "evaluate-rules", "srh-alerts")
BIG = at(10, 12, 10)     # 14:10 in Kyiv: the 8th, 9th and 10th's 08:00 doses are past grace


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def statements_per_job(now) -> dict:
    """Sweep at `now`, counting the SQL statements each job ran."""
    counts, current = {}, []

    def count(*_args):
        if current:
            counts[current[0]] = counts.get(current[0], 0) + 1

    def counted(job):
        def run(at_):
            current[:] = [job.id]
            try:
                return job.run(at_)
            finally:
                current.clear()
        return replace(job, run=run)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    try:
        sweep(now, tuple(counted(j) for j in JOBS))
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", count)
    return counts


def ladder_codes(patient):
    """Her open alerts' rules (a lower rung is resolved as superseded)."""
    return {a.rule_code for a in db.session.scalars(select(Alert).where(
        Alert.patient_id == patient.id, Alert.status == "open"))}


def test_the_first_routine_sweep_after_a_big_one_reads_what_a_quiet_one_reads(w):
    orders = [on_methadone(f"B-{n}")[1] for n in range(6)]
    sweep(BIG)                                        # six women, three days unrecorded
    assert len(episodes()) == 6
    assert db.session.scalar(select(ScheduledDose.status_run).where(
        ScheduledDose.order_id == orders[0].id, ScheduledDose.status == "missed")) is not None
    after_big = statements_per_job(BIG + 15 * MIN)
    quiet = statements_per_job(BIG + 30 * MIN)
    assert {j: after_big[j] for j in READERS} == {j: quiet[j] for j in READERS}
    # ... and a nurse's late entry in between is read, and costs more
    clock.set_now(BIG + 40 * MIN)
    give(orders[0], 9)
    busier = statements_per_job(BIG + 45 * MIN)
    assert busier["interruptions"] > quiet["interruptions"]
    assert full_recompute(BIG + 45 * MIN) == NOTHING


@pytest.mark.parametrize("stamped", [BIG - 2 * MIN, BIG], ids=["before", "same-instant"])
def test_a_record_stamped_before_the_sweep_and_committed_after_it_is_read(w, stamped):
    patient, order = on_methadone()
    sweep(BIG)                                        # 8, 9 and 10 March missed
    [before] = episodes(patient)
    assert (before.start_on, before.missed_days) == (date(2026, 3, 8), 3)
    # The nurse's request began before (or at) the sweep's instant; it committed
    # after the sweep had read the doses (here: after the sweep, clock set back).
    clock.set_now(stamped)
    give(order, 9)
    assert dose(order, 9).status_run is None          # a person's write: no run number
    sweep(BIG + 15 * MIN)
    assert [(e.start_on, e.end_on) for e in episodes(patient)] == [
        (date(2026, 3, 8), date(2026, 3, 8)), (date(2026, 3, 10), None)]
    assert full_recompute(BIG + 15 * MIN) == NOTHING
    assert not full_pass_changes(BIG + 15 * MIN)


def test_a_mark_made_after_the_reader_ran_at_the_same_instant_is_read(w):
    """The scheduler's ticks at one instant may run the reader before the writer
    (here with a frozen clock): the run numbers, not the stamps, decide."""
    patient, order = on_methadone()
    sweep(at(10, 11))                                 # the 10th not yet past grace
    assert episodes(patient)[0].missed_doses == 2
    sweep(BIG, (JOB["interruptions"],))               # the reader first: nothing new
    sweep(BIG, (JOB["mark-missed"],))                 # then the 10th marked, at BIG too
    assert dose(order, 10).status == "missed"
    sweep(BIG + 15 * MIN, (JOB["interruptions"],))
    assert episodes(patient)[0].missed_doses == 3
    assert full_recompute(BIG + 15 * MIN) == NOTHING


def test_after_a_job_failed_the_next_sweep_reads_what_the_jobs_before_it_wrote(w):
    patient, order = on_methadone()
    sweep(at(10, 11))                                 # 8 and 9 March: the 2-day rung
    assert "OST-M-02" in ladder_codes(patient)

    def killed(_now):
        raise RuntimeError("killed")
    jobs = tuple(replace(j, run=killed) if j.id == "evaluate-rules" else j for j in JOBS)
    with clock.frozen(BIG):
        results = {job: ok for job, ok, _ in run_all(BIG, jobs)}
    assert results["interruptions"] and not results["evaluate-rules"]
    assert episodes(patient)[0].missed_days == 3      # written, but no alert read it
    assert "OST-M-03" not in ladder_codes(patient)
    sweep(BIG + 15 * MIN)
    assert "OST-M-03" in ladder_codes(patient)
    assert not full_pass_changes(BIG + 15 * MIN)


def test_an_episode_cut_by_a_release_from_court_grows_by_the_next_local_day(w):
    """Released from court: the day after counts too (no supply was handed over). Nothing
    is written that day; the new local day alone brings her episode back, as it does an
    episode going on (the routine sweep no longer finds her among its own marks)."""
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(9, 18))                                  # her dose of the 10th made ahead
    clock.set_now(at(10, 5))
    event(patient, "court_out", at(10, 5))
    clock.set_now(at(10, 11))
    event(patient, "release", at(10, 11))            # from court
    sweep(at(10, 12))
    sweep(at(10, 12, 15))
    assert [(e.start_on, e.end_on) for e in episodes(patient)] == [
        (date(2026, 3, 10), date(2026, 3, 10))]
    sweep(at(10, 22, 15))                             # 00:15 on the 11th in Kyiv
    [episode] = episodes(patient)
    assert (episode.end_on, dict(episode.cause_days)) == (
        date(2026, 3, 11), {"court": 1, "release_without_supply": 1})
    assert full_recompute(at(10, 22, 15)) == NOTHING

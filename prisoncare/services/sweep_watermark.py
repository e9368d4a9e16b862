"""What changed since a sweep job last took everything into account.

A job that recomputes derived rows (the interruption episodes) need not reread
the whole recent record every 15 minutes: it keeps a watermark, the instant up to
which it has taken every change into account, written in the job's own
transaction (a job killed halfway leaves it where it was, and the next run
rereads from there: downtime is caught up the same way). The next run recomputes
only the patients whose inputs changed since the watermark, less a margin for a
change that was stamped before the watermark but committed after the job read
the data:

* doses whose status changed (a record, a correction, a late entry, a mark):
  `scheduled_dose.status_at`;
* custody movements entered (a transfer moves her episodes to the new facility;
  a release closes them): `custody_event.recorded_at`;
* orders prescribed or discontinued, or starting between the watermark and a
  week ahead (the drug of her latest dose, generated ahead, names the OST
  family): `medication_order.created_at`, `discontinued_at`, `start_at`;
* community treatment recorded at admission (an intake gap):
  `community_medication.recorded_at`;
* and, when the local day has changed in some facility since the watermark, the
  patients with an episode ended on the watermark's day or later (a release from
  court counts the day after it: her episode, cut at "today", grows by that day),
  and those with an intake gap that may have begun. An episode still going on
  grows by the day too (its length counts through today): the interruptions job
  lengthens those with nothing else to reread in one update, and recomputes the
  others (`episode_growth`).

Doses generated ahead have status `due`, which counts as nothing in an episode,
so generation changes no episode and is not watched. Each source is read by an
index on its timestamp, so a routine run costs what changed, not the history.

The margin, and the sweep's own writes
--------------------------------------
The margin is for writes by people and the PMS: a record is stamped when its
request starts (`clock.now()`) and seen only once its transaction commits. Read
as it stands, the margin would also make each run reread everything the sweep
itself wrote at the previous instant (after a sweep that marked 2,500 doses and
opened 15,000 episodes, the next run would recompute all of them again). It
need not, and does not:

* every job run has a number, one more than the highest recorded in
  `sweep_watermark` when it starts (`job_run`, around each job in jobs.py);
* a job stamps its number on the rows it writes that later jobs read by time:
  `scheduled_dose.status_run` with the status it marks (mark-absent,
  mark-missed), `interruption_episode.updated_run` (interruptions); a job that
  keeps a watermark records its number there too (`sweep_watermark.run`);
* any other write of such a row (a nurse's record, a void, a transfer moving
  her doses) clears the number (the columns' `onupdate`): the row then counts
  as written by someone else;
* a run rereads the rows stamped since its watermark less the margin, except
  those last written by a sweep job numbered at most its own last run
  (`Watermark.changed`).

Why nothing is lost. The sweep's jobs run one at a time: one process holds the
scheduler's lease (`scheduler_lock`) and runs its jobs one after another, each in
its own transaction, and `flask sweep` takes the same lease. Say job J last ran
as number n. A row last written by a sweep job numbered m <= n is either J's own
(no job reads what it writes itself) or was committed before J's run n began:
a job that started after that run committed would have read n in J's watermark
and been numbered above it. So J's run n read the data with that row in it, and
took it into account (or an earlier run did, by the same argument). Everything
else, a write by a person or the PMS or by a job numbered above n, is reread as
before, margin included. A job that fails writes nothing, neither its rows nor
its watermark: the next run rereads from the old watermark. A run outside the
scheduler's jobs (a test, a recompute by hand) has no number: it stamps none and
records none, so its rows are reread and its watermark excludes nothing. Rows
numbered before the numbers started again (watermarks deleted) look newer than
they are: they are reread, which costs and loses nothing.
"""
import hashlib
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select

from ..models.facilities import Facility
from ..models.intake import CommunityMedication
from ..models.interruptions import InterruptionEpisode, SweepWatermark
from ..models.medication import MedicationOrder, ScheduledDose
from ..models.patients import CustodyEvent
from ..rules.schedule import local_day

# A record stamped (clock.now() in its request) before the watermark but committed
# after the job read the data is still seen by the next run.
LATE_COMMIT_MARGIN = timedelta(minutes=5)
# An order starting up to this far ahead: the doses generated ahead of it may be the
# latest of her record already (the drug of her latest dose names her OST family).
ORDERS_AHEAD = timedelta(days=7)
_RUN = "sweep_job_run"   # session.info key: the number of the job run under way
log = logging.getLogger(__name__)


# -- job runs -----------------------------------------------------------------------------

@contextmanager
def job_run(session):
    """Number the job run under way (one more than any watermark records) for the
    duration of the block: `current_run` gives it to what the job writes."""
    session.info[_RUN] = (session.scalar(select(func.max(SweepWatermark.run))) or 0) + 1
    try:
        yield session.info[_RUN]
    finally:
        session.info.pop(_RUN, None)


def current_run(session) -> int | None:
    """The number of the sweep job running in this session; None outside one."""
    return session.info.get(_RUN)


@dataclass(frozen=True)
class Watermark:
    """Up to when a job took every change into account (`done_at`), and the number
    of that run (`run`; None if it ran outside the scheduler's jobs). `recheck`: the
    slices of patients an alert job's run re-derives in full besides what changed
    (`recheck_slices`)."""
    done_at: datetime
    run: int | None
    recheck: tuple[int, ...] = ()

    @property
    def since(self) -> datetime:
        """Where the rereading starts: the watermark less the late-commit margin."""
        return self.done_at - LATE_COMMIT_MARGIN

    def changed(self, stamp, run_column=None):
        """The rows to reread, as a condition: `stamp` since `since`, except the
        rows a sweep job numbered up to `run` wrote last (`run_column`): that run
        has seen them (see the module's docstring)."""
        condition = stamp >= self.since
        if run_column is None or self.run is None:
            return condition
        return and_(condition, or_(run_column.is_(None), run_column > self.run))

    def rechecked(self, patient_column):
        """The rows of the patients this run re-derives in full, as a condition on
        their patient id; None when it re-derives none."""
        if not self.recheck:
            return None
        return (patient_column % SLICES).in_(self.recheck)


def read(session, job: str) -> Watermark | None:
    row = session.get(SweepWatermark, job)
    return Watermark(row.done_at, row.run) if row is not None else None


def set_watermark(session, job: str, now: datetime) -> None:
    """Record that `job` took every change up to `now` into account, with the number
    of the run under way (none outside the scheduler's jobs)."""
    row = session.get(SweepWatermark, job)
    if row is None:
        session.add(SweepWatermark(job=job, done_at=now, run=current_run(session)))
    else:
        row.done_at, row.run = now, current_run(session)


def catch_up_start(session, job: str, now: datetime, window: timedelta,
                   max_days: int) -> datetime:
    """Where `job`'s window into the past starts at `now`: `window` before now, or,
    after a downtime, `window` before the run that last completed (its watermark),
    so what fell due while no sweep ran is not skipped; never more than `max_days`
    (or `window`, if longer) before now, logged as a warning when that cuts. Read
    before the job writes its watermark."""
    start = now - window
    mark = read(session, job)
    if mark is None or mark.done_at - window >= start:
        return start
    start = mark.done_at - window
    floor = now - max(window, timedelta(days=max_days))
    if start < floor:
        log.warning("%s: the sweep last completed at %s; catching up only from %s "
                    "(catch_up_max_days = %s): anything due before is not made or marked",
                    job, mark.done_at.isoformat(), floor.isoformat(), max_days)
        start = floor
    return start


def changed_patients(session, mark: Watermark, now: datetime, *,
                     given_near_episodes_only: bool = False) -> tuple[set[int], bool]:
    """Patients whose doses, custody movements, orders or community treatment
    changed since the watermark `mark` (less the margin; the sweep's own marks that
    run had seen excepted), and whether the local day has changed since in some
    facility (then also those with an episode ended since the watermark's day; the
    caller adds the patients whose result depends on the day: with an episode going
    on, or an intake pending).

    `given_near_episodes_only` (the interruption episodes): a dose recorded `given`
    counts only for a patient with an episode going on or ending on or after the day
    before the earliest such dose. A given dose can only end, shorten or split an
    episode around it; without one it changes no episode (an episode it would begin
    is begun by a change of its own: a miss, an absence, a new day). The morning
    round, thousands of doses given, then recomputes the few patients it concerns."""
    since = mark.since
    # No DISTINCT: SQLite would then walk a whole index in patient order.
    rows = session.execute(select(ScheduledDose.patient_id, ScheduledDose.status,
                                  ScheduledDose.local_date).where(
        mark.changed(ScheduledDose.status_at, ScheduledDose.status_run))).all()
    if not given_near_episodes_only:
        out = {pid for pid, _status, _day in rows}
    else:
        out = {pid for pid, status, _day in rows if status != "given"}
        given = {pid for pid, status, _day in rows if status == "given"} - out
        if given:   # the patients among them with an episode near
            first = min(day for _pid, status, day in rows if status == "given")
            out.update(_with_episode_near(session, mark, given, first - timedelta(days=1)))
    out.update(session.scalars(select(CustodyEvent.patient_id)
                               .where(CustodyEvent.recorded_at >= since)))
    out.update(session.scalars(select(MedicationOrder.patient_id).where(
        or_(MedicationOrder.created_at >= since, MedicationOrder.discontinued_at >= since,
            MedicationOrder.start_at.between(since, now + ORDERS_AHEAD)))))
    out.update(session.scalars(select(CommunityMedication.patient_id)
                               .where(CommunityMedication.recorded_at >= since)))
    zones = set(session.scalars(select(Facility.timezone).distinct()))
    new_day = any(local_day(mark.done_at, tz) != local_day(now, tz) for tz in zones)
    if new_day:
        # Ending on the watermark's day or later: the day after a release from court
        # still counts (without supply). Those going on are the caller's: most only grow.
        out.update(session.scalars(select(InterruptionEpisode.patient_id).where(
            InterruptionEpisode.end_on >= _first_day(mark, zones))))
    return out, new_day


def _with_episode_near(session, mark: Watermark, patient_ids, first: date) -> set[int]:
    """Which of these patients (with a dose changed since `mark`) have an episode
    going on or ending on `first` or later. PostgreSQL reads them in one statement,
    the changed doses by their status_at index then the episodes by patient (no test
    of the status, which SQLite would answer by walking every given dose; those
    others are the caller's already): 5 ms at national scale, where the ids bound
    as lists of 2,000 cost 40-170 ms a run. SQLite answers the lists in 3 ms, and
    the same statement in 23."""
    near = or_(InterruptionEpisode.end_on.is_(None), InterruptionEpisode.end_on >= first)
    query = select(InterruptionEpisode.patient_id).where(near)
    if session.get_bind().dialect.name == "postgresql":
        changed = select(ScheduledDose.patient_id).where(
            mark.changed(ScheduledDose.status_at, ScheduledDose.status_run))
        return set(session.scalars(query.where(InterruptionEpisode.patient_id.in_(changed))))
    ids, out = sorted(patient_ids), set()
    for i in range(0, len(ids), 2000):
        out.update(session.scalars(query.where(
            InterruptionEpisode.patient_id.in_(ids[i:i + 2000]))))
    return out


def _first_day(mark: Watermark, zones) -> date:
    """The earliest local day the watermark fell on in any of `zones`."""
    return min((local_day(mark.done_at, tz) for tz in zones), default=mark.done_at.date())


# -- the jobs that raise alerts (evaluate-rules, srh-alerts) ------------------------------
#
# Their watermark is kept under "<job>:<fingerprint of the rules and settings>": a change
# of the rule table or of the deployment's overrides finds no watermark, and the next
# run is a full pass. A full pass also runs on a job's first run, when the clock is
# behind the watermark, and after a day or more without a run; srh-alerts also at each
# new local day in any facility, which its dated items need anyway.
#
# The safety net. What a routine run rereads is, by the argument above and the tests,
# everything that can change an alert; a full pass over everyone still runs every day,
# for what no watermark sees (a database restored, a row mended by hand). It used to
# run whole in the first sweep of each UTC day (1.7-2.0 s at national scale); it is now
# spread over the day: evaluate-rules' runs re-derive in full, besides what changed,
# the patients of the quarters of an hour begun since their watermark (patient id
# modulo 96), so each patient is re-derived once a day whatever the cadence.

SLICES = 96          # quarters of an hour in a day
_QUARTER = 15 * 60   # seconds


def recheck_slices(mark: Watermark, now: datetime) -> tuple[int, ...] | None:
    """The slices of patients a run at `now` re-derives in full: those of the UTC
    quarters of an hour begun since the watermark `mark`; None when a day or more
    has passed (a full pass)."""
    first = int(mark.done_at.timestamp() // _QUARTER) + 1
    last = int(now.timestamp() // _QUARTER)
    if last - first + 1 >= SLICES:
        return None
    return tuple(sorted({q % SLICES for q in range(first, last + 1)}))

def keyed(job: str, *config) -> str:
    """The watermark's name for `job` under this configuration (fits String(32))."""
    digest = hashlib.sha1(repr(config).encode()).hexdigest()[:31 - len(job)]
    return f"{job}:{digest}"


def incremental_since(session, key: str, now: datetime) -> Watermark | None:
    """The watermark a run at `now` rereads the changes from, with the slices of
    patients it re-derives in full; None for a full pass."""
    mark = read(session, key)
    if mark is None or mark.done_at > now:
        return None
    slices = recheck_slices(mark, now)
    return None if slices is None else Watermark(mark.done_at, mark.run, slices)


def finish(session, key: str, now: datetime) -> None:
    """Write the job's watermark (in its transaction), dropping those of older configurations."""
    job = key.split(":", 1)[0]
    session.execute(delete(SweepWatermark).where(SweepWatermark.job.startswith(job + ":"),
                                                 SweepWatermark.job != key))
    set_watermark(session, key, now)


def ladder_inputs_changed(session, mark: Watermark) -> tuple[set[int], set[int]]:
    """(episode ids, patient ids) whose ladder rungs may have changed since the
    watermark `mark`: episodes written since (their counts, family or facility; not
    those the run at `mark` had seen), and the patients whose pregnancy or TB
    treatment (the phase) was recorded or changed since."""
    from ..models.srh import Pregnancy
    since = mark.since
    episodes = set(session.scalars(select(InterruptionEpisode.id).where(
        mark.changed(InterruptionEpisode.updated_at, InterruptionEpisode.updated_run))))
    patients = set(session.scalars(select(Pregnancy.patient_id).where(
        or_(Pregnancy.recorded_at >= since, Pregnancy.plan_updated_at >= since,
            Pregnancy.ended_on >= since.date()))))
    patients.update(session.scalars(select(MedicationOrder.patient_id).where(
        MedicationOrder.programme == "tb",
        or_(MedicationOrder.created_at >= since, MedicationOrder.discontinued_at >= since))))
    return episodes, patients

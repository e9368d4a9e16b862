"""The interruption episodes going on, at a new local day (the interruptions job).

An episode going on is counted through "today", so every one of them changes when
the day does: at national scale some 10,000, and recomputing each from a fortnight
of doses took the first sweep of the day a second. Most only grow: for a patient
whose record has not changed since the job's watermark, the days since then are
days with no dose or with doses still due, and such a day adds to the length and to
nothing else (rules.interruptions: a pending day opens, closes and counts nothing).
Their new length is written in one update per length, without reading a dose.

Recomputed instead, as before: a patient with a dose on a day after the
watermark's that is no longer `due` (a hold or refusal recorded ahead, which that
day now counts). The patients with an intake gap are recomputed at each new day
anyway (each day without an order is a missed day too), and a released patient has
no episode going on (her episodes end at her release).

Both paths end where a full recompute does (tests/services/test_sweep_new_day.py).
"""
from collections import defaultdict

from sqlalchemy import select, update

from ..models.facilities import Facility
from ..models.interruptions import InterruptionEpisode
from ..models.medication import ScheduledDose
from ..models.patients import Patient
from ..rules.schedule import local_day
from .dose_marks import _chunks


def grow_ongoing(session, mark, now, programmes, changed: set) -> dict:
    """At a new local day, the episodes going on of the patients not in `changed`:
    episode id -> its length through her facility's today, for those that only
    grow; the patients of the others are added to `changed`, to be recomputed."""
    ongoing = session.execute(
        select(InterruptionEpisode.id, InterruptionEpisode.patient_id,
               InterruptionEpisode.start_on, InterruptionEpisode.length_days,
               Facility.timezone)
        .join(Patient, InterruptionEpisode.patient_id == Patient.id)
        .outerjoin(Facility, Patient.facility_id == Facility.id)
        .where(InterruptionEpisode.end_on.is_(None),
               InterruptionEpisode.programme.in_(programmes))).all()
    quiet = {}
    for row in ongoing:
        if row.patient_id not in changed:
            quiet.setdefault(row.patient_id, []).append(row)
    zones = {rows[0].timezone or "UTC" for rows in quiet.values()}
    since = {tz: local_day(mark.done_at, tz) for tz in zones}
    first = min(since.values(), default=None)
    for chunk in _chunks(sorted(quiet)):
        for pid, on in session.execute(
                select(ScheduledDose.patient_id, ScheduledDose.local_date).where(
                    ScheduledDose.patient_id.in_(chunk), ScheduledDose.local_date > first,
                    ScheduledDose.status != "due")):
            if pid in quiet and on > since[quiet[pid][0].timezone or "UTC"]:
                changed.add(pid)
                del quiet[pid]
    today = {tz: local_day(now, tz) for tz in zones}
    grown = {}
    for rows in quiet.values():
        for row in rows:
            length = (today[row.timezone or "UTC"] - row.start_on).days + 1
            if length != row.length_days:
                grown[row.id] = length
    return grown


def write_grown(session, grown: dict, now, run) -> None:
    """Lengthen the episodes in `grown`, one update per new length."""
    by_length = defaultdict(list)
    for episode_id, length in grown.items():
        by_length[length].append(episode_id)
    for length, ids in by_length.items():
        for chunk in _chunks(ids):
            session.execute(update(InterruptionEpisode).where(InterruptionEpisode.id.in_(chunk))
                            .values(length_days=length, updated_at=now, updated_run=run)
                            .execution_options(synchronize_session=False))

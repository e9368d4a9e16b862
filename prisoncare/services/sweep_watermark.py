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
* orders prescribed or discontinued (the drug of her last dose names the OST
  family): `medication_order.created_at`, `discontinued_at`;
* community treatment recorded at admission (an intake gap):
  `community_medication.recorded_at`;
* and, when the local day has changed in some facility since the watermark, the
  patients with an episode still going on (its length counts through today) and
  those with an intake gap that may have begun.

Doses generated ahead have status `due`, which counts as nothing in an episode,
so generation changes no episode and is not watched. Each source is read by an
index on its timestamp, so a routine run costs what changed, not the history.
"""
import hashlib
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select

from ..models.facilities import Facility
from ..models.intake import CommunityMedication
from ..models.interruptions import InterruptionEpisode, SweepWatermark
from ..models.medication import MedicationOrder, ScheduledDose
from ..models.patients import CustodyEvent
from ..rules.schedule import local_day

# A record stamped (clock.now() in its request) before the watermark but committed
# after the job read the data is still seen by the next run.
LATE_COMMIT_MARGIN = timedelta(minutes=5)


def watermark(session, job: str) -> datetime | None:
    row = session.get(SweepWatermark, job)
    return row.done_at if row is not None else None


def set_watermark(session, job: str, now: datetime) -> None:
    row = session.get(SweepWatermark, job)
    if row is None:
        session.add(SweepWatermark(job=job, done_at=now))
    else:
        row.done_at = now


def changed_patients(session, done_at: datetime, now: datetime) -> tuple[set[int], bool]:
    """Patients whose doses, custody movements, orders or community treatment
    changed since the watermark `done_at` (less the margin), and whether the local
    day has changed since in some facility (the caller then adds the patients whose
    result depends on the day: with an episode going on, or an intake pending)."""
    since = done_at - LATE_COMMIT_MARGIN
    # No DISTINCT: SQLite would then walk a whole index in patient order.
    out = set(session.scalars(select(ScheduledDose.patient_id)
                              .where(ScheduledDose.status_at >= since)))
    out.update(session.scalars(select(CustodyEvent.patient_id)
                               .where(CustodyEvent.recorded_at >= since)))
    out.update(session.scalars(select(MedicationOrder.patient_id).where(
        or_(MedicationOrder.created_at >= since, MedicationOrder.discontinued_at >= since))))
    out.update(session.scalars(select(CommunityMedication.patient_id)
                               .where(CommunityMedication.recorded_at >= since)))
    zones = set(session.scalars(select(Facility.timezone).distinct()))
    new_day = any(local_day(done_at, tz) != local_day(now, tz) for tz in zones)
    if new_day:
        out.update(session.scalars(select(InterruptionEpisode.patient_id)
                                   .where(InterruptionEpisode.end_on.is_(None))))
    return out, new_day


# -- the jobs that raise alerts (evaluate-rules, srh-alerts) ------------------------------
#
# Their watermark is kept under "<job>:<fingerprint of the rules and settings>": a change
# of the rule table or of the deployment's overrides finds no watermark, and the next
# run is a full pass. A full pass also runs on a job's first run, once a day (the
# first run of each UTC day), and when the clock is behind the watermark.

def keyed(job: str, *config) -> str:
    """The watermark's name for `job` under this configuration (fits String(32))."""
    digest = hashlib.sha1(repr(config).encode()).hexdigest()[:31 - len(job)]
    return f"{job}:{digest}"


def incremental_since(session, key: str, now: datetime) -> datetime | None:
    """The instant from which a run at `now` rereads changes, or None for a full pass."""
    done_at = watermark(session, key)
    if done_at is None or done_at > now or done_at.date() != now.date():
        return None
    return done_at - LATE_COMMIT_MARGIN


def finish(session, key: str, now: datetime) -> None:
    """Write the job's watermark (in its transaction), dropping those of older configurations."""
    job = key.split(":", 1)[0]
    session.execute(delete(SweepWatermark).where(SweepWatermark.job.startswith(job + ":"),
                                                 SweepWatermark.job != key))
    set_watermark(session, key, now)


def ladder_inputs_changed(session, since: datetime) -> tuple[set[int], set[int]]:
    """(episode ids, patient ids) whose ladder rungs may have changed since `since`:
    episodes written since (their counts, family or facility), and the patients whose
    pregnancy or TB treatment (the phase) was recorded or changed since."""
    from ..models.srh import Pregnancy
    episodes = set(session.scalars(select(InterruptionEpisode.id)
                                   .where(InterruptionEpisode.updated_at >= since)))
    patients = set(session.scalars(select(Pregnancy.patient_id).where(
        or_(Pregnancy.recorded_at >= since, Pregnancy.plan_updated_at >= since,
            Pregnancy.ended_on >= since.date()))))
    patients.update(session.scalars(select(MedicationOrder.patient_id).where(
        MedicationOrder.programme == "tb",
        or_(MedicationOrder.created_at >= since, MedicationOrder.discontinued_at >= since))))
    return episodes, patients

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
from datetime import datetime, timedelta

from sqlalchemy import or_, select

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

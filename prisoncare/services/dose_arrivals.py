"""Her doses when she arrives (transfer in, admission): a custody hook, run in the
event's transaction.

Doses not yet due move with her to the receiving facility and ward, so its MAR
shows them; her given doses stay where given. Arriving in a facility of another
time zone, the doses made ahead for the previous zone (due from the arrival on)
are removed instead, unless something records them, and hers are made at once at
the new zone's instants (doses.generate_doses starts her doses there at the
arrival), from the arrival to the scheduler's look-ahead: her MAR there is
complete at once, with one dose per scheduled time and local day.
"""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, exists, select, update

from ..extensions import db
from ..models.alerts import Alert
from ..models.facilities import Facility
from ..models.interruptions import DoseMark
from ..models.medication import DoseAdministration, ScheduledDose
from ..models.patients import CustodyEvent
from ..rules.custody_transitions import PLANNED_EVENTS
from .custody import on_custody_event
from .dose_marks import sweep_settings
from .doses import _chunks, generate_doses


@on_custody_event
def _follow_the_patient(actor, patient, event, *, now):
    """Doses not yet due move with her when she arrives (transfer in, new ward):
    the receiving ward's MAR shows them, and her given doses stay where given.

    Arriving in another time zone, the doses made ahead for the previous zone
    (from the arrival on) are removed instead, unless something records them
    (_drop_other_zone), and hers are made at once at the new zone's instants, from
    the arrival to the scheduler's look-ahead, so her MAR there is complete now."""
    if event.type not in ("transfer_in", "admission") or patient.facility_id is None:
        return
    db.session.flush()
    zone = patient.facility.timezone
    dropped = _drop_other_zone(patient.id, event.occurred_at, zone)
    db.session.execute(
        update(ScheduledDose).where(ScheduledDose.patient_id == patient.id,
                                    ScheduledDose.status == "due",
                                    ScheduledDose.due_at >= event.occurred_at)
        .values(facility_id=patient.facility_id, ward_id=patient.ward_id)
        .execution_options(synchronize_session=False))
    if dropped or _zone_before(event) not in (None, zone):
        doses = sweep_settings(current_app.config.get("SWEEP_SETTINGS"))["doses"]
        start = max(event.occurred_at, now - timedelta(hours=doses["backfill_hours"]))
        generate_doses(db.session, start, now + timedelta(hours=doses["ahead_hours"]), now,
                       patient_ids=[patient.id])


def _zone_before(event) -> str | None:
    """The time zone of the facility of her movement before `event` (None: none)."""
    return db.session.scalar(
        select(Facility.timezone).join(CustodyEvent, CustodyEvent.facility_id == Facility.id)
        .where(CustodyEvent.episode_id == event.episode_id, CustodyEvent.seq < event.seq,
               CustodyEvent.type.not_in(PLANNED_EVENTS))
        .order_by(CustodyEvent.seq.desc()).limit(1))


def _drop_other_zone(patient_id: int, arrival: datetime, zone: str) -> int:
    """Remove her doses due from `arrival` on that were made for a facility of
    another time zone and that nothing records: unrecorded (`due`, or `absent` by
    the scheduler's own mark while she was in transfer: the mark goes with it), no
    administration record (live or voided), no alert naming it (`<rule>:dose:<id>`).
    Those that something records stay (and move with her like any due dose).
    Returns how many were removed."""
    ids = set(db.session.scalars(
        select(ScheduledDose.id).join(Facility, ScheduledDose.facility_id == Facility.id)
        .where(ScheduledDose.patient_id == patient_id, ScheduledDose.due_at >= arrival,
               ScheduledDose.status.in_(("due", "absent")), Facility.timezone != zone,
               ~exists().where(DoseAdministration.dose_id == ScheduledDose.id),
               ~exists().where(DoseMark.dose_id == ScheduledDose.id, DoseMark.mark != "absent"))))
    if ids:
        for key in db.session.scalars(select(Alert.dedup_key).where(
                Alert.patient_id == patient_id, Alert.dedup_key.like("%:dose:%"))):
            ident = key.rpartition(":")[2]
            if ident.isdigit():
                ids.discard(int(ident))
    for chunk in _chunks(sorted(ids)):
        db.session.execute(delete(DoseMark).where(DoseMark.dose_id.in_(chunk)))
        db.session.execute(delete(ScheduledDose).where(ScheduledDose.id.in_(chunk))
                           .execution_options(synchronize_session=False))
    return len(ids)

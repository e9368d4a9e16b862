"""What a facility's staff need to see first: who is where, and who moves soon."""
from datetime import timedelta

from sqlalchemy import func, select

from .. import audit, clock
from ..extensions import db
from ..models import Patient

UPCOMING_DAYS = 14


def custody_board(actor, facility, ward, *, now) -> dict:
    """Counts by status, and the patients with a court date, transfer or release
    in the next two weeks, for one facility (and ward). Two queries."""
    base = select(Patient).where(Patient.facility_id == facility.id)
    if ward is not None:
        base = base.where(Patient.ward_id == ward.id)
    count_query = select(Patient.custody_status, func.count()).where(
        Patient.facility_id == facility.id)
    if ward is not None:
        count_query = count_query.where(Patient.ward_id == ward.id)
    counts = dict(db.session.execute(count_query.group_by(Patient.custody_status)).all())
    today = clock.local_today(facility.timezone, now)
    horizon_at = clock.local_day_start(today + timedelta(days=UPCOMING_DAYS + 1), facility.timezone)
    soon = db.session.scalars(base.where(
        Patient.custody_status.in_(("in_custody", "out_at_court", "out_at_hospital")),
        (Patient.next_court_at < horizon_at)
        | (Patient.planned_transfer_at < horizon_at)
        | (Patient.expected_release_on <= today + timedelta(days=UPCOMING_DAYS)),
    ).order_by(Patient.family_name).limit(200)).all()
    away = db.session.scalars(base.where(
        Patient.custody_status.in_(("out_at_court", "out_at_hospital"))
    ).order_by(Patient.family_name).limit(200)).all()
    audit.record(actor, "worklist.read", entity="facility", entity_id=facility.id, at=now,
                 detail={"ward": ward.code if ward else None})
    return {"counts": counts, "soon": soon, "away": away, "today": today}


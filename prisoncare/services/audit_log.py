"""Reading the access log, within the auditor's facility scope."""
from sqlalchemy import func, or_, select

from .. import audit
from ..authz import patient_scope
from ..extensions import db
from ..models import AuditEntry, Patient, UserFacility
from ..authz import visible_facility_ids


def search(actor, *, patient_id=None, username=None, start=None, end=None,
           limit=100, offset=0, now):
    query = select(AuditEntry)
    ids = visible_facility_ids(actor)
    if ids is not None:
        # A facility auditor sees entries about patients of their facilities and
        # entries by staff of their facilities.
        visible_patients = select(Patient.id).where(patient_scope(actor, Patient))
        facility_staff = select(UserFacility.user_id).where(UserFacility.facility_id.in_(ids))
        query = query.where(or_(AuditEntry.patient_id.in_(visible_patients),
                                AuditEntry.user_id.in_(facility_staff)))
    if patient_id is not None:
        query = query.where(AuditEntry.patient_id == patient_id)
    if username:
        query = query.where(AuditEntry.username == username)
    if start is not None:
        query = query.where(AuditEntry.at >= start)
    if end is not None:
        query = query.where(AuditEntry.at < end)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                              .limit(limit).offset(offset)).all()
    audit.record(actor, "audit_log.read", at=now,
                 detail={"patient": patient_id, "user": username, "results": len(rows)})
    return rows, total

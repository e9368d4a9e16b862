"""Who has an SRH record: every woman, and anyone a clinician enabled it for
(in every facility). Enabling is reversible: a clinician revokes it with a
reason; every step is audited. A patient without a record gets 409
`srh_not_enabled` from every SRH sub-resource."""
from sqlalchemy import select

from ... import audit
from ...authz import ROLE_PERMISSIONS, Permission
from ...errors import Conflict, PermissionDenied, ValidationFailed
from ...extensions import db
from ...models.srh import SrhEnablement
from .common import NOT_ENABLED


def enablement(patient):
    """Her enablement in force (None when never enabled or revoked)."""
    return db.session.scalar(select(SrhEnablement).where(SrhEnablement.patient_id == patient.id,
                                                         SrhEnablement.revoked_at.is_(None)))


def srh_available(patient) -> bool:
    return patient.sex == "female" or enablement(patient) is not None


def ensure_available(patient) -> None:
    if not srh_available(patient):
        raise Conflict("This patient has no SRH record: a clinician can enable one.",
                       code=NOT_ENABLED)


def _may_enable(actor) -> None:
    if not any(Permission.SRH_ENABLE in ROLE_PERMISSIONS.get(r, ()) for r in getattr(actor, "roles", ())):
        raise PermissionDenied("Only a clinician can enable or revoke an SRH record.")


def _reason(reason) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": ["Say why."]})
    return reason


def enable_srh(actor, patient, reason: str, *, now) -> SrhEnablement:
    _may_enable(actor)
    reason = _reason(reason)
    if srh_available(patient):
        raise Conflict("This patient already has an SRH record.", code="srh_already_enabled")
    row = db.session.scalar(select(SrhEnablement).where(SrhEnablement.patient_id == patient.id))
    before = None
    if row is None:
        row = SrhEnablement(patient_id=patient.id, reason=reason, recorded_at=now,
                            recorded_by_id=actor.id)
        db.session.add(row)
    else:  # enabled again after a revocation: the same row reopens
        before = {"reason": row.reason, "revoked_at": row.revoked_at.isoformat(),
                  "revoke_reason": row.revoke_reason}
        row.reason, row.recorded_at, row.recorded_by_id = reason, now, actor.id
        row.revoked_at = row.revoked_by_id = row.revoke_reason = None
    db.session.flush()
    audit.record(actor, "srh.enable", entity="srh_enablement", entity_id=row.id,
                 patient_id=patient.id, at=now, detail={"reason": reason, "before": before})
    return row


def revoke_srh(actor, patient, reason: str, *, now) -> SrhEnablement:
    """Close the SRH record a clinician opened for a patient not recorded as female.
    What was recorded stays; it is shown again if the record is enabled again."""
    _may_enable(actor)
    reason = _reason(reason)
    row = enablement(patient)
    if row is None:
        raise Conflict("Only an SRH record a clinician enabled can be revoked."
                       if patient.sex == "female" else "This patient has no SRH record to revoke.",
                       code="srh_not_revocable")
    row.revoked_at, row.revoked_by_id, row.revoke_reason = now, actor.id, reason
    db.session.flush()
    audit.record(actor, "srh.revoke", entity="srh_enablement", entity_id=row.id,
                 patient_id=patient.id, at=now, detail={"reason": reason})
    from .alerts import resolve_done
    resolve_done(patient, now=now)
    return row

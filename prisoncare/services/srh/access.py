"""Who has an SRH record: every woman, and anyone a clinician enabled it for.
A patient without one gets 409 `srh_not_enabled` from every SRH write."""
from sqlalchemy import select

from ... import audit
from ...errors import Conflict, PermissionDenied
from ...extensions import db
from ...models.srh import SrhEnablement
from .common import NOT_ENABLED


def enablement(patient):
    return db.session.scalar(select(SrhEnablement).where(SrhEnablement.patient_id == patient.id))


def srh_available(patient) -> bool:
    return patient.sex == "female" or enablement(patient) is not None


def ensure_available(patient) -> None:
    if not srh_available(patient):
        raise Conflict("This patient has no SRH record: a clinician can enable one.",
                       code=NOT_ENABLED)


def enable_srh(actor, patient, reason: str, *, now) -> SrhEnablement:
    if "clinician" not in getattr(actor, "roles", ()):
        raise PermissionDenied("Only a clinician can enable an SRH record.")
    if srh_available(patient):
        raise Conflict("This patient already has an SRH record.", code="srh_already_enabled")
    row = SrhEnablement(patient_id=patient.id, reason=reason.strip(), recorded_at=now,
                        recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.enable", entity="srh_enablement", entity_id=row.id,
                 patient_id=patient.id, at=now)
    return row


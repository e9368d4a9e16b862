"""Bangkok Rules 22/24 protection flags: the rule only, never a diagnosis, for
custody staff and everyone who reads the patient."""
from sqlalchemy import or_, select

from ...extensions import db
from ...models.srh import Child, Pregnancy
from ...rules import srh as rules
from .access import srh_available
from .common import BIRTH_OUTCOMES, local_today
from .pregnancy import current_pregnancy, latest_breastfeeding


def protection_state(patient, at) -> rules.ProtectionState:
    today = local_today(patient, at)
    pregnancy = current_pregnancy(patient.id)
    gestation = rules.gestation_on(pregnancy.due_on, today) if pregnancy else None
    delivered_on = db.session.scalar(
        select(Pregnancy.ended_on).where(Pregnancy.patient_id == patient.id,
                                         Pregnancy.outcome.in_(BIRTH_OUTCOMES))
        .order_by(Pregnancy.ended_on.desc()).limit(1))
    feeding = latest_breastfeeding(patient.id)
    infant = db.session.scalar(select(Child.id).where(
        Child.mother_id == patient.id, Child.arrived_at <= at,
        or_(Child.left_at.is_(None), Child.left_at > at)).limit(1))
    return rules.ProtectionState(
        gestation_days=(gestation.total_days if gestation else 0) if pregnancy else None,
        delivered_on=delivered_on,
        breastfeeding=feeding is not None and feeding.status == "breastfeeding",
        infant_with_her=infant is not None)


def protection_flags(patient, at) -> list[rules.Flag]:
    """Bangkok Rules 22/24 flags in force for her at `at`: texts without any
    diagnosis, for custody staff and everyone who reads the patient."""
    if not srh_available(patient):
        return []
    return rules.protection_flags(protection_state(patient, at), local_today(patient, at))


def read_protection_flags(actor, patient, *, now) -> dict:
    flags = protection_flags(patient, now)
    return {"patient_id": patient.id, "flags": [{"code": f.code, "text": f.text} for f in flags]}


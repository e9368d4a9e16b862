"""Hospital escorts (Bangkok Rule 24): a custody officer records whether
restraint was used; restraint while Rule 24 applies raises a critical alert."""
from datetime import timedelta

from sqlalchemy import select

from ... import audit
from ...extensions import db
from ...models.srh import HospitalEscort
from ..alerts import AlertSpec, raise_alert
from .common import _entry_base, _err, _raise, iso
from .protection import protection_flags

RESTRAINT_RECORDED = AlertSpec(
    rule_code="BR-05", severity="critical", role="clinician", programme="women",
    message="Restraint recorded on a hospital escort while Rule 24 applies.",
    action="Remove restraint; incident report to the director and health lead.",
    custody_message="Rule 24: restraint recorded on a hospital escort. Remove restraint now and "
                    "report to the director.")


def record_escort(actor, patient, data: dict, *, now) -> HospitalEscort:
    """A custody officer's record of a hospital escort. Restraint used while
    Rule 24 applies raises a critical alert (BR-05). Open to every patient: the
    record says nothing about why she went."""
    errors = {}
    if data["escorted_at"] > now + timedelta(minutes=2):
        _err(errors, "escorted_at", "Cannot be in the future.")
    if data["restraint_used"] and not data.get("restraint_note"):
        _err(errors, "restraint_note", "Say what restraint was used, when, and why.")
    _raise(errors)
    purpose = data.get("purpose") or "other"
    # Labour and birth: Rule 24 whatever the gestation (preterm labour is still labour)
    rule24 = purpose == "labour_birth" or any(
        f.code == "BR24" for f in protection_flags(patient, data["escorted_at"]))
    row = HospitalEscort(patient_id=patient.id, escorted_at=data["escorted_at"], purpose=purpose,
                         hospital=data.get("hospital"), restraint_used=data["restraint_used"],
                         restraint_note=data.get("restraint_note"), rule24_applied=rule24,
                         recorded_at=now, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.escort.create", entity="srh_hospital_escort", entity_id=row.id,
                 patient_id=patient.id, at=now,
                 detail={"restraint_used": row.restraint_used, "purpose": purpose})
    if row.restraint_used and rule24:
        raise_alert(RESTRAINT_RECORDED, patient, dedup_key=f"BR-05:escort:{row.id}", now=now)
    return row


def escorts_view(patient) -> list[dict]:
    rows = db.session.scalars(select(HospitalEscort).where(HospitalEscort.patient_id == patient.id)
                              .order_by(HospitalEscort.escorted_at.desc())).all()
    return [{**_entry_base(r), "escorted_at": iso(r.escorted_at), "hospital": r.hospital,
             "restraint_used": r.restraint_used, "restraint_note": r.restraint_note,
             "rule24_applied": r.rule24_applied, "purpose": r.purpose} for r in rows]


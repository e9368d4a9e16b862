"""Violence history and disclosures (Bangkok Rules 6(e), 7, 25): clinical roles
only, every read audited, never shown in lists."""
from sqlalchemy import func, select

from ... import audit
from ...errors import ValidationFailed
from ...extensions import db
from ...models.srh import ViolenceRecord
from .access import ensure_available
from .common import _entry_base


def record_violence(actor, patient, data: dict, *, now) -> ViolenceRecord:
    ensure_available(patient)
    support = list(dict.fromkeys(data.get("support_accepted") or []))
    if "none" in support and len(support) > 1:
        raise ValidationFailed({"support_accepted": ["'none' cannot be combined with other support."]})
    row = ViolenceRecord(patient_id=patient.id, period=data["period"], disclosure=data["disclosure"],
                         informed_of_recourse=data["informed_of_recourse"], support_accepted=support,
                         referral=data.get("referral"), recorded_at=now, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.violence.create", entity="srh_violence", entity_id=row.id,
                 patient_id=patient.id, at=now)
    return row


def read_violence(actor, patient, *, now) -> list[dict]:
    """Her violence records; the read itself is audited (one entry per record shown)."""
    return read_violence_page(actor, patient, now=now)[0]


def read_violence_page(actor, patient, *, now, limit=None, offset=0) -> tuple[list[dict], int]:
    """(records, total): a page of her violence records, newest first; the read is
    audited with the ids of the records shown."""
    ensure_available(patient)
    mine = ViolenceRecord.patient_id == patient.id
    total = db.session.scalar(select(func.count(ViolenceRecord.id)).where(mine))
    query = select(ViolenceRecord).where(mine).order_by(ViolenceRecord.recorded_at.desc(),
                                                       ViolenceRecord.id.desc()).offset(offset)
    rows = db.session.scalars(query.limit(limit) if limit is not None else query).all()
    audit.record(actor, "srh.violence.read", entity="patient", entity_id=patient.id,
                 patient_id=patient.id, at=now, detail={"records": [r.id for r in rows]})
    return [{**_entry_base(r), "period": r.period, "disclosure": r.disclosure,
             "informed_of_recourse": r.informed_of_recourse, "support_accepted": r.support_accepted,
             "referral": r.referral} for r in rows], total


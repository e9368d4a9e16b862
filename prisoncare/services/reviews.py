"""Clinical reviews: a clinician's review of a programme, which unblocks OST dosing
after missed days and may set a new dose (a new version of the active order)."""
from decimal import Decimal

from sqlalchemy import select

from .. import audit
from ..errors import ValidationFailed
from ..extensions import db
from ..models.medication import ClinicalReview, MedicationOrder
from ..models.patients import Patient
from .orders import change_order


def record_review(actor, patient: Patient, data: dict, *, now) -> ClinicalReview:
    programme = data["programme"]
    order = None
    if data.get("new_dose") is not None:
        active = db.session.scalars(select(MedicationOrder).where(
            MedicationOrder.patient_id == patient.id, MedicationOrder.programme == programme,
            MedicationOrder.status == "active")).all()
        if data.get("order_id") is not None:
            active = [o for o in active if o.id == data["order_id"]]
        if len(active) != 1:
            why = ("No active order in this programme to change." if not active else
                   "Several active orders: say which one with order_id.")
            raise ValidationFailed({"new_dose": [why]})
        order = change_order(actor, active[0], {"dose": data["new_dose"]}, now=now)
    review = ClinicalReview(
        patient_id=patient.id, programme=programme, note=data["note"].strip(),
        new_dose=Decimal(str(data["new_dose"])) if data.get("new_dose") is not None else None,
        order_id=order.id if order else None, reviewed_by_id=getattr(actor, "id", None),
        reviewed_at=now)
    db.session.add(review)
    db.session.flush()
    audit.record(actor, "review.create", entity="clinical_review", entity_id=review.id,
                 patient_id=patient.id, at=now,
                 detail={"programme": programme, "new_order": review.order_id})
    return review


def patient_reviews(patient: Patient) -> list[ClinicalReview]:
    return db.session.scalars(select(ClinicalReview).where(ClinicalReview.patient_id == patient.id)
                              .order_by(ClinicalReview.reviewed_at.desc())).all()

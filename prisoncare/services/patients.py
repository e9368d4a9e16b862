"""Registering, finding and reading patients, always within the user's scope."""
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..authz import can_see_facility, ensure_patient_visible, patient_scope, visible_facility_ids
from ..errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import Facility, Patient, Ward
from .facilities import facility_by_code

DUPLICATE = "duplicate_prison_number"


def _home_facility(actor, code: str | None) -> Facility | None:
    """The facility responsible for a new record: the one named, or the user's only one."""
    if code:
        facility = facility_by_code(code)
        if facility is None:
            raise ValidationFailed({"facility": [f"Unknown facility {code}."]})
        if not can_see_facility(actor, facility.id):
            raise PermissionDenied("You cannot register patients in that facility.")
        return facility
    ids = visible_facility_ids(actor)
    if ids is None:
        return None
    if len(ids) == 1:
        return db.session.get(Facility, next(iter(ids)))
    raise ValidationFailed({"facility": ["Choose the facility for this patient."]})


def create_patient(actor, data: dict, *, now) -> Patient:
    if data["date_of_birth"] > now.date():
        raise ValidationFailed({"date_of_birth": ["Cannot be in the future."]})
    facility = _home_facility(actor, data.get("facility"))
    if db.session.scalar(select(Patient.id).where(Patient.prison_number == data["prison_number"])):
        raise Conflict("A patient with this prison number exists.", code=DUPLICATE,
                       fields={"prison_number": ["Already registered."]})
    fields = {k: data.get(k) for k in ("prison_number", "given_name", "family_name",
                                       "date_of_birth", "sex", "gender_identity",
                                       "preferred_language")}
    patient = Patient(**fields, facility=facility, created_at=now, created_by_id=actor.id)
    db.session.add(patient)
    try:
        db.session.flush()
    except IntegrityError:  # registered by someone else a moment ago
        raise Conflict("A patient with this prison number exists.", code=DUPLICATE,
                       fields={"prison_number": ["Already registered."]}) from None
    audit.record(actor, "patient.create", entity="patient", entity_id=patient.id,
                 patient_id=patient.id, at=now)
    return patient


def _load_visible(actor, patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    ensure_patient_visible(actor, patient)
    return patient


def read_patient(actor, patient_id: int, *, now, purpose: str = "patient.read") -> Patient:
    """Load a patient the user may see, and log the read."""
    patient = _load_visible(actor, patient_id)
    audit.record(actor, purpose, entity="patient", entity_id=patient.id,
                 patient_id=patient.id, at=now)
    return patient


def search_patients(actor, *, q=None, facility=None, ward=None, status=None,
                    limit=100, offset=0, now) -> tuple[list[Patient], int]:
    query = select(Patient)
    scope = patient_scope(actor, Patient)
    if scope is not None:
        query = query.where(scope)
    if facility:
        fac = facility_by_code(facility)
        if fac is None or not can_see_facility(actor, fac.id):
            raise NotFound(f"No facility {facility}.")
        query = query.where(or_(Patient.facility_id == fac.id, Patient.to_facility_id == fac.id))
        if ward:
            query = query.join(Ward, Patient.ward_id == Ward.id).where(Ward.code == ward)
    if status:
        query = query.where(Patient.custody_status == status)
    if q:
        text = q.strip()
        like = f"%{text.lower()}%"
        query = query.where(or_(
            Patient.prison_number == text,
            func.lower(Patient.family_name).like(like),
            func.lower(Patient.given_name).like(like),
            func.lower(Patient.given_name + " " + Patient.family_name).like(like),
        ))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(Patient.family_name, Patient.given_name, Patient.id)
        .limit(limit).offset(offset)).all()
    audit.record(actor, "patient.search", at=now,
                 detail={"q": q, "facility": facility, "ward": ward, "results": len(rows)})
    return rows, total


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

"""Orders, doses, administrations and reviews: the JSON shapes (marshmallow) and
the plain dicts they dump (no queries here: the services load everything)."""
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate

from ..models.medication import (ADMINISTRATION_MODES, DOSE_STATUSES, PROGRAMMES, RECORDED_OUTCOMES,
                                  TB_PHASES)
from .common import Instant, ListArgs, page_of

HHMM = validate.Regexp(r"^\d{2}:\d{2}$", error="Use HH:MM.")
TEXT = validate.Length(min=1, max=2000)


class ScheduleSchema(Schema):
    times = fields.List(fields.String(), required=True,
                        metadata={"description": "Times of day, HH:MM, facility local time"})
    every_days = fields.Integer(load_default=1)


class OrderCreateSchema(Schema):
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    drug = fields.String(required=True, validate=validate.Length(min=1, max=200))
    dose = fields.Float(required=True)
    unit = fields.String(required=True, validate=validate.Length(min=1, max=16))
    route = fields.String(required=True, validate=validate.Length(min=1, max=32))
    schedule = fields.Nested(ScheduleSchema, required=True)
    start_at = Instant(metadata={"description": "Defaults to now; at most 30 days back"})
    end_at = Instant(allow_none=True)
    administration = fields.String(required=True, validate=validate.OneOf(ADMINISTRATION_MODES))
    quantity = fields.Integer(validate=validate.Range(min=1),
                              metadata={"description": "Keep-on-person: units dispensed"})
    days_supply = fields.Integer(validate=validate.Range(min=1),
                                 metadata={"description": "Keep-on-person: days the supply lasts"})
    phase = fields.String(validate=validate.OneOf(TB_PHASES), metadata={
        "description": "TB only: the treatment phase (default intensive); the TB "
                       "interruption rules depend on it"})


PREGNANCY_OST_STOP_REASONS = ("patient_request_informed", "adverse_reaction",
                              "transfer_of_care", "clinical_other")


class OrderChangeSchema(Schema):
    drug = fields.String(validate=validate.Length(min=1, max=200))
    dose = fields.Float()
    unit = fields.String(validate=validate.Length(min=1, max=16))
    route = fields.String(validate=validate.Length(min=1, max=32))
    schedule = fields.Nested(ScheduleSchema)
    start_at = Instant(metadata={"description": "When the new version starts (default now)"})
    end_at = Instant(allow_none=True)
    administration = fields.String(validate=validate.OneOf(ADMINISTRATION_MODES))
    quantity = fields.Integer(validate=validate.Range(min=1))
    days_supply = fields.Integer(validate=validate.Range(min=1))
    phase = fields.String(validate=validate.OneOf(TB_PHASES),
                          metadata={"description": "TB only: e.g. intensive -> continuation"})
    reason_code = fields.String(validate=validate.OneOf(PREGNANCY_OST_STOP_REASONS), metadata={
        "description": "Required to give a pregnant woman's OST an end date, or to cut its dose "
                       "beyond the limit (ost_pregnancy.toml): OST in pregnancy is never withdrawn "
                       "without an explicit clinical reason."})


class ReasonSchema(Schema):
    reason = fields.String(required=True, validate=TEXT)


class DiscontinueSchema(ReasonSchema):
    reason_code = fields.String(validate=validate.OneOf(PREGNANCY_OST_STOP_REASONS), metadata={
        "description": "Required to stop the OST of a pregnant woman (OST in pregnancy is "
                       "never withdrawn without an explicit clinical reason)."})


class OrderSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    version = fields.Integer()
    replaces = fields.Integer(allow_none=True)
    lineage = fields.Integer()
    status = fields.String(validate=validate.OneOf(("active", "superseded", "discontinued")))
    programme = fields.String()
    drug = fields.String()
    dose = fields.Float()
    unit = fields.String()
    route = fields.String()
    schedule = fields.Nested(ScheduleSchema)
    start_at = Instant()
    end_at = Instant(allow_none=True)
    administration = fields.String()
    quantity = fields.Integer(allow_none=True)
    days_supply = fields.Integer(allow_none=True)
    phase = fields.String(allow_none=True, metadata={"description": "TB only"})
    runs_out_on = fields.Date(allow_none=True)
    prescribed_by = fields.String(allow_none=True)
    created_at = Instant()
    discontinued_at = Instant(allow_none=True)
    discontinued_by = fields.String(allow_none=True)
    discontinue_reason = fields.String(allow_none=True)


class DoseListArgs(ListArgs):
    facility = fields.String(required=True, metadata={"description": "Facility code"})
    ward = fields.String(metadata={"description": "Ward code"})
    date = fields.Date(metadata={"description": "Local day (default today)"})
    round = fields.String(validate=HHMM, metadata={"description": "Round, HH:MM local time"})


class PatientDoseArgs(ListArgs):
    from_ = fields.Date(data_key="from")
    to = fields.Date()


class DosePatientSchema(Schema):
    id = fields.Integer()
    prison_number = fields.String()
    name = fields.String()
    custody_status = fields.String()
    absent_where = fields.String(allow_none=True)


class DoseOrderSchema(Schema):
    id = fields.Integer()
    version = fields.Integer()
    programme = fields.String()
    drug = fields.String()
    dose = fields.Float()
    unit = fields.String()
    route = fields.String()
    administration = fields.String()


class DoseSchema(Schema):
    id = fields.Integer()
    patient = fields.Nested(DosePatientSchema)
    order = fields.Nested(DoseOrderSchema)
    due_at = Instant()
    local_date = fields.Date()
    local_time = fields.String()
    status = fields.String(validate=validate.OneOf(DOSE_STATUSES))
    recorded_by = fields.String(allow_none=True)
    witnessed_by = fields.String(allow_none=True)
    administered_at = Instant(allow_none=True)
    late = fields.Boolean(allow_none=True)
    reason = fields.String(allow_none=True)
    dose_given = fields.Float(allow_none=True)
    administration_id = fields.Integer(allow_none=True)
    blocks = fields.List(fields.String(), metadata={
        "description": "Why a `given` would be refused now: review_required, "
                       "dose_already_given_today (ward MAR only)"})


OrderPage = page_of(OrderSchema, "OrderPage")
DosePage = page_of(DoseSchema, "DosePage")


class AdministrationCreateSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(RECORDED_OUTCOMES))
    administered_at = Instant(metadata={"description": "Default now; a past one is a late entry"})
    witnessed_by = fields.String(validate=validate.Length(min=1, max=64),
                                 metadata={"description": "Username of the witness"})
    reason = fields.String(validate=TEXT)
    dose_given = fields.Float(metadata={"description": "When it differs from the order"})


class AdministrationSchema(Schema):
    id = fields.Integer()
    dose_id = fields.Integer()
    dose_status = fields.String()
    outcome = fields.String()
    administered_at = Instant()
    recorded_at = Instant()
    recorded_by = fields.String(allow_none=True)
    witnessed_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    dose_given = fields.Float(allow_none=True)
    late = fields.Boolean()
    voided_at = Instant(allow_none=True)
    voided_by = fields.String(allow_none=True)
    void_reason = fields.String(allow_none=True)


class ReviewCreateSchema(Schema):
    programme = fields.String(required=True, validate=validate.OneOf(PROGRAMMES))
    note = fields.String(required=True, validate=TEXT)
    new_dose = fields.Float(allow_none=True)
    order_id = fields.Integer(metadata={"description": "Which order new_dose changes, when "
                                                      "several are active in the programme"})


class ReviewSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    programme = fields.String()
    note = fields.String()
    new_dose = fields.Float(allow_none=True)
    order = fields.Nested(OrderSchema, allow_none=True)
    reviewed_by = fields.String(allow_none=True)
    reviewed_at = Instant()


# -- plain dicts ------------------------------------------------------------------------

def _username(user):
    return user.username if user is not None else None


def order_dict(o, tz: str = "UTC") -> dict:
    from ..services.orders import run_out_on
    return {
        "id": o.id, "patient_id": o.patient_id, "version": o.version, "replaces": o.replaces_id,
        "lineage": o.lineage_id, "status": o.status, "programme": o.programme, "drug": o.drug,
        "dose": o.dose, "unit": o.unit, "route": o.route,
        "schedule": {"times": o.times, "every_days": o.every_days},
        "start_at": o.start_at, "end_at": o.end_at, "administration": o.administration,
        "quantity": o.quantity, "days_supply": o.days_supply, "phase": o.phase,
        "runs_out_on": run_out_on(o, tz),
        "prescribed_by": _username(o.prescriber), "created_at": o.created_at,
        "discontinued_at": o.discontinued_at, "discontinued_by": _username(o.discontinued_by),
        "discontinue_reason": o.discontinue_reason,
    }


def dose_dict(d, blocks=()) -> dict:
    p, o, a = d.patient, d.order, d.administration
    where = {"out_at_court": "at court", "out_at_hospital": "in hospital",
             "in_transfer": "in transfer", "released": "released"}.get(p.custody_status)
    return {
        "id": d.id,
        "patient": {"id": p.id, "prison_number": p.prison_number, "name": p.name,
                    "custody_status": p.custody_status, "absent_where": where},
        "order": {"id": o.id, "version": o.version, "programme": o.programme, "drug": o.drug,
                  "dose": o.dose, "unit": o.unit, "route": o.route,
                  "administration": o.administration},
        "due_at": d.due_at, "local_date": d.local_date,
        "local_time": d.due_at.astimezone(ZoneInfo(d.facility.timezone)).strftime("%H:%M"),
        "status": d.status,
        "recorded_by": _username(a.recorded_by) if a else None,
        "witnessed_by": _username(a.witnessed_by) if a else None,
        "administered_at": a.administered_at if a else None,
        "late": a.late if a else None,
        "reason": a.reason if a else None,
        "dose_given": a.dose_given if a else None,
        "administration_id": a.id if a else None,
        "blocks": list(blocks),
    }


def administration_dict(a, dose) -> dict:
    return {
        "id": a.id, "dose_id": a.dose_id, "dose_status": dose.status, "outcome": a.outcome,
        "administered_at": a.administered_at, "recorded_at": a.recorded_at,
        "recorded_by": _username(a.recorded_by), "witnessed_by": _username(a.witnessed_by),
        "reason": a.reason, "dose_given": a.dose_given, "late": a.late,
        "voided_at": a.voided_at, "voided_by": _username(a.voided_by), "void_reason": a.void_reason,
    }


def review_dict(r, order=None, tz="UTC") -> dict:
    return {
        "id": r.id, "patient_id": r.patient_id, "programme": r.programme, "note": r.note,
        "new_dose": r.new_dose, "order": order_dict(order, tz) if order is not None else None,
        "reviewed_by": _username(r.reviewed_by), "reviewed_at": r.reviewed_at,
    }

"""The escort letter (issue 5, item 4): shape and format only. Instants in UTC with `Z`,
each beside its reading in the sending facility's time (`*_local`)."""
from marshmallow import Schema, fields, validate

from ..rules.escort_doses import STATUSES as DOSE_STATUSES
from .common import Instant


class EscortLetterArgs(Schema):
    event = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "The court_scheduled or transfer_scheduled custody event (default: "
                       "her next planned absence not yet over)"})


class EscortPatientSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    given_name = fields.String()
    family_name = fields.String()
    prison_number = fields.String()
    date_of_birth = fields.Date()


class EscortFacilitySchema(Schema):
    code = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    health_unit = fields.String()
    timezone = fields.String()


class EscortAbsenceSchema(Schema):
    event_id = fields.Integer()
    event_type = fields.String(metadata={"description": "court_scheduled | transfer_scheduled"})
    purpose = fields.String()
    destination = fields.String()
    destination_code = fields.String(allow_none=True)
    departs_at = Instant()
    departs_local = fields.String()
    returns_at = Instant(metadata={"description": "Departure + planned_absence_hours (sweep.toml)"})
    returns_local = fields.String()
    hours = fields.Integer()


class EscortLastDoseSchema(Schema):
    administered_at = Instant()
    local = fields.String()
    dose_given = fields.Float(allow_none=True)
    unit = fields.String()
    recorded_by = fields.String(allow_none=True)
    witnessed_by = fields.String(allow_none=True)


class EscortDoseSchema(Schema):
    due_at = Instant()
    due_local = fields.String()
    status = fields.String(validate=validate.OneOf(DOSE_STATUSES))
    status_text = fields.String()
    administered_at = Instant(allow_none=True)
    administered_local = fields.String(allow_none=True)
    recorded_by = fields.String(allow_none=True)


class EscortOrderSchema(Schema):
    order_id = fields.Integer()
    programme = fields.String()
    programme_label = fields.String()
    drug = fields.String()
    dose = fields.Float()
    unit = fields.String()
    route = fields.String()
    schedule = fields.String()
    times = fields.List(fields.String())
    every_days = fields.Integer()
    administration = fields.String()
    witnessed = fields.Boolean()
    last_dose = fields.Nested(EscortLastDoseSchema, allow_none=True)
    doses_during_absence = fields.List(fields.Nested(EscortDoseSchema))


class EscortLetterSchema(Schema):
    patient = fields.Nested(EscortPatientSchema)
    facility = fields.Nested(EscortFacilitySchema)
    absence = fields.Nested(EscortAbsenceSchema)
    orders = fields.List(fields.Nested(EscortOrderSchema), metadata={
        "description": "Every active medication order (empty: none)"})
    prepared_at = Instant()
    prepared_local = fields.String()
    prepared_by = fields.String(allow_none=True)

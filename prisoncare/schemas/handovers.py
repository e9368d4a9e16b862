"""Transfer handovers (OST-T-01, TB-06): shape and format only."""
from marshmallow import Schema, fields, validate

from ..models.handovers import HANDOVER_PROGRAMMES
from .common import Instant


class HandoverCreateSchema(Schema):
    programmes = fields.List(fields.String(validate=validate.OneOf(HANDOVER_PROGRAMMES)),
                             required=True, validate=validate.Length(min=1), metadata={
                                 "description": "The treatments this handover covers"})
    prescription_sent = fields.Boolean(load_default=False)
    mar_summary_sent = fields.Boolean(load_default=False)
    last_dose_at = Instant(allow_none=True, metadata={
        "description": "The last dose given, as stated to the receiving unit (OST: required)"})
    take_home_doses = fields.Integer(allow_none=True, validate=validate.Range(min=0), metadata={
        "description": "OST: take-home doses she carries (0 for none; required)"})
    treatment_card_sent = fields.Boolean(load_default=False)
    tb_doses_remaining = fields.Integer(allow_none=True, validate=validate.Range(min=0),
                                        metadata={"description": "TB: doses of the regimen left"})
    to_facility = fields.String(metadata={"description": "Receiving facility code (default: "
                                                         "the transfer's destination)"})
    sent_at = Instant(metadata={"description": "When it was sent (default now)"})
    note = fields.String(validate=validate.Length(max=2000))


class HandoverSchema(Schema):
    id = fields.Integer()
    patient_id = fields.Integer()
    transfer_event_id = fields.Integer()
    transfer_event_type = fields.String(allow_none=True)
    from_facility = fields.String(allow_none=True)
    to_facility = fields.String(allow_none=True)
    programmes = fields.List(fields.String())
    prescription_sent = fields.Boolean()
    mar_summary_sent = fields.Boolean()
    last_dose_at = Instant(allow_none=True)
    take_home_doses = fields.Integer(allow_none=True)
    treatment_card_sent = fields.Boolean()
    tb_doses_remaining = fields.Integer(allow_none=True)
    sent_at = Instant()
    note = fields.String(allow_none=True)
    recorded_by = fields.String(allow_none=True)
    recorded_at = Instant()

from marshmallow import Schema, fields, validate

from ..models.alerts import ALERT_STATUSES, SEVERITIES
from .common import Instant, ListArgs


class AlertArgs(ListArgs):
    facility = fields.String(metadata={"description": "Facility code"})
    status = fields.String(validate=validate.OneOf(ALERT_STATUSES))
    patient = fields.Integer()
    rule = fields.String()
    severity = fields.String(validate=validate.OneOf(SEVERITIES))


class CauseSchema(Schema):
    event_type = fields.String()
    event_id = fields.Integer()


class AlertSchema(Schema):
    id = fields.Integer()
    rule = fields.String(metadata={"description": "Rule id; `custody_task` for custody staff"})
    severity = fields.String()
    role = fields.String(metadata={"description": "The role expected to act"})
    patient = fields.Integer()
    programme = fields.String(allow_none=True)
    status = fields.String()
    opened_at = Instant()
    message = fields.String()
    action = fields.String(allow_none=True)
    escalation_level = fields.Integer()
    acknowledged_at = Instant(allow_none=True)
    resolved_at = Instant(allow_none=True)
    cause = fields.Nested(CauseSchema, allow_none=True)


class AcknowledgeSchema(Schema):
    note = fields.String(validate=validate.Length(max=2000))


class ResolveSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))

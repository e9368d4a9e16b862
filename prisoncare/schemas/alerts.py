from marshmallow import Schema, fields, validate

from ..models.alerts import ALERT_STATUSES, SEVERITIES
from .common import Instant, ListArgs


class AlertArgs(ListArgs):
    facility = fields.String(metadata={"description": "Facility code"})
    status = fields.String(validate=validate.OneOf(ALERT_STATUSES))
    patient = fields.Integer()
    rule = fields.String()
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    mine = fields.Boolean(load_default=False, metadata={
        "description": "Only the alerts for your role(s): the role to act or escalated to "
                       "(custody staff: their tasks)"})


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
    escalated_to = fields.String(allow_none=True, metadata={
        "description": "The role the alert escalated to when nobody acknowledged it in time"})
    escalated_from = fields.String(allow_none=True, metadata={
        "description": "The role it escalated from (still sees it)"})
    escalated_at = Instant(allow_none=True)
    acknowledged_at = Instant(allow_none=True)
    resolved_at = Instant(allow_none=True)
    cause = fields.Nested(CauseSchema, allow_none=True)


class AcknowledgeSchema(Schema):
    note = fields.String(validate=validate.Length(max=2000))


class ResolveSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))

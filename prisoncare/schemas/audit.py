from marshmallow import fields

from .common import Instant, ListArgs
from marshmallow import Schema


class AuditArgs(ListArgs):
    patient = fields.Integer()
    user = fields.String(metadata={"description": "Username"})
    from_ = Instant(data_key="from")
    to = Instant()


class AuditEntrySchema(Schema):
    at = Instant()
    user = fields.String(attribute="username", allow_none=True)
    action = fields.String()
    entity = fields.String(allow_none=True)
    entity_id = fields.Integer(allow_none=True)
    patient = fields.Integer(attribute="patient_id", allow_none=True)
    remote_addr = fields.String(allow_none=True)

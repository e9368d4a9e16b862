from marshmallow import Schema, fields, validate

from ..models.facilities import FACILITY_KINDS, POPULATIONS

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
                       error="Use 1-32 letters, digits, dashes or underscores.")


class WardSchema(Schema):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class FacilitySchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(FACILITY_KINDS))
    population = fields.String(required=True, validate=validate.OneOf(POPULATIONS))
    timezone = fields.String(required=True, validate=validate.Length(min=1, max=64))
    wards = fields.List(fields.Nested(WardSchema), load_default=list)

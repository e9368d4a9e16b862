from marshmallow import Schema, fields, validate


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64))
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256))


class SessionUserSchema(Schema):
    username = fields.String()
    display_name = fields.String()
    roles = fields.List(fields.String())
    facilities = fields.List(fields.String())
    all_facilities = fields.Boolean()


class SessionSchema(Schema):
    user = fields.Nested(SessionUserSchema)
    csrf_token = fields.String()

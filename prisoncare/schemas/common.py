from datetime import datetime, timezone

from marshmallow import Schema, ValidationError, fields, validate


class Instant(fields.DateTime):
    """ISO 8601 with an offset in; UTC with `Z` out. A naive time is refused:
    a ward clock and a court clock must never be confused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str):
            raise ValidationError("Not a valid date-time.")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError("Not a valid ISO 8601 date-time.") from None
        if parsed.tzinfo is None:
            raise ValidationError("Give a UTC offset, e.g. 2026-03-01T08:00:00+02:00 or ...Z.")
        return parsed.astimezone(timezone.utc)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


class ErrorBody(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorEnvelopeSchema(Schema):
    """The contract's error envelope."""

    error = fields.Nested(ErrorBody, required=True)


class ListArgs(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0))


def page_of(item_schema, name: str):
    """A `{"items": [...], "total": N}` response schema for `item_schema`."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema), required=True),
         "total": fields.Integer(required=True)},
        name=name,
    )

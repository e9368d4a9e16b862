from marshmallow import Schema, fields, validate

from ..models.patients import LEGAL_STATUSES, SEXES
from ..rules.custody_transitions import EVENT_TYPES, RELEASE_FROM, STATUSES
from .common import Instant, ListArgs

NAME = validate.Length(min=1, max=100)


class CustodySchema(Schema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    facility = fields.String(allow_none=True)
    ward = fields.String(allow_none=True)
    to_facility = fields.String(allow_none=True)
    legal_status = fields.String(allow_none=True)
    expected_release_date = fields.Date(allow_none=True)
    next_court_date = fields.Date(allow_none=True)
    next_court_at = Instant(allow_none=True)


class PatientCreateSchema(Schema):
    prison_number = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9/_-]{0,31}$", error="Use 1-32 letters, digits, / _ or -."))
    given_name = fields.String(required=True, validate=NAME)
    family_name = fields.String(required=True, validate=NAME)
    date_of_birth = fields.Date(required=True)
    sex = fields.String(required=True, validate=validate.OneOf(SEXES))
    gender_identity = fields.String(allow_none=True, validate=validate.Length(max=64))
    preferred_language = fields.String(allow_none=True, validate=validate.Regexp(
        r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", error="Use a language tag such as uk, ru or en."))
    facility = fields.String(
        metadata={"description": "Facility code responsible for the record (extension). "
                                 "Defaults to the user's only facility."})


class PatientSchema(Schema):
    id = fields.Integer()
    prison_number = fields.String()
    given_name = fields.String()
    family_name = fields.String()
    date_of_birth = fields.Date()
    sex = fields.String()
    gender_identity = fields.String(allow_none=True)
    preferred_language = fields.String(allow_none=True)
    custody = fields.Nested(CustodySchema)


class PatientListArgs(ListArgs):
    q = fields.String(metadata={"description": "Prison number, or part of a name"})
    facility = fields.String(metadata={"description": "Facility code"})
    ward = fields.String(metadata={"description": "Ward code (with facility)"})
    status = fields.String(validate=validate.OneOf(STATUSES))


class CustodyEventCreateSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(EVENT_TYPES))
    occurred_at = Instant(metadata={"description": "Required for events that happened; "
                                                   "defaults to now for *_scheduled plans."})
    facility = fields.String()
    ward = fields.String()
    to_facility = fields.String()
    legal_status = fields.String(validate=validate.OneOf(LEGAL_STATUSES))
    expected_at = Instant()
    release_from = fields.String(data_key="from", validate=validate.OneOf(RELEASE_FROM))
    note = fields.String(validate=validate.Length(max=2000))


class CustodyEventSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    occurred_at = Instant()
    recorded_at = Instant()
    recorded_by = fields.String(allow_none=True)
    facility = fields.String(allow_none=True)
    ward = fields.String(allow_none=True)
    to_facility = fields.String(allow_none=True)
    legal_status = fields.String(allow_none=True)
    expected_at = Instant(allow_none=True)
    release_from = fields.String(data_key="from", allow_none=True)
    note = fields.String(allow_none=True)
    status_before = fields.String()
    status_after = fields.String()
    episode_id = fields.Integer()

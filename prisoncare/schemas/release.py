"""Release planning: shape and format only (the service checks references and rules)."""
from marshmallow import Schema, fields, validate

from ..rules.release import CONSENT_CATEGORIES, NEEDS, SOCIAL_NEEDS, SOCIAL_OUTCOMES
from ..services.providers import SERVICES
from .common import Instant, ListArgs


# --- providers ---------------------------------------------------------------------

class ProviderFields(Schema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    services = fields.List(fields.String(validate=validate.OneOf(SERVICES)),
                           validate=validate.Length(min=1))
    address = fields.String(allow_none=True)
    city = fields.String(allow_none=True, validate=validate.Length(max=100))
    phone = fields.String(allow_none=True, validate=validate.Length(max=50))
    hours = fields.String(allow_none=True, validate=validate.Length(max=200))
    women_only = fields.Boolean()
    active = fields.Boolean()


class ProviderCreateSchema(ProviderFields):
    code = fields.String(required=True, validate=validate.Regexp(
        r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$", error="Letters, digits, - _ . (at most 32)."))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    services = fields.List(fields.String(validate=validate.OneOf(SERVICES)), required=True,
                           validate=validate.Length(min=1))


class ProviderUpdateSchema(ProviderFields):
    """Only the fields given change."""


class ProviderSchema(ProviderFields):
    code = fields.String()


class ProviderArgs(ListArgs):
    service = fields.String(validate=validate.OneOf(SERVICES))
    women_only = fields.Boolean()
    q = fields.String()
    include_inactive = fields.Boolean(load_default=False)


# --- the plan ------------------------------------------------------------------------

class CircumstancesSchema(Schema):
    opioid_use = fields.Boolean(allow_none=True)
    pregnant = fields.Boolean(allow_none=True)
    breastfeeding = fields.Boolean(allow_none=True)
    children_outside = fields.Boolean(allow_none=True)
    child_with_her = fields.Boolean(allow_none=True)
    violence_support_needed = fields.Boolean(
        allow_none=True, metadata={"description": "She needs violence support (the need only, "
                                                  "never what she disclosed)"})


class ReferralInSchema(Schema):
    need = fields.String(required=True, validate=validate.OneOf(NEEDS))
    provider = fields.String(allow_none=True, metadata={"description": "Provider code"})
    appointment_at = Instant(allow_none=True)
    supply_days = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=366))
    note = fields.String(allow_none=True)


class SocialNeedSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(SOCIAL_OUTCOMES))
    provider = fields.String(allow_none=True)
    note = fields.String(allow_none=True)


class ConsentSchema(Schema):
    provider = fields.String(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(CONSENT_CATEGORIES)),
                             required=True,
                             metadata={"description": "What may be shared with this provider; "
                                                      "[] withdraws every consent"})


class PlanUpdateSchema(Schema):
    version = fields.Integer(metadata={"description": "The version read; a stale one is a 409"})
    circumstances = fields.Nested(CircumstancesSchema)
    referrals = fields.List(fields.Nested(ReferralInSchema))
    checks = fields.Dict(keys=fields.String(), values=fields.Boolean())
    social_needs = fields.Dict(keys=fields.String(validate=validate.OneOf(SOCIAL_NEEDS)),
                               values=fields.Nested(SocialNeedSchema))
    consents = fields.List(fields.Nested(ConsentSchema))


class ReferralOutSchema(Schema):
    need = fields.String()
    provider = fields.Nested(ProviderSchema, allow_none=True)
    appointment_at = Instant(allow_none=True)
    supply_days = fields.Integer(allow_none=True)
    note = fields.String(allow_none=True)


class PlanItemSchema(Schema):
    id = fields.String()
    name = fields.String()
    section = fields.String()
    rule_refs = fields.List(fields.String())
    required = fields.Boolean()
    done = fields.Boolean()
    problem = fields.String(allow_none=True)


class LastDoseSchema(Schema):
    programme = fields.String()
    drug = fields.String()
    dose = fields.Float()
    unit = fields.String()
    administered_at = Instant()


class FollowUpOutSchema(Schema):
    provider = fields.String()
    attended = fields.Boolean(allow_none=True)
    checked_at = Instant()
    note = fields.String(allow_none=True)
    need = fields.String(allow_none=True, metadata={"description": "The appointment it answers"})
    day = fields.Integer(allow_none=True, metadata={"description": "The check: 3, 7 or 30 days after release"})


class ViolenceSupportSchema(Schema):
    needed = fields.Boolean(metadata={"description": "Known to need violence support (never why)"})
    status = fields.String(metadata={"description": "referral_accepted | arranged | declined | "
                                                    "not_needed | not_discussed"})


class PlanSchema(Schema):
    id = fields.Integer()
    patient = fields.Integer()
    status = fields.String(metadata={"description": "draft | finalized"})
    kind = fields.String(metadata={"description": "planned | emergency"})
    trigger = fields.String()
    version = fields.Integer()
    definition_version = fields.Integer()
    opened_at = Instant()
    release_date = fields.Date(allow_none=True)
    finalized_at = Instant(allow_none=True)
    programmes = fields.List(fields.String())
    opioid_use = fields.Boolean()
    circumstances = fields.Nested(CircumstancesSchema)
    thresholds = fields.Dict()
    referrals = fields.List(fields.Nested(ReferralOutSchema))
    checks = fields.Dict(keys=fields.String(), values=fields.Boolean())
    social_needs = fields.Dict(keys=fields.String(), values=fields.Nested(SocialNeedSchema))
    consents = fields.List(fields.Nested(ConsentSchema))
    last_doses = fields.List(fields.Nested(LastDoseSchema))
    items = fields.List(fields.Nested(PlanItemSchema))
    missing = fields.List(fields.String(), metadata={"description": "Names of the required items not done"})
    follow_ups = fields.List(fields.Nested(FollowUpOutSchema))
    violence_support = fields.Nested(ViolenceSupportSchema, allow_none=True,
                                     metadata={"description": "Women: the need's status only"})


class FollowUpSchema(Schema):
    provider = fields.String(required=True, metadata={"description": "Provider code"})
    attended = fields.Boolean(required=True, allow_none=True,
                              metadata={"description": "true, false, or null (unknown)"})
    checked_at = Instant(required=True)
    note = fields.String(allow_none=True)
    need = fields.String(validate=validate.OneOf(NEEDS),
                         metadata={"description": "The appointment (referral need) it answers; "
                                                  "defaults to the provider's only one"})
    day = fields.Integer(validate=validate.OneOf((3, 7, 30)),
                         metadata={"description": "The check it answers; defaults to the latest "
                                                  "due at checked_at"})


class WorklistArgs(ListArgs):
    facility = fields.String(metadata={"description": "Facility code; defaults to your only facility."})
    status = fields.String(load_default="open", validate=validate.OneOf(
        ("open", "due", "overdue", "recorded", "upcoming", "all")))


class ReleasePatientRefSchema(Schema):
    id = fields.Integer()
    prison_number = fields.String()
    name = fields.String()


class ProviderRefSchema(Schema):
    code = fields.String()
    name = fields.String()
    phone = fields.String(allow_none=True)


class FollowUpWorklistItemSchema(Schema):
    plan = fields.Integer()
    patient = fields.Nested(ReleasePatientRefSchema)
    need = fields.String()
    provider = fields.Nested(ProviderRefSchema)
    appointment_at = Instant(allow_none=True)
    released_at = Instant()
    day = fields.Integer(metadata={"description": "3, 7 or 30 days after release"})
    due_on = fields.Date()
    status = fields.String(metadata={"description": "upcoming | due | overdue | attended | "
                                                    "not_attended | unknown"})
    days_overdue = fields.Integer()
    checked_at = Instant(allow_none=True)
    note = fields.String(allow_none=True)


class FhirArgs(Schema):
    provider = fields.String(metadata={"description": "Only what she consented to share with this provider"})


class BoardArgs(Schema):
    facility = fields.String()
    days = fields.Integer(load_default=30, validate=validate.Range(min=1, max=366))

"""Checklists and community medication: shape and format only."""
from marshmallow import Schema, fields, validate

from ..models.intake import COMMUNITY_PROGRAMMES, COMMUNITY_SOURCES
from ..rules.checklists import KINDS
from .common import Instant, ListArgs


class ChecklistItemSchema(Schema):
    id = fields.String(metadata={"example": "IN-19"})
    section = fields.String()
    text = fields.String(metadata={"description": "The question."})
    rule_refs = fields.List(fields.String(), metadata={"example": ["BR6(e)", "BR7"]})
    applies = fields.Boolean(metadata={
        "description": "False for an item answered earlier that no longer applies "
                       "(e.g. a follow-up whose parent answer changed)."})
    answer_type = fields.String(validate=validate.OneOf(
        ("yes_no", "choice", "number", "date", "text", "consent", "children")))
    options = fields.List(fields.String(), metadata={
        "description": "Valid answers of a yes_no, choice or consent item, markers included."})
    declinable = fields.Boolean(metadata={"description": "\"declined\" is a valid answer (Bangkok Rule 8)."})
    confidential = fields.Boolean()
    follow_up_of = fields.String(allow_none=True)
    due_at = Instant()
    overdue = fields.Boolean()
    answer = fields.Raw(allow_none=True)
    note = fields.String(allow_none=True)
    answered_by = fields.String(allow_none=True)
    answered_at = Instant(allow_none=True)


class ChecklistStatusSchema(Schema):
    complete = fields.Boolean()
    overdue = fields.Boolean()
    next_due_at = Instant(allow_none=True, metadata={
        "description": "When the earliest unanswered item is due."})
    items_total = fields.Integer()
    items_answered = fields.Integer()
    items_overdue = fields.Integer()


class TriggerSchema(Schema):
    event_type = fields.String()
    event_id = fields.Integer()


class ChecklistSchema(Schema):
    def get_attribute(self, obj, attr, default):
        # Plain dicts only: a missing "items" must stay missing, not become dict.items.
        return obj.get(attr, default)

    id = fields.Integer()
    patient_id = fields.Integer()
    kind = fields.String(validate=validate.OneOf(tuple(KINDS)))
    title = fields.String()
    definition_version = fields.Integer()
    opened_at = Instant()
    due_at = Instant()
    completed_at = Instant(allow_none=True)
    trigger = fields.Nested(TriggerSchema)
    status = fields.Nested(ChecklistStatusSchema, metadata={
        "description": "For every role that may see checklists. Without the confidential "
                       "permission the counts leave out confidential items."})
    items = fields.List(fields.Nested(ChecklistItemSchema), metadata={
        "description": "Clinical roles only; absent for custody staff and auditors, who see "
                       "the status alone. Confidential items (violence, HIV, pregnancy, "
                       "children) only for nurses and clinicians."})


class AnswerSchema(Schema):
    answer = fields.Raw(required=True, allow_none=True, metadata={
        "description": "\"yes\"/\"no\", an option, a number, \"YYYY-MM-DD\", text, "
                       "\"offered\"/\"accepted\"/\"declined\", or a list of children; "
                       "\"not_applicable\" always, \"declined\" for sensitive items."})
    note = fields.String(allow_none=True, validate=validate.Length(max=2000))


class FacilityChecklistArgs(ListArgs):
    facility = fields.String(metadata={"description": "Facility code; defaults to your only facility."})
    status = fields.String(load_default="open", validate=validate.OneOf(("open", "overdue")))


class PatientRefSchema(Schema):
    id = fields.Integer()
    prison_number = fields.String()
    name = fields.String()
    ward = fields.String(allow_none=True)


class FacilityChecklistSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    patient = fields.Nested(PatientRefSchema)
    opened_at = Instant()
    due_at = Instant()
    next_due_at = Instant(allow_none=True)
    overdue = fields.Boolean()


class FacilityChecklistPage(Schema):
    items = fields.List(fields.Nested(FacilityChecklistSchema), required=True)
    total = fields.Integer(required=True)


class CommunityMedicationCreateSchema(Schema):
    programme = fields.String(required=True, validate=validate.OneOf(COMMUNITY_PROGRAMMES))
    drug = fields.String(required=True, validate=validate.Length(min=1, max=200))
    dose = fields.Decimal(required=True, places=3, validate=validate.Range(min=0, min_inclusive=False))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=16))
    last_dose_at = Instant(load_default=None, allow_none=True, metadata={
        "description": "Including time in police custody; null or absent when she does not know."})
    source = fields.String(required=True, validate=validate.OneOf(COMMUNITY_SOURCES))
    clinic = fields.String(allow_none=True, validate=validate.Length(max=200))


class ContinuationSchema(Schema):
    pending = fields.Boolean(metadata={"description": "OST or ART without a matching active order."})
    target_at = Instant(allow_none=True, metadata={"description": "Admission + 24 hours."})
    hours_left = fields.Float(allow_none=True, metadata={"description": "Negative once past."})


class CommunityMedicationSchema(Schema):
    id = fields.Integer()
    programme = fields.String()
    drug = fields.String()
    dose = fields.Float()
    unit = fields.String()
    last_dose_at = Instant(allow_none=True)
    source = fields.String()
    clinic = fields.String(allow_none=True)
    recorded_by = fields.String(allow_none=True)
    recorded_at = Instant()
    continuation = fields.Nested(ContinuationSchema)

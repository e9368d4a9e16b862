"""Sexual and reproductive health: shape and format only (rules live in the service)."""
from marshmallow import Schema, fields, validate

from ..models import srh as m
from .common import Instant, ListArgs, page_of

Text = lambda n=2000, **kw: fields.String(validate=validate.Length(min=1, max=n), **kw)  # noqa: E731


class EnableSchema(Schema):
    reason = Text(required=True, metadata={"description": "Why this patient needs an SRH record."})


class PregnancyTestCreateSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(m.PREGNANCY_TEST_STATUSES))
    result = fields.String(validate=validate.OneOf(m.PREGNANCY_TEST_RESULTS),
                           metadata={"description": "Required when status is done."})
    occurred_at = Instant(metadata={"description": "Defaults to now."})
    note = Text()


class PregnancyCreateSchema(Schema):
    dating_method = fields.String(required=True, validate=validate.OneOf(m.DATING_METHODS))
    lmp_on = fields.Date(metadata={"description": "First day of the last menstrual period (lmp dating)."})
    scan_on = fields.Date(metadata={"description": "Date of the dating scan (scan dating)."})
    scan_gestation_weeks = fields.Integer(validate=validate.Range(min=4, max=42))
    scan_gestation_days = fields.Integer(load_default=0, validate=validate.Range(min=0, max=6))
    drug_dependent = fields.Boolean(load_default=False, metadata={
        "description": "Dependent on drugs: the booking contact is due within 24 hours, not 7 days."})


class PregnancyCorrectionSchema(Schema):
    """Re-date the current pregnancy (scan dating, a corrected LMP) and/or correct
    whether she is drug-dependent; the reason is audited with before and after."""
    reason = Text(required=True, metadata={"description": "Why, e.g. 'dating scan 12+3'."})
    dating_method = fields.String(validate=validate.OneOf(m.DATING_METHODS), metadata={
        "description": "Give it to re-date, with lmp_on or scan_on + scan_gestation_weeks."})
    lmp_on = fields.Date()
    scan_on = fields.Date()
    scan_gestation_weeks = fields.Integer(validate=validate.Range(min=4, max=42))
    scan_gestation_days = fields.Integer(load_default=0, validate=validate.Range(min=0, max=6))
    drug_dependent = fields.Boolean()


class ChildUpdateSchema(Schema):
    """Correct a child's feeding or HIV exposure, or record that the child left her."""
    feeding = fields.String(validate=validate.OneOf(m.FEEDING))
    hiv_exposed = fields.Boolean()
    left_at = Instant(allow_none=True, metadata={
        "description": "When the child left her mother (not in the future); with left_to."})
    left_to = Text(200, allow_none=True, metadata={
        "description": "Where the child went, or to whom (father, grandmother, foster care...)."})


class ChildUpdateFormSchema(ChildUpdateSchema):
    child_id = fields.Integer(required=True)


class ContactCreateSchema(Schema):
    kind = fields.String(load_default="antenatal", validate=validate.OneOf(m.CONTACT_KINDS))
    contact_on = fields.Date(required=True)
    by_whom = Text(200, metadata={"description": "Midwife, obstetrician, clinic."})
    note = Text()


class BirthPlanSchema(Schema):
    hospital = Text(200, required=True)
    escort = Text(2000, metadata={"description": "Escort arrangements (female staff, no restraints: Rule 24)."})
    who_is_told = fields.List(Text(200), load_default=list, metadata={
        "description": "Who she wants told of the labour and birth."})
    feeding_intention = fields.String(validate=validate.OneOf(m.FEEDING))


class OutcomeSchema(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(m.OUTCOMES))
    ended_on = fields.Date(required=True)
    note = Text()


class BreastfeedingSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(m.BREASTFEEDING_STATUSES))
    since_on = fields.Date(metadata={"description": "Defaults to today."})


class ChildCreateSchema(Schema):
    name = Text(200, required=True)
    sex = fields.String(validate=validate.OneOf(("female", "male", "intersex", "unknown")))
    born_at = Instant(required=True)
    arrived_at = Instant(metadata={"description": "When the child came to live with her; defaults to birth."})
    hiv_exposed = fields.Boolean(allow_none=True, metadata={
        "description": "Born to a mother living with HIV. Omitted: taken from the mother's "
                       "record (an ART order, ART in the community, or a PMTCT viral load); "
                       "false is refused when her record shows she lives with HIV."})
    feeding = fields.String(validate=validate.OneOf(m.FEEDING))
    from_pregnancy = fields.Boolean(load_default=False, metadata={
        "description": "Born of her latest recorded pregnancy."})


class ChildCareCreateSchema(Schema):
    child_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(m.CHILD_CARE_KINDS))
    code = fields.String(validate=validate.Length(max=32), metadata={
        "description": "Immunisation code (immunisation) or test code (hiv_test), from the schedules."})
    done_on = fields.Date(required=True)
    result = fields.String(validate=validate.Length(max=32))
    note = Text()


class PreventiveCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(m.PREVENTIVE_KINDS))
    done_on = fields.Date(required=True)
    result = fields.String(validate=validate.OneOf(m.PREVENTIVE_RESULTS))
    detail = Text(metadata={"description": "Test, treatment, method or materials provided."})


class ViolenceCreateSchema(Schema):
    period = fields.String(required=True, validate=validate.OneOf(m.VIOLENCE_PERIODS))
    disclosure = Text(4000, required=True)
    informed_of_recourse = fields.Boolean(required=True, metadata={
        "description": "Told of her right to seek judicial recourse (Rule 7)."})
    support_accepted = fields.List(fields.String(validate=validate.OneOf(m.SUPPORT_KINDS)),
                                   load_default=list)
    referral = Text()


class EscortCreateSchema(Schema):
    escorted_at = Instant(required=True)
    purpose = fields.String(load_default="other", validate=validate.OneOf(m.ESCORT_PURPOSES), metadata={
        "description": "labour_birth (Rule 24 applies whatever the gestation: preterm labour), "
                       "antenatal, or other (default)."})
    hospital = Text(200)
    restraint_used = fields.Boolean(required=True)
    restraint_note = Text(metadata={"description": "Required when restraint was used."})


# --- responses -------------------------------------------------------------------------

class FlagSchema(Schema):
    code = fields.String(metadata={"example": "BR22"})
    text = fields.String()


class ProtectionFlagsSchema(Schema):
    patient_id = fields.Integer()
    flags = fields.List(fields.Nested(FlagSchema), metadata={
        "description": "Bangkok Rules 22/24 protections in force: no diagnosis, no SRH detail."})


class EntrySchema(Schema):
    """One recorded entry, as stored (fields depend on the kind)."""
    class Meta:
        unknown = "include"

    id = fields.Integer()
    recorded_at = fields.String(metadata={"description": "UTC instant, ISO 8601 with Z."})
    recorded_by = fields.String(allow_none=True)


class ViolenceSchema(EntrySchema):
    period = fields.String()
    disclosure = fields.String()
    informed_of_recourse = fields.Boolean()
    support_accepted = fields.List(fields.String())
    referral = fields.String(allow_none=True)


ViolencePage = page_of(ViolenceSchema, "SrhViolencePage")


class EscortSchema(EntrySchema):
    escorted_at = fields.String(metadata={"description": "UTC instant, ISO 8601 with Z."})
    hospital = fields.String(allow_none=True)
    restraint_used = fields.Boolean()
    restraint_note = fields.String(allow_none=True)
    rule24_applied = fields.Boolean()
    purpose = fields.String(allow_none=True)


class SrhSummarySchema(Schema):
    """The SRH record (never the violence records: see .../srh/violence)."""
    patient_id = fields.Integer()
    enabled = fields.Boolean(metadata={"description": "Female, or enabled by a clinician."})
    enabled_reason = fields.String(allow_none=True)
    pregnancy = fields.Dict(allow_none=True, metadata={
        "description": "The current (or latest) pregnancy: dating, due_on, gestation 'W+D', "
                       "contacts and the antenatal/postnatal schedule, birth plan, outcome."})
    past_pregnancies = fields.List(fields.Dict())
    pregnancy_tests = fields.List(fields.Dict())
    breastfeeding = fields.Dict(allow_none=True)
    children = fields.List(fields.Dict(), metadata={
        "description": "Children living with her: screening, immunisations, HIV-exposed infant plan."})
    preventive = fields.List(fields.Dict())
    screening_due = fields.List(fields.Dict())
    next_screening = fields.Dict(allow_none=True, metadata={
        "description": "The soonest screening she is owed: kind, name, due_on, status, reason."})
    next_viral_load = fields.Dict(allow_none=True, metadata={
        "description": "PMTCT, on ART while pregnant or breastfeeding: the next viral load "
                       "(code, name, due_on, status: upcoming | due | overdue), else null."})
    escorts = fields.List(fields.Nested(EscortSchema))
    protection_flags = fields.List(fields.Nested(FlagSchema))


# --- the facility worklist and enabling --------------------------------------------------

class WorklistArgs(ListArgs):
    facility = fields.String(required=True, metadata={"description": "Facility code"})
    status = fields.String(validate=validate.OneOf(("due", "overdue")),
                           metadata={"description": "Only due or only overdue items."})


class WorklistPatientSchema(Schema):
    id = fields.Integer()
    prison_number = fields.String()
    name = fields.String()
    ward = fields.String(allow_none=True)
    gestation = fields.String(allow_none=True, metadata={
        "description": "Weeks+days if she is pregnant (roles that read confidential data), else null."})


class WorklistChildSchema(Schema):
    id = fields.Integer()
    name = fields.String()


class SrhWorklistItemSchema(Schema):
    """One thing due or overdue for a woman or a child living with her."""
    patient = fields.Nested(WorklistPatientSchema)
    kind = fields.String(metadata={"description": "antenatal_booking | antenatal_contact | "
                                   "postnatal_contact | child_screen | infant_prophylaxis | "
                                   "immunisation | infant_hiv_test | cervical_screening | "
                                   "breast_screening | viral_load | sti_treatment"})
    label = fields.String()
    name = fields.String()
    status = fields.String(metadata={"description": "due | overdue"})
    due_on = fields.String(metadata={"description": "YYYY-MM-DD"})
    overdue_at = fields.String(metadata={"description": "When it is (was) overdue: UTC instant, ISO 8601 with Z."})
    days_overdue = fields.Integer()
    child = fields.Nested(WorklistChildSchema, allow_none=True)


WorklistPage = page_of(SrhWorklistItemSchema, "SrhWorklistPage")


class RevokeSchema(Schema):
    reason = Text(required=True, metadata={"description": "Why the record is closed."})

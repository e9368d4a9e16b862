"""Report query arguments and responses (issue 8). Shape only: the groups are
checked by the service, so the page and the API give the same field error."""
from marshmallow import Schema, fields, validate

from .common import Instant, ListArgs

FORMATS = ("json", "csv")


class ReportArgs(Schema):
    from_ = fields.Date(data_key="from", metadata={"description": "First day (default: 365 days ago)"})
    to = fields.Date(metadata={"description": "Last day, included (default: yesterday)"})
    facility = fields.String(metadata={"description": "Facility code (default: all you can see)"})
    group_by = fields.String(metadata={
        "description": "Comma-separated: facility, month, sex, age_band, legal_status, programme, cause"})
    format = fields.String(validate=validate.OneOf(FORMATS),
                           metadata={"description": "csv: the same rows as CSV (or Accept: text/csv)"})


class IndicatorArgs(ReportArgs):
    group_by = fields.String(metadata={"description": "Comma-separated: sex (always), facility"})
    indicator = fields.String(metadata={"description": "CSV of this indicator only (its id)"})


class EpisodeArgs(ListArgs):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    facility = fields.String()
    sex = fields.String()
    age_band = fields.String()
    legal_status = fields.String()
    programme = fields.String()
    cause = fields.String()
    month = fields.String(validate=validate.Regexp(r"^\d{4}-\d{2}$"), metadata={"description": "YYYY-MM"})
    figure = fields.String(validate=validate.OneOf(("interruptions", "missed_doses")), metadata={
        "description": "interruptions (default): the episodes started in the period; "
                       "missed_doses: the episodes with a missed dose due in the period"})
    format = fields.String(validate=validate.OneOf(FORMATS),
                           metadata={"description": "csv: every row as CSV, unpaged "
                                                    "(or Accept: text/csv)"})


class InterruptionRowSchema(Schema):
    facility = fields.String()
    month = fields.String()
    sex = fields.String()
    age_band = fields.String()
    legal_status = fields.String()
    programme = fields.String()
    cause = fields.String()
    interruptions = fields.Integer(required=True)
    missed_doses = fields.Integer(required=True)
    person_days_on_treatment = fields.Integer(
        allow_none=True, required=True,
        metadata={"description": "Person-days on treatment, counted per programme; null in a "
                                 "grouping by cause (see the totals)."})
    rate_per_100_person_days = fields.Float(allow_none=True, required=True)


class TotalsSchema(Schema):
    interruptions = fields.Integer()
    missed_doses = fields.Integer()
    person_days_on_treatment = fields.Integer(
        metadata={"description": "Counted per programme: the rate's denominator."})
    person_days_any_treatment = fields.Integer(
        metadata={"description": "Each person and day once, whatever the programmes."})
    rate_per_100_person_days = fields.Float(allow_none=True)


class InterruptionReportSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    facility = fields.String(allow_none=True)
    group_by = fields.List(fields.String())
    items = fields.List(fields.Nested(InterruptionRowSchema), required=True)
    total = fields.Integer(required=True)
    totals = fields.Nested(TotalsSchema)


class FigureSchema(Schema):
    sex = fields.String()
    facility = fields.String()
    numerator = fields.Integer(allow_none=True)
    denominator = fields.Integer()
    value = fields.Float(allow_none=True)
    level = fields.String(allow_none=True, metadata={"description": "low | medium | high (guide bands)"})
    outstanding = fields.Integer(metadata={
        "description": "Medians only: how many had no response / first dose by the period end "
                       "(left out of the median, which is over `denominator`)."})
    outstanding_percent = fields.Float(allow_none=True, metadata={
        "description": "Medians only: outstanding / (denominator + outstanding), in percent."})


class BandsSchema(Schema):
    low_below = fields.Float()
    high_above = fields.Float()
    confidence = fields.String(allow_none=True)


class IndicatorSchema(Schema):
    id = fields.String()
    name = fields.String()
    unit = fields.String()
    numerator_definition = fields.String()
    denominator_definition = fields.String()
    period = fields.String()
    source = fields.String()
    bands = fields.Nested(BandsSchema, allow_none=True)
    guide_note = fields.String(allow_none=True, metadata={
        "description": "How the measure differs from the technical guide's, and why a band is "
                       "or is not shown."})
    rows = fields.List(fields.Nested(FigureSchema))
    total = fields.Nested(FigureSchema)


class IndicatorReportSchema(Schema):
    from_ = fields.Date(data_key="from")
    to = fields.Date()
    facility = fields.String(allow_none=True)
    group_by = fields.List(fields.String())
    items = fields.List(fields.Nested(IndicatorSchema), required=True)
    total = fields.Integer(required=True)


class EpisodeRowSchema(Schema):
    id = fields.Integer()
    patient = fields.Integer()
    facility = fields.String()
    sex = fields.String()
    age_band = fields.String()
    programme = fields.String()
    cause = fields.String()
    start_on = fields.Date()
    end_on = fields.Date(allow_none=True)
    length_days = fields.Integer()
    missed_days = fields.Integer()
    missed_doses = fields.Integer()
    missed_doses_in_period = fields.Integer(metadata={
        "description": "Of its missed doses, those due in the period (what the report counts)"})
    held_days = fields.Integer()
    cause_days = fields.Dict(keys=fields.String(), values=fields.Integer())


class ChainEventSchema(Schema):
    id = fields.Integer()
    type = fields.String()
    occurred_at = Instant()
    recorded_at = Instant()
    recorded_by = fields.String(allow_none=True)
    status_after = fields.String()


class ChainDoseSchema(Schema):
    id = fields.Integer()
    due_at = Instant()
    local_date = fields.Date()
    status = fields.String()
    in_episode = fields.Boolean()
    mark = fields.String(allow_none=True)
    mark_cause = fields.String(allow_none=True)
    marked_at = Instant(allow_none=True)
    recorded_outcome = fields.String(allow_none=True)
    recorded_at = Instant(allow_none=True)
    recorded_by = fields.String(allow_none=True)


class ChainAlertSchema(Schema):
    id = fields.Integer()
    rule = fields.String()
    severity = fields.String()
    role = fields.String()
    message = fields.String()
    status = fields.String()
    opened_at = Instant()
    escalation_level = fields.Integer()
    acknowledged_at = Instant(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    resolved_at = Instant(allow_none=True)
    resolved_by = fields.String(allow_none=True)


class CauseChainSchema(Schema):
    episode = fields.Nested(EpisodeRowSchema)
    cause_event = fields.Nested(ChainEventSchema, allow_none=True)
    custody_events = fields.List(fields.Nested(ChainEventSchema))
    doses = fields.List(fields.Nested(ChainDoseSchema))
    alerts = fields.List(fields.Nested(ChainAlertSchema))

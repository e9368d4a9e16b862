"""Interruption episodes API (issue 5): what the sweep found, with its cause."""
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ... import clock
from ...authz import Permission, ensure_patient_visible, require
from ...extensions import db
from ...models import Patient
from ...models.medication import PROGRAMMES
from ...schemas.common import ListArgs, page_of
from ...services import interruption_episodes as service
from ...services.facilities import visible_facility
from .docs import errors

blp = Blueprint("api_interruptions", __name__, description="Treatment interruptions (issue 5).")

CAUSES = ("court", "transfer", "hospital", "release_without_supply", "intake_gap", "stock_out",
          "refusal", "documentation_gap")


class InterruptionArgs(ListArgs):
    facility = fields.String(metadata={"description": "Facility code"})
    patient = fields.Integer()
    programme = fields.String(validate=validate.OneOf(PROGRAMMES))
    from_ = fields.Date(data_key="from", metadata={"description": "Overlapping this day or later"})
    to = fields.Date(metadata={"description": "Overlapping this day or earlier"})
    open = fields.Boolean(metadata={"description": "true: still going on; false: ended"})


class CauseEventSchema(Schema):
    event_type = fields.String()
    event_id = fields.Integer()


class InterruptionSchema(Schema):
    id = fields.Integer()
    patient = fields.Integer()
    facility = fields.String(allow_none=True)
    programme = fields.String()
    drug_family = fields.String(allow_none=True)
    start_on = fields.Date()
    end_on = fields.Date(allow_none=True, metadata={"description": "None while it goes on"})
    open = fields.Boolean()
    length_days = fields.Integer()
    missed_days = fields.Integer(metadata={"description": "Days in custody without a given dose"})
    missed_doses = fields.Integer()
    held_days = fields.Integer()
    cause = fields.String(metadata={"description": " | ".join(CAUSES)})
    cause_days = fields.Dict(keys=fields.String(), values=fields.Integer())
    cause_event = fields.Nested(CauseEventSchema, allow_none=True)


InterruptionPage = page_of(InterruptionSchema, "InterruptionPage")


@blp.route("/interruptions", methods=["GET"])
@require(Permission.INTERRUPTION_READ)
@blp.arguments(InterruptionArgs, location="query")
@blp.response(200, InterruptionPage)
@errors(blp, 401, 403, 404, 422)
def list_interruptions(args):
    """Treatment interruption episodes in your facilities, newest first, each with
    its length, missed days and doses, and the cause attributed from the custody
    timeline."""
    facility_id = None
    if args.get("facility"):
        facility_id = visible_facility(current_user, args["facility"]).id
    if args.get("patient") is not None:
        ensure_patient_visible(current_user, db.session.get(Patient, args["patient"]))
    rows, total = service.list_episodes(
        current_user, facility_id=facility_id, patient_id=args.get("patient"),
        programme=args.get("programme"), first=args.get("from_"), last=args.get("to"),
        ongoing=args.get("open"), limit=args["limit"], offset=args["offset"], now=clock.now())
    db.session.commit()
    return {"items": [service.episode_dict(e) for e in rows], "total": total}

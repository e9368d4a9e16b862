"""Orders, the MAR and reviews: the JSON API (issue 4)."""
from datetime import timedelta

from flask import current_app
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, can_see_facility, require
from ...errors import NotFound, ValidationFailed
from ...extensions import db
from ...rules import schedule as schedule_rules
from ...schemas.common import ListArgs
from ...schemas.medication import (AdministrationCreateSchema, AdministrationSchema,
                                   DoseListArgs, DosePage, OrderChangeSchema, OrderPage,
                                   DiscontinueSchema, OrderCreateSchema, OrderSchema, PatientDoseArgs, ReasonSchema,
                                   ReviewCreateSchema, ReviewSchema, administration_dict,
                                   dose_dict, order_dict, review_dict)
from ...services import administration, doses, guards, orders, pill_pass, reviews
from ...services.facilities import facility_by_code
from ...services.patients import read_patient
from .docs import errors

blp = Blueprint("api_mar", __name__, description="Orders, the medication administration record "
                                                 "and clinical reviews")

MAX_RANGE_DAYS = 92


def _tz(patient):
    return patient.facility.timezone if patient.facility else "UTC"


def late_limit():
    return timedelta(days=current_app.config.get("MAR_LATE_ENTRY_DAYS", 7))


# -- orders ------------------------------------------------------------------------------

@blp.route("/patients/<int:patient_id>/orders", methods=["POST"])
@require(Permission.ORDER_WRITE)
@blp.arguments(OrderCreateSchema)
@blp.response(201, OrderSchema)
@errors(blp, 401, 403, 404, 422)
def create_order(data, patient_id):
    """Prescribe (clinician). OST is always witnessed; start_at at most 30 days back."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="order.write")
    order = orders.create_order(current_user, patient, data, now=now)
    db.session.commit()
    return order_dict(order, _tz(patient))


@blp.route("/patients/<int:patient_id>/orders", methods=["GET"])
@require(Permission.CLINICAL_READ)
@blp.arguments(ListArgs, location="query")
@blp.response(200, OrderPage)
@errors(blp, 401, 403, 404, 422)
def list_orders(args, patient_id):
    """The patient's orders, every version (current first within a programme)."""
    patient = read_patient(current_user, patient_id, now=clock.now(), purpose="order.read")
    rows = orders.patient_orders(patient)
    page = rows[args["offset"]:args["offset"] + args["limit"]]
    db.session.commit()
    return {"items": [order_dict(o, _tz(patient)) for o in page], "total": len(rows)}


@blp.route("/orders/<int:order_id>", methods=["PATCH"])
@require(Permission.ORDER_WRITE)
@blp.arguments(OrderChangeSchema)
@blp.response(200, OrderSchema)
@errors(blp, 401, 403, 404, 409, 422)
def change_order(data, order_id):
    """Change dose, schedule, route... (clinician): answers the new version."""
    now = clock.now()
    order = orders.load_order(current_user, order_id)
    new = orders.change_order(current_user, order, data, now=now)
    db.session.commit()
    return order_dict(new, _tz(order.patient))


@blp.route("/orders/<int:order_id>/discontinue", methods=["POST"])
@require(Permission.ORDER_WRITE)
@blp.arguments(DiscontinueSchema)
@blp.response(200, OrderSchema)
@errors(blp, 401, 403, 404, 409, 422)
def discontinue_order(data, order_id):
    """Stop an order, with a reason (clinician)."""
    order = orders.load_order(current_user, order_id)
    orders.discontinue_order(current_user, order, data["reason"], now=clock.now(),
                             reason_code=data.get("reason_code"))
    db.session.commit()
    return order_dict(order, _tz(order.patient))


# -- the MAR -----------------------------------------------------------------------------

@blp.route("/doses", methods=["GET"])
@require(Permission.MAR_READ)
@blp.arguments(DoseListArgs, location="query")
@blp.response(200, DosePage)
@errors(blp, 401, 403, 404, 422)
def ward_mar(args):
    """The MAR of a facility or ward for a local day, with the blocks a `given` would
    meet now. Doses are made ahead by the scheduler (generate-doses, 36 hours): a
    day it has not reached answers no items."""
    now = clock.now()
    facility = facility_by_code(args["facility"])
    if facility is None or not can_see_facility(current_user, facility.id):
        raise NotFound(f"No facility {args['facility']}.")
    ward_id = None
    if args.get("ward"):
        ward = next((w for w in facility.wards if w.code == args["ward"]), None)
        if ward is None:
            raise NotFound(f"No ward {args['ward']} in {facility.code}.")
        ward_id = ward.id
    day = args.get("date") or schedule_rules.local_day(now, facility.timezone)
    round_at = None
    if args.get("round"):
        times, errs = schedule_rules.parse_times([args["round"]])
        if errs:
            raise ValidationFailed({"round": errs["times"]})
        round_at = schedule_rules.local_instant(day, times[0], facility.timezone)
    rows = doses.ward_doses(facility, ward_id, day, round_at=round_at, now=now)
    page = rows[args["offset"]:args["offset"] + args["limit"]]
    blocks = guards.blocks_for(page)
    out = [dose_dict(d, blocks.get(d.id, ())) for d in page]  # before commit expires them
    pill_pass.log_ward_read(current_user, facility, args.get("ward"), day,
                            round_code=args.get("round"), doses=len(page), now=now, via="api")
    db.session.commit()
    return {"items": out, "total": len(rows)}


@blp.route("/patients/<int:patient_id>/doses", methods=["GET"])
@require(Permission.MAR_READ)
@blp.arguments(PatientDoseArgs, location="query")
@blp.response(200, DosePage)
@errors(blp, 401, 403, 404, 422)
def patient_mar(args, patient_id):
    """A patient's doses between two local dates (default the last 7 days)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="mar.read")
    first, last = doses.default_range(schedule_rules.local_day(now, _tz(patient)))
    first, last = args.get("from_") or first, args.get("to") or last
    if last < first:
        raise ValidationFailed({"to": ["Must not be before from."]})
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationFailed({"to": [f"At most {MAX_RANGE_DAYS} days at a time."]})
    rows = doses.patient_doses(patient, first, last, now=now)
    out = [dose_dict(d) for d in rows[args["offset"]:args["offset"] + args["limit"]]]
    db.session.commit()
    return {"items": out, "total": len(rows)}


@blp.route("/doses/<int:dose_id>/administration", methods=["POST"])
@require(Permission.MAR_RECORD)
@blp.arguments(AdministrationCreateSchema)
@blp.response(201, AdministrationSchema)
@errors(blp, 401, 403, 404, 409, 422)
def record(data, dose_id):
    """Record given / refused / held / not available (nurse, clinician)."""
    now = clock.now()
    dose = doses.load_dose(current_user, dose_id)
    record = administration.record_administration(current_user, dose, data, now=now,
                                                  late_limit=late_limit())
    out = administration_dict(record, dose)   # before the commit expires what it reads
    db.session.commit()
    return out


@blp.route("/doses/<int:dose_id>/administration/void", methods=["POST"])
@require(Permission.MAR_RECORD)
@blp.arguments(ReasonSchema)
@blp.response(200, AdministrationSchema)
@errors(blp, 401, 403, 404, 422)
def void(data, dose_id):
    """Void the dose's record with a reason (a correction); then record it again."""
    now = clock.now()
    dose = doses.load_dose(current_user, dose_id)
    record = administration.void_administration(current_user, dose, data["reason"], now=now)
    db.session.commit()
    return administration_dict(record, dose)


# -- reviews -----------------------------------------------------------------------------

@blp.route("/patients/<int:patient_id>/reviews", methods=["POST"])
@require(Permission.REVIEW_WRITE)
@blp.arguments(ReviewCreateSchema)
@blp.response(201, ReviewSchema)
@errors(blp, 401, 403, 404, 409, 422)
def create_review(data, patient_id):
    """Record a clinical review (clinician); `new_dose` makes a new order version."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="review.write")
    review = reviews.record_review(current_user, patient, data, now=now)
    order = db.session.get(orders.MedicationOrder, review.order_id) if review.order_id else None
    db.session.commit()
    return review_dict(review, order, _tz(patient))

"""Intake and checklists, community medication (issue 3)."""
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...schemas.intake import (
    AnswerSchema, ChecklistSchema, CommunityMedicationCreateSchema, CommunityMedicationSchema,
    FacilityChecklistArgs, FacilityChecklistPage,
)
from ...services import checklists as service
from ...services import community_medication, continuation
from ...services.patients import read_patient
from .docs import errors

blp = Blueprint("api_intake", __name__, description="Intake and checklists, community medication")


@blp.route("/patients/<int:patient_id>/checklists", methods=["GET"])
@require(Permission.CHECKLIST_STATUS_READ)
@blp.response(200, ChecklistSchema(many=True))
@errors(blp, 401, 403, 404)
def list_checklists(patient_id):
    """The checklists of the current custody episode. Custody staff and auditors see
    the status only; confidential items only for nurses and clinicians."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="checklist.read")
    states = service.read_checklists(current_user, patient, now=now)
    out = [service.present(s, current_user, now) for s in states]
    db.session.commit()
    return out


@blp.route("/checklists/<int:checklist_id>/items/<item_id>", methods=["PATCH"])
@require(Permission.CHECKLIST_ANSWER)
@blp.arguments(AnswerSchema)
@blp.response(200, ChecklistSchema)
@errors(blp, 400, 401, 403, 404, 422)
def answer_item(data, checklist_id, item_id):
    """Answer one item (a correction is a new answer; earlier ones are kept). A wrong
    answer is a 422 on `answer`; an item that does not apply, a 422 on `item_id`
    with code `item_not_applicable`. Returns the whole checklist."""
    now = clock.now()
    instance = service.load_instance(current_user, checklist_id)
    state = service.answer_item(current_user, instance, item_id, data["answer"],
                                data.get("note"), now=now)
    out = service.present(state, current_user, now)
    db.session.commit()
    return out


@blp.route("/checklists", methods=["GET"])
@require(Permission.CHECKLIST_STATUS_READ)
@blp.arguments(FacilityChecklistArgs, location="query")
@blp.response(200, FacilityChecklistPage)
@errors(blp, 401, 403, 404, 422)
def facility_checklists(args):
    """A facility's open (or only overdue) checklists, most urgent first."""
    now = clock.now()
    facility = service.facility_for(current_user, args.get("facility"))
    rows, total = service.facility_checklists(
        current_user, facility, overdue_only=args["status"] == "overdue",
        limit=args["limit"], offset=args["offset"], now=now)
    db.session.commit()
    return {"total": total, "items": [{
        "id": i.id, "kind": i.kind, "opened_at": i.opened_at, "due_at": i.due_at,
        "next_due_at": i.next_due_at, "overdue": i.next_due_at is not None and i.next_due_at < now,
        "patient": {"id": p.id, "prison_number": p.prison_number, "name": p.name,
                    "ward": p.ward.code if p.ward else None},
    } for i, p in rows]}


@blp.route("/patients/<int:patient_id>/community-medications", methods=["POST"])
@require(Permission.COMMUNITY_MED_WRITE)
@blp.arguments(CommunityMedicationCreateSchema)
@blp.response(201, CommunityMedicationSchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def create_community_medication(data, patient_id):
    """Record what she was taking in the community (current custody episode)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="community_medication.write")
    medication = community_medication.record_community_medication(current_user, patient, data, now=now)
    out = next(m for m in continuation.medications_with_continuation(patient, now=now)
               if m["id"] == medication.id)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/community-medications", methods=["GET"])
@require(Permission.CLINICAL_READ)
@blp.response(200, CommunityMedicationSchema(many=True))
@errors(blp, 401, 403, 404)
def list_community_medications(patient_id):
    """The current episode's community medication, each with its continuation state
    (pending until a matching active order exists; hours left to the 24-hour target)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="community_medication.read")
    out = continuation.medications_with_continuation(patient, now=now)
    db.session.commit()
    return out

from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...presenters import event_dict
from ...schemas.common import ListArgs, page_of
from ...schemas.patients import CustodyEventCreateSchema, CustodyEventSchema
from ...services import custody as service
from ...services.patients import read_patient
from .docs import errors

blp = Blueprint("api_custody", __name__, description="The custody timeline")


@blp.route("/patients/<int:patient_id>/custody-events", methods=["POST"])
@require(Permission.CUSTODY_WRITE)
@blp.arguments(CustodyEventCreateSchema)
@blp.response(201, CustodyEventSchema)
@errors(blp, 401, 403, 404, 409, 422)
def create_event(data, patient_id):
    """Record a custody event: admission, court, sentencing, transfer, hospital, release."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="patient.custody_write")
    event = service.record_event(current_user, patient, data, now=now)
    db.session.commit()
    return event_dict(event)


CustodyEventPage = page_of(CustodyEventSchema, "CustodyEventPage")


@blp.route("/patients/<int:patient_id>/custody-events", methods=["GET"])
@require(Permission.CUSTODY_READ)
@blp.arguments(ListArgs, location="query")
@blp.response(200, CustodyEventPage)
@errors(blp, 401, 403, 404, 422)
def list_events(args, patient_id):
    """The patient's custody timeline, oldest first."""
    patient = read_patient(current_user, patient_id, now=clock.now(), purpose="custody.read")
    events = service.timeline(patient)
    db.session.commit()
    page = events[args["offset"]:args["offset"] + args["limit"]]
    return {"items": [event_dict(e) for e in page], "total": len(events)}

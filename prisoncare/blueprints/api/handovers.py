"""Transfer handovers (issue 5): what the sending health unit sent the receiving one."""
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...schemas.common import ListArgs, page_of
from ...schemas.handovers import HandoverCreateSchema, HandoverSchema
from ...services import transfer_handovers as service
from ...services.patients import read_patient
from .docs import errors

blp = Blueprint("api_handovers", __name__, description="Transfer handovers of the medication record")

HandoverPage = page_of(HandoverSchema, "HandoverPage")


@blp.route("/patients/<int:patient_id>/transfer-handovers", methods=["POST"])
@require(Permission.MAR_RECORD)
@blp.arguments(HandoverCreateSchema)
@blp.response(201, HandoverSchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def create_handover(data, patient_id):
    """Record what was sent with her for her planned or current transfer (prescription,
    MAR summary, last dose time, take-home status; TB: treatment card, doses remaining).
    Only the sending facility records it; `409 no_transfer_planned` without a transfer.
    Resolves the transfer's OST-T-01 / TB-06 alerts for the programmes it covers."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="transfer_handover.write")
    row = service.record_handover(current_user, patient, data, now=now)
    out = service.handover_dict(row)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/transfer-handovers", methods=["GET"])
@require(Permission.MAR_READ)
@blp.arguments(ListArgs, location="query")
@blp.response(200, HandoverPage)
@errors(blp, 401, 403, 404, 422)
def list_handovers(args, patient_id):
    """Her transfer handovers, newest first."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="transfer_handover.read")
    rows, total = service.list_handovers(patient, limit=args["limit"], offset=args["offset"])
    out = {"items": [service.handover_dict(h) for h in rows], "total": total}
    db.session.commit()
    return out

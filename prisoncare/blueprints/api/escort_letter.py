"""The escort letter as JSON (issue 5, item 4): the same facts as the printed letter."""
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...schemas.escort_letter import EscortLetterArgs, EscortLetterSchema
from ...services import escort_letter as service
from .docs import errors

blp = Blueprint("api_escort_letter", __name__,
                description="The escort letter for a planned court day or transfer")


@blp.route("/patients/<int:patient_id>/escort-letter", methods=["GET"])
@require(Permission.MAR_READ)
@blp.arguments(EscortLetterArgs, location="query")
@blp.response(200, EscortLetterSchema)
@errors(blp, 401, 403, 404, 409, 422)
def escort_letter(args, patient_id):
    """What goes sealed with her to court or on a transfer: identity, the sending health
    unit, the absence (departure in the facility's time), every active order with its
    last dose given and each dose due while she is away with its status now. `?event=`
    names the court_scheduled / transfer_scheduled event (default: her next planned
    absence not yet over; `409 no_planned_absence` when there is none). Nurses and
    clinicians of her own facility; each read is in the access log."""
    letter = service.read_escort_letter(current_user, patient_id, now=clock.now(),
                                        event_id=args.get("event"), fmt="json")
    db.session.commit()
    return letter          # plain dataclasses: the commit expires nothing in it

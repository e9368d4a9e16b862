from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, ensure_patient_visible, require
from ...extensions import db
from ...models import Patient
from ...presenters import alert_dict
from ...schemas.alerts import AcknowledgeSchema, AlertArgs, AlertSchema, ResolveSchema
from ...schemas.common import page_of
from ...services import alerts as service
from ...services.facilities import visible_facility
from .docs import errors

blp = Blueprint("api_alerts", __name__, description="Alerts raised by the rules")

AlertPage = page_of(AlertSchema, "AlertPage")


@blp.route("/alerts", methods=["GET"])
@require(Permission.ALERT_READ)
@blp.arguments(AlertArgs, location="query")
@blp.response(200, AlertPage)
@errors(blp, 401, 403, 404, 422)
def list_alerts(args):
    """Alerts you may see, most severe first. Custody staff get only their tasks,
    without any diagnosis."""
    facility_id = None
    if args.get("facility"):
        facility_id = visible_facility(current_user, args["facility"]).id
    if args.get("patient") is not None:
        ensure_patient_visible(current_user, db.session.get(Patient, args["patient"]))
    rows, total = service.list_alerts(
        current_user, facility_id=facility_id, status=args.get("status"),
        patient_id=args.get("patient"), rule=args.get("rule"), severity=args.get("severity"),
        mine=args["mine"], limit=args["limit"], offset=args["offset"], now=clock.now())
    db.session.commit()
    return {"items": [alert_dict(a, current_user) for a in rows], "total": total}


@blp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@require(Permission.ALERT_ACT)
@blp.arguments(AcknowledgeSchema)
@blp.response(200, AlertSchema)
@errors(blp, 401, 403, 404, 409, 422)
def acknowledge(data, alert_id):
    """Say you have seen it and are acting: stops its escalation."""
    alert = service.get_alert(current_user, alert_id)
    service.acknowledge(current_user, alert, data.get("note"), now=clock.now())
    db.session.commit()
    return alert_dict(alert, current_user)


@blp.route("/alerts/<int:alert_id>/resolve", methods=["POST"])
@require(Permission.ALERT_ACT)
@blp.arguments(ResolveSchema)
@blp.response(200, AlertSchema)
@errors(blp, 401, 403, 404, 409, 422)
def resolve(data, alert_id):
    """Close it, with a note of what was done."""
    alert = service.get_alert(current_user, alert_id)
    service.resolve(current_user, alert, data["note"], now=clock.now())
    db.session.commit()
    return alert_dict(alert, current_user)

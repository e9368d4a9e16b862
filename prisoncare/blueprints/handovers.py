"""The transfer handover form and list on the patient page (issue 5, OST-T-01, TB-06)."""
from flask import Blueprint, flash, redirect, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, can, can_see_facility, require
from ..errors import ValidationFailed
from ..extensions import db
from ..panels import register_panel
from ..schemas.handovers import HandoverCreateSchema
from ..services import transfer_handovers as service
from ..services.patients import read_patient
from .forms import load_form

bp = Blueprint("handovers", __name__)


@bp.route("/patients/<int:patient_id>/transfer-handovers", methods=["POST"])
@require(Permission.MAR_RECORD)
def create(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="transfer_handover.write")
    tz = patient.facility.timezone if patient.facility else "UTC"
    form = {k: v for k, v in request.form.items() if k != "programmes"}
    for box in ("prescription_sent", "mar_summary_sent", "treatment_card_sent"):
        form[box] = "true" if request.form.get(box) else "false"
    data, errors = load_form(HandoverCreateSchema(exclude=("programmes",)), form, local_tz=tz,
                             instant_fields=("last_dose_at", "sent_at"))
    if errors:
        raise ValidationFailed(errors)
    data["programmes"] = request.form.getlist("programmes")
    if not data["programmes"]:
        raise ValidationFailed({"programmes": ["Tick the treatments this handover covers."]})
    service.record_handover(current_user, patient, data, now=now)
    db.session.commit()
    flash("Transfer handover recorded.", "ok")
    return redirect(url_for("patients.show", patient_id=patient.id) + "#handover")


def _panel(user, patient, now):
    if not can(user, Permission.MAR_READ):
        return None
    move = service.current_move(patient, now)
    rows, _ = service.list_handovers(patient, limit=5)
    if move is None and not rows:
        return None
    return "handovers/_panel.html", {
        "move": move, "handovers": [service.handover_dict(h) for h in rows],
        "can_record": move is not None and can(user, Permission.MAR_RECORD)
        and can_see_facility(user, patient.facility_id),       # the sending unit only
        "programmes": sorted(move.on) if move else [],
    }


register_panel("handovers", 32, _panel)

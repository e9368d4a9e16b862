"""The escort letter (issue 5, item 4) as a printable A4 page and as a PDF, the patient
page's list of planned absences to print it for, and the link on the pre-departure
alerts (OST-PRE-01, ART-PRE-01) wherever alerts are listed."""
from functools import lru_cache

from flask import Blueprint, Response, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, require
from ..errors import NotFound
from ..extensions import db
from ..panels import register_panel
from ..pdf import render_pdf
from ..services import escort_letter as service

bp = Blueprint("escort", __name__)


def _event_arg() -> int | None:
    raw = request.args.get("event", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise NotFound("No such court date or transfer planned for her.")
    return int(raw)


@bp.route("/patients/<int:patient_id>/escort-letter")
@require(Permission.MAR_READ)
def letter(patient_id):
    """The letter laid out for A4 (print CSS); `?event=` names the planned absence."""
    letter = service.read_escort_letter(current_user, patient_id, now=clock.now(),
                                        event_id=_event_arg(), fmt="page")
    page = render_template("escort/letter.html", letter=letter, for_pdf=False)
    db.session.commit()
    return page


@bp.route("/patients/<int:patient_id>/escort-letter.pdf")
@require(Permission.MAR_READ)
def letter_pdf(patient_id):
    """The same letter as a PDF (WeasyPrint, from the same template)."""
    letter = service.read_escort_letter(current_user, patient_id, now=clock.now(),
                                        event_id=_event_arg(), fmt="pdf")
    pdf = render_pdf(render_template("escort/letter.html", letter=letter, for_pdf=True))
    db.session.commit()
    name = f"escort-letter-{letter.patient['prison_number']}-{letter.absence.event_id}.pdf"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})


def _panel(user, patient, now):
    if not service.may_print(user, patient) or patient.custody_status == "released":
        return None
    absences = service.upcoming_absences(db.session, patient, now=now)
    if not absences:
        return None
    return "escort/_panel.html", {"absences": absences}


register_panel("escort", 31, _panel)


@bp.app_template_global()
def escort_letter_url(alert: dict) -> str | None:
    """The letter's address for a pre-departure alert (a rule of the condition
    `dose_due_during_planned_absence`), for the users who may print it; else None.
    Custody staff see these alerts as a custody task, never with this link."""
    cause = alert.get("cause") or {}
    if not cause.get("event_id") or alert.get("rule") not in _pre_departure_rules():
        return None
    if not service.may_print(current_user):
        return None
    return url_for("escort.letter", patient_id=alert["patient"], event=cause["event_id"])


@lru_cache(maxsize=1)
def _pre_departure_rules() -> frozenset[str]:
    """Rule ids and conditions are not overridable: the packaged table is enough."""
    from ..rules.alert_rules import load_rules
    return frozenset(r.id for r in load_rules() if r.kind == "dose_due_during_planned_absence")

"""The user's home: a worklist for the chosen facility and ward."""
from flask import Blueprint, redirect, render_template, request, session
from flask_login import current_user

from .. import clock
from ..authz import Permission, can, can_see_facility, require
from ..extensions import db
from ..services import worklist
from ..services.facilities import visible_facilities
from .auth import safe_next

bp = Blueprint("home", __name__)


def current_place():
    """The facility and ward chosen with the switcher (kept in the session)."""
    facilities = visible_facilities(current_user, with_wards=True)
    chosen = next((f for f in facilities if f.id == session.get("facility_id")), None)
    facility = chosen or (facilities[0] if facilities else None)
    ward = None
    if facility is not None:
        ward = next((w for w in facility.wards if w.id == session.get("ward_id")), None)
    return facilities, facility, ward


@bp.route("/")
@require(Permission.FACILITY_READ)
def index():
    facilities, facility, ward = current_place()
    board = None
    if facility is not None and can(current_user, Permission.CUSTODY_READ):
        board = worklist.custody_board(current_user, facility, ward, now=clock.now())
        db.session.commit()
    return render_template("home/index.html", facilities=facilities, facility=facility,
                           ward=ward, board=board)


@bp.route("/switch", methods=["POST"])
@require(Permission.FACILITY_READ)
def switch():
    facility_id = request.form.get("facility", type=int)
    ward_id = request.form.get("ward", type=int)
    if facility_id and can_see_facility(current_user, facility_id):
        _, shown, _ = current_place()
        if shown is None or shown.id != facility_id:  # a new facility starts on all wards
            ward_id = None
        session["facility_id"] = facility_id
        session["ward_id"] = ward_id
    return redirect(safe_next(request.form.get("back")))

"""Patient photos on the pages (issue 4, item 5): the image route the pill pass and
the patient page load (same visibility as the patient, never cached), the upload
form's POST, and the patient-page panel that shows both."""
from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, can, ensure_patient_visible, require
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models.patients import Patient
from ..panels import register_panel
from ..services import photos

bp = Blueprint("photos", __name__, url_prefix="/patients")


def max_bytes() -> int:
    return current_app.config.get("PHOTO_MAX_BYTES", photos.DEFAULT_MAX_BYTES)


def visible_patient(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    ensure_patient_visible(current_user, patient)
    return patient


def photo_response(photo) -> Response:
    resp = Response(photo.data, mimetype=photo.content_type)
    resp.headers["Cache-Control"] = "private, no-store"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Content-Disposition"] = "inline"
    return resp


@bp.route("/<int:patient_id>/photo")
@require(Permission.PATIENT_READ)
def show(patient_id):
    """The image (not audited per view: the pill pass shows one per row)."""
    visible_patient(patient_id)
    photo = photos.photo_of(patient_id)
    if photo is None:
        raise NotFound("No photo on file.")
    return photo_response(photo)


@bp.route("/<int:patient_id>/photo", methods=["POST"])
@require(Permission.PHOTO_WRITE)
def upload(patient_id):
    patient = visible_patient(patient_id)
    back = url_for("patients.show", patient_id=patient.id) + "#photo"
    upload = request.files.get("photo")
    try:
        photos.save_photo(current_user, patient, upload.read() if upload else None,
                          now=clock.now(), max_bytes=max_bytes())
        db.session.commit()
    except ValidationFailed as err:
        db.session.rollback()
        for reason in err.fields.get("photo", [err.message]):
            flash(f"Photo: {reason}", "error")
        return redirect(back)
    flash("Photo saved.", "ok")
    return redirect(back)


def _panel(user, patient, now):
    if not can(user, Permission.PATIENT_READ):
        return None
    return "patients/_photo.html", {"has_photo": photos.has_photo(patient.id),
                                     "may_upload": can(user, Permission.PHOTO_WRITE),
                                     "max_mb": max_bytes() / 1048576}


register_panel("photo", 1, _panel)

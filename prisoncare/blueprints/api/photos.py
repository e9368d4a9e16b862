"""Patient photos over the API (issue 4, item 5): PUT the image as the raw request
body (image/jpeg or image/png; checked by its magic bytes, not by the header), GET
it back. Same visibility as the patient; another facility's patient is a 404."""
from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock, audit
from ...authz import Permission, require
from ...errors import NotFound
from ...extensions import db
from ...schemas.photos import PhotoSchema, photo_dict
from ...services import photos
from ..photos import max_bytes, photo_response, visible_patient
from .docs import errors

blp = Blueprint("api_photos", __name__, description="Patient photos")

BINARY = {"schema": {"type": "string", "format": "binary"}}


@blp.route("/patients/<int:patient_id>/photo", methods=["PUT"])
@require(Permission.PHOTO_WRITE)
@blp.doc(requestBody={"required": True, "description": (
    "The image itself as the body (not JSON, not multipart): JPEG or PNG, at most "
    "PHOTO_MAX_BYTES (default 2 MB). Replaces the patient's photo."),
    "content": {"image/jpeg": BINARY, "image/png": BINARY}})
@blp.response(200, PhotoSchema)
@errors(blp, 401, 403, 404, 422)
def put_photo(patient_id):
    """Store or replace the patient's photo (nurse, clinician)."""
    patient = visible_patient(patient_id)
    photo = photos.save_photo(current_user, patient, request.get_data(cache=False),
                              now=clock.now(), max_bytes=max_bytes())
    out = photo_dict(photo)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/photo", methods=["GET"])
@require(Permission.PATIENT_READ)
@blp.doc(responses={"200": {"description": "The photo (Cache-Control: private, no-store)",
                            "content": {"image/jpeg": BINARY, "image/png": BINARY}}})
@errors(blp, 401, 403, 404)
def get_photo(patient_id):
    """The patient's photo; 404 when none is on file. Audited as a read."""
    now = clock.now()
    patient = visible_patient(patient_id)
    photo = photos.photo_of(patient.id)
    if photo is None:
        raise NotFound("No photo on file.")
    audit.record(current_user, "patient.photo.read", entity="patient_photo",
                 entity_id=patient.id, patient_id=patient.id, at=now)
    db.session.commit()
    return photo_response(photo)

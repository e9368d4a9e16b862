"""Patient photos (issue 4, item 5): checked by their magic bytes, kept in the
database, one current photo per patient.

A new upload replaces the old photo: the image itself is not kept (a photo of a
person is kept no longer than it is needed to identify her), the audit log keeps
who uploaded or replaced it, when, and the SHA-256 of the old and new image.
Reads are not audited per image: the pill pass loads one per row; the pages and
the API reads that show them are audited themselves.
"""
import hashlib

from sqlalchemy import select

from .. import audit
from ..errors import ValidationFailed
from ..extensions import db
from ..models.photos import PatientPhoto

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"))


def sniff(data: bytes) -> str | None:
    """'image/jpeg' or 'image/png' from the first bytes, else None (the name and
    the declared type are not trusted)."""
    return next((kind for magic, kind in MAGIC if data.startswith(magic)), None)


def check(data: bytes | None, *, max_bytes: int) -> str:
    """The content type of an acceptable photo, or ValidationFailed on `photo`."""
    if not data:
        raise ValidationFailed({"photo": ["Choose a photo (JPEG or PNG)."]})
    if len(data) > max_bytes:
        raise ValidationFailed({"photo": [
            f"The photo is {len(data) / 1048576:.1f} MB; at most {max_bytes / 1048576:g} MB."]})
    kind = sniff(data)
    if kind is None:
        raise ValidationFailed({"photo": ["Only JPEG or PNG images."]})
    return kind


def save_photo(actor, patient, data: bytes | None, *, now, max_bytes: int = DEFAULT_MAX_BYTES
               ) -> PatientPhoto:
    """Store (or replace) the patient's photo and audit it in the same transaction."""
    kind = check(data, max_bytes=max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    photo = db.session.get(PatientPhoto, patient.id)
    replaced = photo.sha256 if photo is not None else None
    if photo is None:
        photo = PatientPhoto(patient_id=patient.id)
        db.session.add(photo)
    photo.content_type, photo.size, photo.sha256, photo.data = kind, len(data), digest, data
    photo.uploaded_at, photo.uploaded_by_id = now, getattr(actor, "id", None)
    db.session.flush()
    audit.record(actor, "patient.photo.replace" if replaced else "patient.photo.upload",
                 entity="patient_photo", entity_id=patient.id, patient_id=patient.id, at=now,
                 detail={"sha256": digest, "size": len(data), "content_type": kind,
                         "replaced_sha256": replaced})
    return photo


def photo_of(patient_id: int) -> PatientPhoto | None:
    """The current photo with its bytes, or None."""
    return db.session.scalar(select(PatientPhoto).where(PatientPhoto.patient_id == patient_id)
                             .options(_undefer_data()))


def has_photo(patient_id: int) -> bool:
    return db.session.scalar(select(PatientPhoto.patient_id)
                             .where(PatientPhoto.patient_id == patient_id)) is not None


def _undefer_data():
    from sqlalchemy.orm import undefer
    return undefer(PatientPhoto.data)

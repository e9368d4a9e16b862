"""The JSON shape answered after a photo upload (the image itself is binary)."""
from marshmallow import Schema, fields


class PhotoSchema(Schema):
    patient_id = fields.Integer()
    content_type = fields.String(metadata={"description": "image/jpeg or image/png"})
    size = fields.Integer(metadata={"description": "Bytes"})
    sha256 = fields.String()
    uploaded_at = fields.DateTime()
    url = fields.String(metadata={"description": "Where to GET the image"})


def photo_dict(photo) -> dict:
    return {"patient_id": photo.patient_id, "content_type": photo.content_type,
            "size": photo.size, "sha256": photo.sha256, "uploaded_at": photo.uploaded_at,
            "url": f"/api/v1/patients/{photo.patient_id}/photo"}

"""Patient photos over the API: PUT the image as the body, GET it back; checked by
magic bytes and size; the patient's visibility; audited."""
from datetime import timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.models import AuditEntry
from tests.conftest import NOW
from tests.factories import admit, make_patient

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
GIF = b"GIF89a" + b"\x00" * 64


@pytest.fixture
def patient_id(app, world):
    with app.app_context():
        patient = make_patient("PH-1", facility="FAC-A", given="Olena", family="Kovalenko")
        admit(patient, at=NOW - timedelta(days=20))
        db.session.commit()
        return patient.id


def put(api, patient_id, body, content_type="image/png"):
    return api.put(f"/api/v1/patients/{patient_id}/photo", data=body, content_type=content_type)


def audit_actions(app, patient_id):
    with app.app_context():
        return [e.action for e in db.session.scalars(
            db.select(AuditEntry).where(AuditEntry.patient_id == patient_id,
                                        AuditEntry.action.like("patient.photo.%"))
            .order_by(AuditEntry.id))]


def test_upload_then_read_back(app, as_user, patient_id):
    nurse = as_user("nurse.a")
    assert nurse.get(f"/api/v1/patients/{patient_id}/photo").status_code == 404
    resp = put(nurse, patient_id, PNG)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["content_type"] == "image/png" and body["size"] == len(PNG)
    assert body["url"] == f"/api/v1/patients/{patient_id}/photo"
    got = as_user("custody.a").get(f"/api/v1/patients/{patient_id}/photo")
    assert got.status_code == 200 and got.data == PNG and got.mimetype == "image/png"
    assert "no-store" in got.headers["Cache-Control"] and "private" in got.headers["Cache-Control"]
    assert audit_actions(app, patient_id) == ["patient.photo.upload", "patient.photo.read"]


def test_a_new_photo_replaces_the_old_and_says_so(app, as_user, patient_id):
    clinician = as_user("clinician.a")
    assert put(clinician, patient_id, PNG).status_code == 200
    # The declared type is not trusted: these bytes are a JPEG.
    resp = put(clinician, patient_id, JPEG, content_type="application/octet-stream")
    assert resp.status_code == 200 and resp.get_json()["content_type"] == "image/jpeg"
    assert clinician.get(f"/api/v1/patients/{patient_id}/photo").data == JPEG
    with app.app_context():
        entry = db.session.scalar(db.select(AuditEntry).where(
            AuditEntry.action == "patient.photo.replace"))
        assert entry is not None and entry.detail["replaced_sha256"] is not None
        assert entry.detail["sha256"] != entry.detail["replaced_sha256"]


@pytest.mark.parametrize("body,message", [
    (GIF, "Only JPEG or PNG"),
    (b"", "Choose a photo"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000, "at most"),
])
def test_what_is_not_a_photo_is_refused_on_the_field(app, as_user, patient_id, body, message):
    app.config["PHOTO_MAX_BYTES"] = 1000
    resp = put(as_user("nurse.a"), patient_id, body)
    assert resp.status_code == 422
    assert message in " ".join(resp.get_json()["error"]["fields"]["photo"])
    assert as_user("nurse.a").get(f"/api/v1/patients/{patient_id}/photo").status_code == 404
    assert audit_actions(app, patient_id) == []


def test_who_may_upload_and_see(as_user, patient_id):
    assert put(as_user("release_officer.a"), patient_id, PNG).status_code == 403
    assert put(as_user("custody.a"), patient_id, PNG).status_code == 403
    assert put(as_user("nurse.b"), patient_id, PNG).status_code == 404
    assert put(as_user("nurse.a"), patient_id, PNG).status_code == 200
    assert as_user("nurse.b").get(f"/api/v1/patients/{patient_id}/photo").status_code == 404
    assert as_user("admin.a").get(f"/api/v1/patients/{patient_id}/photo").status_code == 403
    assert put(as_user("nurse.a"), 999999, PNG).status_code == 404


def test_the_contract_documents_the_photo_routes(client):
    doc = client.get("/api/openapi.json").get_json()
    ops = doc["paths"]["/api/v1/patients/{patient_id}/photo"]
    assert set(ops["put"]["requestBody"]["content"]) == {"image/jpeg", "image/png"}
    assert "image/png" in ops["get"]["responses"]["200"]["content"]
    assert {"403", "404", "422"} <= set(ops["put"]["responses"])

"""Patient photos on the pages: uploaded from the patient page, shown there and,
lazily, beside the patient on the pill pass; the image route keeps the patient's
visibility and is never cached."""
import io

from prisoncare.extensions import db
from prisoncare.models.photos import PatientPhoto
from tests.api.test_photos_api import GIF, PNG
from tests.web.helpers import get, location_path, submit
from tests.web.test_mar_pages import on_methadone, row


def upload(client, pid, body, name="face.png"):
    page = get(client, f"/patients/{pid}")
    return submit(client, page, {"photo": (io.BytesIO(body), name)},
                  action=f"/patients/{pid}/photo", content_type="multipart/form-data")


def test_a_nurse_adds_a_photo_and_the_pill_pass_shows_it(app, world, logged_in):
    pid = on_methadone(app, "PP-1")
    on_methadone(app, "PP-2", given="Iryna", family="Bondar")
    client = logged_in("nurse.a")
    page = get(client, f"/patients/{pid}")
    panel = page.by_id("photo")
    assert "No photo on file." in panel.text
    assert page.label_for("f-photo").startswith("Add a photo (JPEG or PNG, at most 2 MB)")
    resp = upload(client, pid, PNG)
    assert resp.status == 302 and location_path(resp.resp) == f"/patients/{pid}"
    page = get(client, f"/patients/{pid}")
    assert "Photo saved." in page.flashes()
    img = page.by_id("photo").find("img")
    assert img is not None and img.get("src") == f"/patients/{pid}/photo"
    assert page.label_for("f-photo").startswith("Replace the photo")

    image = client.get(f"/patients/{pid}/photo")
    assert image.status_code == 200 and image.data == PNG and image.mimetype == "image/png"
    assert image.headers["Cache-Control"] == "private, no-store"

    pill = get(client, "/mar/pill-pass?date=2026-03-10")
    photo = row(pill, "PP-1").find("img")
    assert photo is not None and photo.get("src") == f"/patients/{pid}/photo"
    assert photo.get("loading") == "lazy" and photo.get("alt") == "Photo of Kovalenko, Olena"
    assert row(pill, "PP-2").find("img") is None


def test_a_file_that_is_not_a_photo_is_explained(app, world, logged_in):
    pid = on_methadone(app, "PP-1")
    client = logged_in("clinician.a")
    resp = upload(client, pid, GIF, name="face.png")
    assert resp.status == 302
    page = get(client, f"/patients/{pid}")
    assert "Photo: Only JPEG or PNG images." in page.flashes()
    with app.app_context():
        assert db.session.get(PatientPhoto, pid) is None


def test_the_photo_keeps_the_patients_visibility(app, world, logged_in):
    pid = on_methadone(app, "PP-1")
    upload(logged_in("nurse.a"), pid, PNG)
    assert logged_in("nurse.b").get(f"/patients/{pid}/photo").status_code == 404
    assert logged_in("custody.a").get(f"/patients/{pid}/photo").status_code == 200
    page = get(logged_in("custody.a"), f"/patients/{pid}")
    assert page.by_id("photo").find("form") is None          # custody staff may not upload
    assert logged_in("nurse.a").get("/patients/999999/photo").status_code == 404

"""The escort letter as the nurse prints it (issue 5, item 4): from the pre-departure
alert in her inbox and from the patient page, on A4 and as a PDF read back with pypdf;
custody staff see only their task; every read is in the access log (clock at NOW,
10 March 12:00 Kyiv time; court on the 11th at 07:00 Kyiv time)."""
from datetime import datetime, timezone

from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS, run_all
from prisoncare.models import AuditEntry, StaffUser
from prisoncare.models.medication import ScheduledDose
from prisoncare.services import administration as mar
from tests.api.test_custody_api import new_patient, post_event
from tests.conftest import NOW
from tests.pdf_text import extract_text
from tests.web.helpers import get, login

COURT = {"type": "court_scheduled", "occurred_at": "2026-03-10T09:00:00Z",
         "expected_at": "2026-03-11T05:00:00Z"}
LAST_DOSE = "2026-03-10 08:05 Kyiv time"
BANNER = "Confidential medical information — for the health staff at the destination. Carry sealed."


def on_ost_with_court(app, as_user):
    """On methadone (08:00 Kyiv), today's dose given at 08:05 Kyiv time by nurse.a, court
    tomorrow at 07:00: the evaluate-rules job raises OST-PRE-01."""
    custody, pid = new_patient(as_user)
    post_event(custody, pid, type="admission", occurred_at="2026-03-01T09:00:00Z",
               facility="FAC-A", ward="A", legal_status="pretrial")
    resp = as_user("clinician.a").post(f"/api/v1/patients/{pid}/orders", json={
        "programme": "ost", "drug": "Methadone oral solution", "dose": 60, "unit": "mg",
        "route": "oral", "schedule": {"times": ["08:00"]}, "administration": "witnessed",
        "start_at": "2026-03-09T08:00:00Z"})                  # first dose: today 08:00 Kyiv
    assert resp.status_code == 201, resp.get_json()
    event_id = post_event(custody, pid, **COURT).get_json()["id"]
    with app.app_context():
        dose = db.session.scalars(select(ScheduledDose).where(
            ScheduledDose.patient_id == pid,
            ScheduledDose.due_at == datetime(2026, 3, 10, 6, tzinfo=timezone.utc))).one()
        nurse = db.session.scalar(select(StaffUser).where(StaffUser.username == "nurse.a"))
        mar.record_administration(nurse, dose, {
            "outcome": "given", "witnessed_by": "clinician.a",
            "administered_at": datetime(2026, 3, 10, 6, 5, tzinfo=timezone.utc)}, now=NOW)
        db.session.commit()
        with clock.frozen(NOW):
            jobs = [j for j in JOBS if j.id in ("generate-doses", "evaluate-rules")]
            assert all(ok for _, ok, _ in run_all(NOW, jobs))
    return pid, event_id


def reads(app):
    with app.app_context():
        return [(e.username, e.entity_id, e.detail["format"]) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "escort_letter.read").order_by(AuditEntry.id))]


def links(page, text="Print escort letter"):
    return [a.get("href") for a in page.find_all("a") if a.text == text]


def test_the_nurse_prints_it_from_the_alert_and_the_patient_page(app, as_user, world):
    pid, event_id = on_ost_with_court(app, as_user)
    url = f"/patients/{pid}/escort-letter?event={event_id}"
    client = app.test_client()
    login(client, "nurse.a")
    inbox = get(client, "/alerts")
    assert "OST-PRE-01" in inbox.main.text and links(inbox) == [url]
    patient_page = get(client, f"/patients/{pid}")
    assert url in links(patient_page)                          # the alert and the court date
    assert links(patient_page.by_id("escort")) == [url]

    page = get(client, url)
    assert page.status == 200
    text = page.text
    assert BANNER in text
    assert "Patient Sample, Olena Prison number W-100 Date of birth 1991-04-02" in text
    assert "Planned departure 2026-03-11 07:00 Kyiv time" in text
    assert f"Last dose given: {LAST_DOSE}, 60 mg, recorded by nurse.a, witnessed by clinician.a" in text
    assert "2026-03-11 08:00 Kyiv time Not yet given: give it before departure at 07:00 (from 05:00)" in text
    assert "Next dose given (date, time)" in text and "Name: nurse.a" in text
    envelope = page.find("div", class_="envelope").text
    assert "To the health staff at Court" in envelope and "ethadone" not in envelope

    pdf = client.get(f"/patients/{pid}/escort-letter.pdf?event={event_id}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "private, no-store"
    pdf_text = " ".join(extract_text(pdf.data).split())
    assert "Carry sealed." in pdf_text and LAST_DOSE in pdf_text
    assert "Methadone oral solution" in pdf_text and "Back to the patient" not in pdf_text
    assert reads(app) == [("nurse.a", event_id, "page"), ("nurse.a", event_id, "pdf")]


def test_custody_staff_see_their_task_and_never_the_letter(app, as_user, world):
    pid, event_id = on_ost_with_court(app, as_user)
    client = app.test_client()
    login(client, "custody.a")
    inbox = get(client, "/alerts")
    assert ("Bring the person to the health unit before departure; the escort carries any "
            "sealed health envelope the nurse hands over.") in inbox.main.text
    assert links(inbox) == [] and "OST" not in inbox.main.text
    assert get(client, f"/patients/{pid}").by_id("escort") is None
    assert client.get(f"/patients/{pid}/escort-letter?event={event_id}").status_code == 403
    assert client.get(f"/patients/{pid}/escort-letter.pdf").status_code == 403
    assert reads(app) == []


def test_only_the_sending_health_unit_prints_it(app, as_user, world):
    pid, event_id = on_ost_with_court(app, as_user)
    page = f"/patients/{pid}/escort-letter?event={event_id}"
    for user, status in (("clinician.a", 200), ("nurse.b", 404), ("release_officer.a", 403),
                         ("auditor.a", 403), ("auditor.national", 403), ("admin.a", 403)):
        client = app.test_client()
        login(client, user)
        assert client.get(page).status_code == status, user
    custody = as_user("custody.a")
    post_event(custody, pid, type="transfer_scheduled", occurred_at="2026-03-10T09:30:00Z",
               expected_at="2026-03-10T09:45:00Z", to_facility="FAC-B")
    post_event(custody, pid, type="transfer_out", occurred_at="2026-03-10T09:50:00Z",
               to_facility="FAC-B")
    receiving = app.test_client()
    login(receiving, "nurse.b")
    assert receiving.get(f"/patients/{pid}").status_code == 200      # she sees her now
    assert receiving.get(page).status_code == 404                     # not her letter to print
    assert as_user("nurse.b").get(f"/api/v1/patients/{pid}/escort-letter").status_code == 404


def test_no_orders_the_letter_says_so_and_no_plan_is_a_conflict(app, as_user, world):
    custody, pid = new_patient(as_user)
    post_event(custody, pid, type="admission", occurred_at="2026-03-01T09:00:00Z",
               facility="FAC-A", ward="A", legal_status="pretrial")
    client = app.test_client()
    login(client, "nurse.a")
    missing = get(client, f"/patients/{pid}/escort-letter")
    assert missing.status == 409 and "No court date or transfer is planned" in missing.text
    assert get(client, f"/patients/{pid}/escort-letter?event=x").status == 404
    post_event(custody, pid, **COURT)
    page = get(client, f"/patients/{pid}/escort-letter")
    assert page.status == 200
    assert "No active medication orders. No dose is due while she is away." in page.text

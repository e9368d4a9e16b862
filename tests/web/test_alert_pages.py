"""The alert worklist, the interruption list and the patient-page panel."""
from prisoncare.extensions import db
from prisoncare.models import Alert
from tests.api.test_interruptions_api import court_story
from tests.web.helpers import get, login, submit


def test_the_nurse_acknowledges_and_resolves_from_the_worklist(app, world):
    court_story(app)
    client = app.test_client()
    login(client, "nurse.a")
    page = get(client, "/alerts")
    assert page.status == 200
    assert "OST-E-02" in page.text and "OST-M-01" in page.text
    with app.app_context():
        alert_id = db.session.scalar(db.select(Alert.id).where(Alert.rule_code == "OST-E-02"))
    done = submit(client, page, {"note": "seen"}, action=f"/alerts/{alert_id}/acknowledge",
                  follow_redirects=True)
    assert "Alert acknowledged." in done.flashes()
    done = submit(client, done, {"note": "dosed on return at 19:30"},
                  action=f"/alerts/{alert_id}/resolve", follow_redirects=True)
    assert "Alert resolved." in done.flashes()
    with app.app_context():
        alert = db.session.get(Alert, alert_id)
        assert (alert.status, alert.resolve_note) == ("resolved", "dosed on return at 19:30")


def test_custody_staff_see_only_the_task(app, world):
    court_story(app)
    client = app.test_client()
    login(client, "custody.a")
    page = get(client, "/alerts")
    assert page.status == 200
    assert "Health unit visit needed today" in page.text
    for clinical in ("OST", "ethadone", "court_out", "dose"):
        assert clinical not in page.main.text, clinical


def test_the_interruption_list_and_the_patient_panel(app, world):
    pid = court_story(app)
    client = app.test_client()
    login(client, "clinician.a")
    page = get(client, "/interruptions")
    assert page.status == 200 and "court" in page.text and "going on" in page.text
    patient = get(client, f"/patients/{pid}")
    section = patient.by_id("alerts")
    assert section is not None
    assert "OST-M-01" in section.text and "Treatment interruptions" in section.text

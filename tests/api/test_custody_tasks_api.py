"""Custody staff get one task per patient and custody event: a woman on OST and ART
with a court date raises a pre-departure alert per programme for the nurses, and one
task for custody, with no programme, whose status is the same whichever alert
stands for it (API as custody staff, the real sweep, both databases)."""
import pytest

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import Alert
from tests.factories import build_world
from prisoncare.services import orders
from tests.services.test_sweep_helpers import at, event, give, on_methadone, staff, sweep
from tests.web.helpers import get, login

BEFORE_DEPARTURE = ("Bring the person to the health unit before departure; the escort "
                    "carries any sealed health envelope the nurse hands over.")
CHECKLIST = "Health unit checklist overdue: bring the person to the health unit."   # pre-court


@pytest.fixture
def court_tomorrow(app):
    """Methadone 08:00 and ART 09:00 Kyiv, both given on the 8th and 9th; court at
    07:00 Kyiv on the 10th; swept the evening before."""
    with app.app_context():
        build_world()
        clock.set_now(at(8, 3))
        patient, ost = on_methadone()
        art = orders.create_order(staff("clinician.a"), patient, {
            "programme": "art", "drug": "Tenofovir/lamivudine/dolutegravir", "dose": 1,
            "unit": "tab", "route": "oral", "schedule": {"times": ["09:00"], "every_days": 1},
            "start_at": at(7, 10), "administration": "witnessed"}, now=clock.now())
        db.session.commit()
        clock.set_now(at(9, 8))
        for order in (ost, art):
            give(order, 8)
            give(order, 9)
        event(patient, "court_scheduled", at(9, 8), expected_at=at(10, 5))
        sweep(at(9, 20))
        clock.set_now(at(9, 20))
        return patient.id


def test_one_custody_task_per_patient_and_event_whatever_her_programmes(app, as_user, court_tomorrow):
    pid = court_tomorrow
    nurse, custody = as_user("nurse.a"), as_user("custody.a")
    clinical = nurse.get(f"/api/v1/alerts?patient={pid}&status=open").get_json()["items"]
    assert sorted(a["rule"] for a in clinical if a["rule"].endswith("PRE-01")) == [
        "ART-PRE-01", "OST-PRE-01"]                        # one per programme for the nurse
    tasks = custody.get(f"/api/v1/alerts?patient={pid}").get_json()["items"]
    assert sorted(t["message"] for t in tasks) == [BEFORE_DEPARTURE, CHECKLIST]   # not 3
    [task] = [t for t in tasks if t["message"] == BEFORE_DEPARTURE]
    assert (task["rule"], task["programme"], task["status"], task["cause"]["event_type"]) == (
        "custody_task", None, "open", "court_scheduled")
    assert custody.get("/api/v1/alerts?rule=custody_task&status=open").get_json()["total"] == 2

    # the nurse closes the alert custody's task stood for: the task stays, on the other one
    resp = nurse.post(f"/api/v1/alerts/{task['id']}/resolve", json={"note": "OST given early"})
    assert resp.status_code == 200
    [still] = [t for t in custody.get(f"/api/v1/alerts?patient={pid}").get_json()["items"]
               if t["message"] == BEFORE_DEPARTURE]
    assert (still["message"], still["status"]) == (BEFORE_DEPARTURE, "open")
    assert still["id"] != task["id"]
    # custody completes it once: done for the whole task, the clinical alerts untouched
    resp = custody.post(f"/api/v1/alerts/{still['id']}/resolve", json={"note": "walked her over"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "resolved"
    assert [t["message"] for t in custody.get("/api/v1/alerts?status=open").get_json()["items"]
            ] == [CHECKLIST]
    with app.app_context():
        rows = db.session.scalars(db.select(Alert).where(
            Alert.patient_id == pid, Alert.rule_code.like("%PRE-01"))).all()
        assert sorted((a.rule_code, a.status, a.custody_status) for a in rows) == [
            ("ART-PRE-01", "open", "resolved"), ("OST-PRE-01", "resolved", "resolved")]


def test_the_custody_alert_page_shows_one_task_and_no_programme(app, court_tomorrow):
    client = app.test_client()
    assert login(client, "custody.a").status == 302
    page = get(client, "/alerts")
    text = page.find("main").text
    assert text.count(BEFORE_DEPARTURE) == 1 and "2 alerts" in text   # and the checklist
    for clinical in ("OST", "ART", "PRE-01", "ethadone", "TLD", "dose early"):
        assert clinical not in text

"""Two custody feeds posting for the same patient at the same moment: exactly one
event lands, the other gets a 409, and the timeline stays consistent."""
import threading

from prisoncare.extensions import db
from prisoncare.models import CustodyEvent
from tests.factories import ApiClient

from .test_custody_api import new_patient, post_event


def test_simultaneous_events_for_one_patient_one_wins(app, as_user, world):
    api, pid = new_patient(as_user)
    post_event(api, pid, type="admission", occurred_at="2026-03-01T09:00:00Z", facility="FAC-A",
               legal_status="pretrial")
    clients = []
    for _ in range(2):
        c = ApiClient(app.test_client())
        c.login("custody.a")
        clients.append(c)
    barrier = threading.Barrier(2)
    results = []

    def send(client, event_type):
        barrier.wait()
        resp = post_event(client, pid, type=event_type, occurred_at="2026-03-10T07:00:00Z")
        results.append((event_type, resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=send, args=(clients[0], "court_out")),
               threading.Thread(target=send, args=(clients[1], "hospital_out"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    statuses = sorted(code for _, code, _ in results)
    assert statuses == [201, 409], results
    loser = next(body for _, code, body in results if code == 409)
    assert loser["error"]["code"] in ("concurrent_update", "invalid_custody_transition")
    with app.app_context():
        events = db.session.scalars(db.select(CustodyEvent).order_by(CustodyEvent.seq)).all()
        assert [e.seq for e in events] == [1, 2]
    winner = next(t for t, code, _ in results if code == 201)
    status = api.get(f"/api/v1/patients/{pid}").get_json()["custody"]["status"]
    assert status == {"court_out": "out_at_court", "hospital_out": "out_at_hospital"}[winner]

"""GET /api/v1/interruptions: what the sweep found, filtered and paginated."""
from prisoncare import clock
from prisoncare.extensions import db
from tests.services.test_sweep_helpers import at, court_day, give, on_methadone, sweep


def court_story(app):
    """A woman on methadone who lost a court day (10 March) in FAC-A."""
    with app.app_context():
        clock.set_now(at(8, 3))
        patient, order = on_methadone()
        clock.set_now(at(10, 18))
        give(order, 8)
        give(order, 9)
        court_day(patient, 10)
        sweep(at(10, 18))
        db.session.commit()
        return patient.id


def test_a_nurse_lists_the_court_interruption_with_its_cause(app, world, as_user):
    pid = court_story(app)
    body = as_user("nurse.a").get("/api/v1/interruptions?facility=FAC-A&open=true").get_json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item["patient"] == pid and item["programme"] == "ost"
    assert (item["start_on"], item["end_on"], item["open"], item["length_days"]) == (
        "2026-03-10", None, True, 1)
    assert item["cause"] == "court" and item["cause_days"] == {"court": 1}
    assert item["cause_event"]["event_type"] == "court_out"


def test_filters_and_pagination(app, world, as_user):
    pid = court_story(app)
    api = as_user("clinician.a")
    for query, total in [(f"patient={pid}", 1), ("programme=art", 0), ("open=false", 0),
                         ("from=2026-03-11", 1), ("to=2026-03-09", 0), ("from=2026-03-10&to=2026-03-10", 1)]:
        assert api.get(f"/api/v1/interruptions?{query}").get_json()["total"] == total, query
    page = api.get("/api/v1/interruptions?limit=1&offset=1").get_json()
    assert page == {"items": [], "total": 1}
    assert api.get("/api/v1/interruptions?programme=nope").status_code == 422
    assert api.get("/api/v1/interruptions?facility=NOPE").status_code == 404


def test_other_facilities_and_custody_staff_see_nothing(app, world, as_user):
    court_story(app)
    assert as_user("nurse.b").get("/api/v1/interruptions").get_json()["total"] == 0
    assert as_user("auditor.national").get("/api/v1/interruptions").get_json()["total"] == 1
    assert as_user("custody.a").get("/api/v1/interruptions").status_code == 403

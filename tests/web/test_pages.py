"""The server-rendered pages, through the Flask test client: what a person sees
(labels, errors next to fields, the layout, the timeline), not just status codes."""
from datetime import date, timedelta
from urllib.parse import quote, urljoin, urlsplit

import pytest

from prisoncare.extensions import db
from prisoncare.models import CustodyEvent, Patient, StaffUser
from tests.conftest import NOW
from tests.factories import PASSWORD, admit, make_patient
from tests.web.helpers import Page, get, location_path, login, submit


@pytest.fixture
def patient_a(app, world):
    """A woman registered in FAC-A, never admitted: her id."""
    with app.app_context():
        patient = make_patient("A-100", facility="FAC-A", given="Olena", family="Kovalenko")
        db.session.commit()
        return patient.id


def _events(app, patient_id):
    with app.app_context():
        rows = db.session.query(CustodyEvent).filter_by(patient_id=patient_id) \
            .order_by(CustodyEvent.id).all()
        return [(e.type, e.occurred_at) for e in rows]


def _status(app, patient_id):
    with app.app_context():
        return db.session.get(Patient, patient_id).custody_status


# --- logging in and out -------------------------------------------------------

def test_login_page_has_labelled_fields_and_a_csrf_token(client, world):
    page = get(client, "/login")
    assert page.status == 200 and page.in_layout()
    assert page.h1 == "Log in"
    assert page.label_for("username") == "Username"
    assert page.label_for("password") == "Password"
    user = page.by_id("username")
    password = page.by_id("password")
    assert user.get("name") == "username" and user.get("autocomplete") == "username"
    assert password.get("type") == "password" and password.get("name") == "password"
    assert page.form("/login").get("method") == "post"
    page.csrf_token("/login")
    assert page.nav_links() == []  # no menu before logging in


def test_a_page_form_post_without_its_csrf_token_is_refused_in_the_layout(app, client, world):
    resp = client.post("/login", data={"username": "nurse.a", "password": PASSWORD})
    page = Page(resp)
    assert page.status == 403 and page.in_layout()
    assert "Security token missing" in page.h1
    assert "security token" in page.main.text
    assert client.get("/").status_code == 302  # not logged in

    # and for a logged-in user's write: nothing is registered
    assert login(client, "nurse.a").status == 302
    page = Page(client.post("/patients/new", data={
        "prison_number": "X-1", "given_name": "A", "family_name": "B",
        "date_of_birth": "1990-01-01", "sex": "female"}))
    assert page.status == 403 and page.in_layout() and "Security token missing" in page.h1
    page = Page(client.post("/patients/new", data={
        "csrf_token": "forged", "prison_number": "X-1", "given_name": "A", "family_name": "B",
        "date_of_birth": "1990-01-01", "sex": "female"}))
    assert page.status == 403
    with app.app_context():
        assert db.session.query(Patient).count() == 0


def test_logging_in_through_the_form_lands_on_the_facility_worklist(client, world):
    resp = login(client, "nurse.a")
    assert resp.status == 302 and location_path(resp.resp) == "/"
    page = get(client, "/")
    assert page.status == 200 and page.in_layout()
    assert page.h1 == "Test facility FAC-A"
    assert page.find("ul", aria_label="Patients by custody status") is not None
    assert "Away from the facility now" in page.text
    assert "nurse.a" in page.find("form", class_="whoami").text
    assert page.nav_links() == ["Home", "Patients", "Register", "Pill pass", "Checklists", "Alerts", "Interruptions", "Releases", "SRH due"]


@pytest.mark.parametrize("target", ["/patients/", "/patients/?q=Kovalenko"])
def test_next_is_followed_when_it_is_a_local_path(client, world, target):
    resp = login(client, "nurse.a", next=quote(target, safe="/"))
    assert resp.status == 302
    assert location_path(resp.resp) == target


@pytest.mark.parametrize("target", [
    "http://evil.example/", "https://evil.example/patients/", "//evil.example",
    "//evil.example/patients/", "/\\evil.example", "\\\\evil.example", "/\t/evil.example",
    "/\n/evil.example", "javascript:alert(1)", "evil.example", "http:/evil.example",
    "///evil.example",
])
def test_next_is_not_followed_off_the_site(client, world, target):
    resp = login(client, "nurse.a", next=quote(target, safe=""))
    assert resp.status == 302
    assert resp.resp.headers["Location"] == "/"
    # nor when already logged in and sent to the login page again
    resp = client.get("/login?next=" + quote(target, safe=""))
    assert resp.status_code == 302 and resp.headers["Location"] == "/"


def test_a_wrong_password_shows_the_error_and_keeps_the_username(client, world):
    page = login(client, "nurse.a", "not-the-password")
    assert page.status == 401 and page.in_layout()
    alert = page.find(role="alert")
    assert alert is not None and alert.text == "Wrong username or password."
    assert page.by_id("username").get("value") == "nurse.a"
    assert not page.by_id("password").get("value")
    assert "not-the-password" not in page.html
    assert client.get("/").status_code == 302


def test_an_unknown_user_gets_the_same_message(client, world):
    page = login(client, "nobody.here", "whatever-password")
    assert page.status == 401
    assert page.find(role="alert").text == "Wrong username or password."


def test_repeated_failures_lock_the_account_with_a_message_and_429(app, client, world):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "nurse.a", "not-the-password").status == 401
    page = login(client, "nurse.a")  # even the right password
    assert page.status == 429 and page.in_layout()
    assert "locked" in page.find(role="alert").text
    assert page.by_id("username").get("value") == "nurse.a"
    assert client.get("/").status_code == 302


def test_logout_is_a_post_that_ends_the_session(client, world):
    assert login(client, "nurse.a").status == 302
    home = get(client, "/")
    form = home.form("/logout")
    assert form.get("method") == "post" and form.find("button").text == "Log out"
    stolen = client.get_cookie("prisoncare_session").value
    resp = submit(client, home, {}, action="/logout")
    assert resp.status == 302 and location_path(resp.resp) == "/login"
    assert client.get("/").status_code == 302
    # the old cookie no longer works either: the session ended on the server
    client.set_cookie("prisoncare_session", stolen)
    assert client.get("/").status_code == 302


def test_a_get_of_logout_only_asks_so_another_site_cannot_log_a_terminal_out(client, world):
    login(client, "nurse.a")
    page = get(client, "/logout")
    assert page.status == 200 and page.form("/logout").get("method") == "post"
    assert client.get("/").status_code == 200  # still logged in


def test_not_logged_in_a_page_redirects_to_login_with_next(client, world):
    resp = client.get("/patients/")
    assert resp.status_code == 302
    assert location_path(resp) == "/login?next=/patients/"
    resp = client.get("/patients/?q=A-1")
    assert resp.status_code == 302
    page = get(client, location_path(resp))
    assert page.find("input", name="next").get("value") == "/patients/?q=A-1"
    resp = submit(client, page, {"username": "nurse.a", "password": PASSWORD}, action="/login")
    assert location_path(resp.resp) == "/patients/?q=A-1"


# --- patients -----------------------------------------------------------------

def test_patient_search_by_name_lists_matches(app, logged_in, world):
    with app.app_context():
        make_patient("A-1", given="Olena", family="Kovalenko")
        make_patient("A-2", given="Iryna", family="Kovalenko")
        make_patient("A-3", given="Maria", family="Shevchenko")
        make_patient("B-1", facility="FAC-B", sex="male", given="Petro", family="Kovalenko")
        db.session.commit()
    client = logged_in("nurse.a")
    page = get(client, "/patients/?q=kovalenko")
    assert page.status == 200 and page.in_layout()
    assert page.label_for("q") == "Prison number or name"
    assert "2 patients" in page.main.text
    rows = [tr.find_all("td")[0].text for tr in page.find("tbody").find_all("tr")]
    assert rows == ["A-2", "A-1"]  # by family, then given name
    assert "Petro" not in page.text  # FAC-B is not hers

    page = get(client, "/patients/?q=nobody")
    assert "0 patients" in page.main.text and page.find("tbody") is None


def test_an_exact_prison_number_goes_straight_to_the_patient_page(client, logged_in, patient_a):
    client = logged_in("nurse.a")
    resp = client.get("/patients/?q=A-100")
    assert resp.status_code == 302 and location_path(resp) == f"/patients/{patient_a}"
    page = get(client, location_path(resp))
    assert page.h1 == "Kovalenko, Olena"
    # a part of the number is not a match
    assert "0 patients" in get(client, "/patients/?q=A-10").main.text


def test_a_number_is_found_in_any_of_the_users_facilities(app, logged_in, world):
    """The switcher shows FAC-A, yet a scanned number of a FAC-B patient is found
    by a user who works in both."""
    with app.app_context():
        from tests.factories import make_user
        make_user("nurse.ab", ["nurse"], ["FAC-A", "FAC-B"])
        make_patient("B-7", facility="FAC-B", sex="male", given="Petro", family="Sample")
        db.session.commit()
    client = logged_in("nurse.ab")
    resp = client.get("/patients/?q=B-7")
    assert resp.status_code == 302 and get(client, location_path(resp)).h1 == "Sample, Petro"


def test_register_a_patient_through_the_form(app, logged_in, world):
    client = logged_in("nurse.a")
    form = get(client, "/patients/new")
    assert form.status == 200 and form.h1 == "Register a patient"
    for name, label in [("prison_number", "Prison number"), ("given_name", "Given name"),
                        ("family_name", "Family name"), ("date_of_birth", "Date of birth"),
                        ("sex", "Sex")]:
        assert form.label_for(f"f-{name}").startswith(label)
        assert form.by_id(f"f-{name}").has("required")
    assert form.by_id("f-date_of_birth").get("type") == "date"
    assert form.by_id("f-facility") is None  # her only facility is used
    page = submit(client, form, {"prison_number": "A-200", "given_name": "Oksana",
                                 "family_name": "Bondar", "date_of_birth": "1988-04-02",
                                 "sex": "female", "preferred_language": "uk"},
                  follow_redirects=True)
    assert page.status == 200 and page.h1 == "Bondar, Oksana"
    assert "Registered Oksana Bondar (A-200)." in page.flashes()
    assert "never admitted" in page.by_id("custody-status").text
    with app.app_context():
        patient = db.session.query(Patient).filter_by(prison_number="A-200").one()
        assert patient.facility.code == "FAC-A" and patient.date_of_birth == date(1988, 4, 2)


def test_registering_with_bad_input_shows_errors_next_to_the_fields(app, logged_in, world):
    client = logged_in("nurse.a")
    form = get(client, "/patients/new")
    tomorrow = (NOW.date() + timedelta(days=1)).isoformat()
    page = submit(client, form, {"prison_number": "A-300", "given_name": "Oksana",
                                 "family_name": "Bondar", "date_of_birth": tomorrow,
                                 "sex": "female"})
    assert page.status == 422 and page.in_layout()
    assert page.field_error("date_of_birth") == "Cannot be in the future."
    assert page.field_error("family_name") is None
    assert page.by_id("f-given_name").get("value") == "Oksana"  # what she typed is kept
    assert page.by_id("f-date_of_birth").get("value") == tomorrow
    assert page.find(class_="error-summary", role="alert") is not None

    page = submit(client, form, {"prison_number": "A-300", "given_name": "Oksana",
                                 "date_of_birth": "1988-04-02", "sex": "female"})
    assert page.status == 422
    assert page.field_error("family_name")
    assert "family name" in page.find(class_="error-summary").text
    assert page.field_error("date_of_birth") is None

    page = submit(client, form, {"prison_number": "no spaces allowed", "given_name": "Oksana",
                                 "family_name": "Bondar", "date_of_birth": "1988-04-02",
                                 "sex": "female"})
    assert page.status == 422 and page.field_error("prison_number")
    with app.app_context():
        assert db.session.query(Patient).count() == 0


def test_the_patient_page_shows_the_custody_timeline(app, logged_in, patient_a):
    with app.app_context():
        patient = db.session.get(Patient, patient_a)
        admit(patient, ward="B", at=NOW - timedelta(days=2))
        db.session.commit()
    page = get(logged_in("nurse.a"), f"/patients/{patient_a}")
    assert page.status == 200 and page.in_layout()
    assert page.h1 == "Kovalenko, Olena"
    assert page.find("h2", id="timeline-h").text == "Custody timeline"
    assert page.timeline() == ["admission"]
    event = page.by_id("timeline").find("li")
    assert "at FAC-A · B" in event.text and "(pretrial)" in event.text
    # the time is shown in the facility's time (Kyiv, UTC+2) and given to machines in UTC
    assert event.find("time").text == "2026-03-08 12:00"
    assert event.find("time").get("datetime").startswith("2026-03-08T10:00:00")
    assert "in custody" in page.by_id("custody-status").text
    # a nurse reads the timeline but has no custody form
    assert page.find("form", class_="form") is None


def _post_event(client, patient_id, data, **kw):
    page = get(client, f"/patients/{patient_id}")
    return submit(client, page, data, action=f"/patients/{patient_id}/custody-events", **kw)


def test_custody_officer_records_admission_court_and_return_then_an_impossible_event(
        app, logged_in, patient_a):
    client = logged_in("custody.a")
    page = get(client, f"/patients/{patient_a}")
    form = page.form(f"/patients/{patient_a}/custody-events")
    assert page.label_for("f-type") == "Event *"
    assert [o.get("value") for o in page.by_id("f-type").find_all("option")] == ["", "admission"]
    assert page.by_id("f-occurred_at").get("type") == "datetime-local"
    assert form.find("button").text == "Record event"

    page = _post_event(client, patient_a, {
        "type": "admission", "occurred_at": "2026-03-10T09:00", "facility": "FAC-A",
        "ward": "A", "legal_status": "pretrial"}, follow_redirects=True)
    assert page.status == 200 and "Recorded: admission." in page.flashes()
    assert "in custody" in page.by_id("custody-status").text
    page = _post_event(client, patient_a, {"type": "court_out", "occurred_at": "2026-03-10T10:00"},
                       follow_redirects=True)
    assert "out at court" in page.by_id("custody-status").text
    assert [o.get("value") for o in page.by_id("f-type").find_all("option")][1:] == [
        "court_scheduled", "court_return", "sentenced", "release_scheduled", "release"]
    page = _post_event(client, patient_a, {"type": "court_return",
                                           "occurred_at": "2026-03-10T11:30"},
                       follow_redirects=True)
    assert page.timeline() == ["court return", "court out", "admission"]
    assert "in custody" in page.by_id("custody-status").text
    assert [t.text for t in page.by_id("timeline").find_all("time")] == [
        "2026-03-10 11:30", "2026-03-10 10:00", "2026-03-10 09:00"]
    before = _events(app, patient_a)
    assert [t for t, _ in before] == ["admission", "court_out", "court_return"]

    # a stale form: a second court return while she is already back
    url = f"/patients/{patient_a}"
    page = _post_event(client, patient_a, {"type": "court_return",
                                           "occurred_at": "2026-03-10T11:45"},
                       headers={"Referer": "http://localhost" + url})
    assert page.status == 302 and location_path(page.resp) == url
    page = get(client, url)
    assert "A court return cannot be recorded: the patient is in custody." in page.flashes()
    assert page.timeline() == ["court return", "court out", "admission"]
    # without a Referer: the error page, in the layout
    page = _post_event(client, patient_a, {"type": "court_return",
                                           "occurred_at": "2026-03-10T11:45"})
    assert page.status == 409 and page.in_layout()
    assert "A court return cannot be recorded: the patient is in custody." in page.main.text
    assert _events(app, patient_a) == before
    assert _status(app, patient_a) == "in_custody"


def test_custody_form_field_errors_are_shown_and_nothing_is_written(app, logged_in, patient_a):
    client = logged_in("custody.a")
    page = _post_event(client, patient_a, {"type": "admission", "occurred_at": "2026-03-10T09:00",
                                           "ward": "A", "legal_status": "pretrial"})
    assert page.status == 422 and page.in_layout()
    assert page.field_error("facility") == "Required for admission."
    assert page.by_id("f-ward").get("value") == "A"  # kept
    page = _post_event(client, patient_a, {"type": "admission", "occurred_at": "2026-03-10T13:00",
                                           "facility": "FAC-A", "ward": "Z",
                                           "legal_status": "pretrial"})
    assert page.status == 422
    assert page.field_error("occurred_at") == "Cannot be in the future."
    assert page.field_error("ward") == "Unknown ward Z in FAC-A."
    assert page.by_id("f-occurred_at").get("value") == "2026-03-10T13:00"
    assert _events(app, patient_a) == []
    assert page.timeline() == []


def test_a_custody_form_time_is_read_in_the_facility_time_zone(logged_in, patient_a):
    client = logged_in("custody.a")
    page = _post_event(client, patient_a, {
        "type": "admission", "occurred_at": "2026-03-10T09:00", "facility": "FAC-A",
        "ward": "A", "legal_status": "pretrial"})
    assert page.status == 302
    events = client.get(f"/api/v1/patients/{patient_a}/custody-events").get_json()["items"]
    assert [e["occurred_at"] for e in events] == ["2026-03-10T07:00:00Z"]
    assert events[0]["recorded_by"] == "custody.a" and events[0]["ward"] == "A"


def test_a_nurse_of_another_facility_gets_the_404_page(app, logged_in, patient_a):
    client = logged_in("nurse.b")
    page = get(client, f"/patients/{patient_a}")
    assert page.status == 404 and page.in_layout()
    assert page.h1 == "404 · Not found"
    assert "Kovalenko" not in page.html and "A-100" not in page.html
    assert "0 patients" in get(client, "/patients/?q=A-100&scope=all").main.text
    # custody staff of FAC-B cannot write to her timeline either: 404, nothing written
    custody = logged_in("custody.b")
    page = Page(custody.post(f"/patients/{patient_a}/custody-events", data={
        "csrf_token": get(custody, "/").csrf_token("/logout"), "type": "admission",
        "occurred_at": "2026-03-10T09:00", "facility": "FAC-B", "ward": "M1",
        "legal_status": "pretrial"}))
    assert page.status == 404 and page.in_layout() and "Kovalenko" not in page.html
    assert _events(app, patient_a) == []


def test_the_facility_and_ward_switcher_changes_the_worklist(app, logged_in, world):
    with app.app_context():
        for number, ward in [("A-1", "A"), ("A-2", "A"), ("A-3", "B")]:
            admit(make_patient(number, family=f"Family{number}"), ward=ward,
                  at=NOW - timedelta(days=1))
        admit(make_patient("B-1", facility="FAC-B", sex="male"), facility="FAC-B", ward="M1",
              at=NOW - timedelta(days=1))
        db.session.commit()

    def in_custody(page):
        counts = page.find("ul", aria_label="Patients by custody status")
        item = next(li for li in counts.find_all("li") if li.text.endswith("in custody")
                    and "out" not in li.text)
        return int(item.find(class_="count").text)

    client = logged_in("custody.a")
    home = get(client, "/")
    assert home.label_for("sw-facility") == "Facility" and home.label_for("sw-ward") == "Ward"
    assert [o.text for o in home.by_id("sw-ward").find_all("option")] == [
        "All wards", "A · Ward A", "B · Ward B"]
    assert [o.text for o in home.by_id("sw-facility").find_all("option")] == [
        "FAC-A · Test facility FAC-A"]  # only her own facility is offered
    assert home.h1 == "Test facility FAC-A" and in_custody(home) == 3

    ward_b = next(o.get("value") for o in home.by_id("sw-ward").find_all("option")
                  if o.text.startswith("B "))
    page = submit(client, home, {"facility": str(world.fac_a_id), "ward": ward_b, "back": "/"},
                  action="/switch", follow_redirects=True)
    assert page.h1 == "Test facility FAC-A · Ward B" and in_custody(page) == 1
    assert [o.text for o in page.by_id("sw-ward").find_all("option") if o.has("selected")] == [
        "B · Ward B"]
    # the patient list follows the switcher
    patients = get(client, "/patients/")
    assert patients.h1 == "Patients · FAC-A · B"
    assert [tr.find("td").text for tr in patients.find("tbody").find_all("tr")] == ["A-3"]

    # a facility she cannot see is ignored
    page = submit(client, page, {"facility": str(world.fac_b_id), "back": "/"},
                  action="/switch", follow_redirects=True)
    assert page.h1 == "Test facility FAC-A · Ward B"

    # a national auditor switches between facilities
    client = logged_in("auditor.national")
    home = get(client, "/")
    assert len(home.by_id("sw-facility").find_all("option")) == 2
    page = submit(client, home, {"facility": str(world.fac_b_id), "back": "/"},
                  action="/switch", follow_redirects=True)
    assert page.h1 == "Test facility FAC-B" and in_custody(page) == 1
    page = submit(client, page, {"facility": str(world.fac_a_id), "back": "/"},
                  action="/switch", follow_redirects=True)
    assert page.h1 == "Test facility FAC-A" and in_custody(page) == 3


def _as_a_browser_reads(location):
    """Where a browser goes: it drops tabs and newlines and reads \\ as / in http URLs."""
    cleaned = location.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    return urlsplit(urljoin("http://localhost/patients/", cleaned))


@pytest.mark.parametrize("back", ["//evil.example/", "/\\evil.example", "http://evil.example/",
                                  "/\t/evil.example", "https:evil.example"])
def test_the_switcher_only_goes_back_to_a_page_of_this_site(logged_in, world, back):
    client = logged_in("nurse.a")
    home = get(client, "/")
    resp = submit(client, home, {"facility": str(world.fac_a_id), "back": back}, action="/switch")
    assert resp.status == 302
    assert _as_a_browser_reads(resp.resp.headers["Location"]).netloc == "localhost"
    # the back field of the real form brings her back to the page she was on
    page = get(client, "/patients/?status=in_custody")
    resp = submit(client, page, {"facility": str(world.fac_a_id)}, action="/switch")
    assert location_path(resp.resp) == "/patients/?status=in_custody"


# --- administration -----------------------------------------------------------

def test_admin_lists_and_creates_users(app, logged_in, world):
    client = logged_in("admin.a")
    page = get(client, "/admin/users")
    assert page.status == 200 and page.in_layout() and page.h1 == "Staff accounts"
    rows = {tr.find("td").text: [td.text for td in tr.find_all("td")]
            for tr in page.find("tbody").find_all("tr")}
    assert rows["nurse.a"][2:5] == ["nurse", "FAC-A", "active"]
    assert rows["auditor.national"][3] == "all"
    assert len(rows) == 13
    assert page.label_for("f-username").startswith("Username")
    assert page.label_for("f-password").startswith("Initial password")

    page = submit(client, page, {"username": "nurse.new", "display_name": "New Nurse",
                                 "password": "long-enough-password", "roles": ["nurse"],
                                 "facilities": ["FAC-A"]}, action="/admin/users",
                  follow_redirects=True)
    assert page.status == 200 and "Created nurse.new." in page.flashes()
    row = next(tr for tr in page.find("tbody").find_all("tr") if tr.find("td").text == "nurse.new")
    assert [td.text for td in row.find_all("td")][1:5] == ["New Nurse", "nurse", "FAC-A", "active"]
    assert login(app.test_client(), "nurse.new", "long-enough-password").status == 302


def test_admin_user_form_shows_field_errors(app, logged_in, world):
    client = logged_in("admin.a")
    page = get(client, "/admin/users")
    page = submit(client, page, {"username": "nurse.short", "password": "short",
                                 "roles": ["nurse"], "facilities": ["FAC-A"]},
                  action="/admin/users")
    assert page.status == 422 and page.in_layout()
    assert page.field_error("password") == "Use at least 10 characters."
    assert page.by_id("f-username").get("value") == "nurse.short"
    assert not page.by_id("f-password").get("value")
    assert page.find("input", name="roles", value="nurse").has("checked")
    assert not page.find("input", name="roles", value="admin").has("checked")
    page = submit(client, page, {"username": "nurse.a", "password": "long-enough-password",
                                 "roles": ["nurse"], "facilities": ["FAC-A"]},
                  action="/admin/users")
    assert page.status == 422 and page.field_error("username") == "Already taken."
    with app.app_context():
        assert db.session.query(StaffUser).filter_by(username="nurse.short").count() == 0


def test_disabling_a_user_ends_their_sessions(app, logged_in, world):
    nurse = logged_in("nurse.a")
    assert nurse.get("/").status_code == 200
    admin = logged_in("admin.a")
    page = get(admin, "/admin/users")
    button = next(b for b in page.find_all("button") if b.text == "Disable nurse.a")
    form = next(a for a in button.ancestors() if a.tag == "form")
    page = submit(admin, page, {}, action=form.get("action"), follow_redirects=True)
    assert any("Disabled nurse.a" in f for f in page.flashes())
    row = next(tr for tr in page.find("tbody").find_all("tr") if tr.find("td").text == "nurse.a")
    assert row.find_all("td")[4].text == "disabled"
    assert "Disable admin.a" not in page.text  # not herself
    resp = nurse.get("/patients/")
    assert resp.status_code == 302 and location_path(resp).startswith("/login")
    assert login(app.test_client(), "nurse.a").status == 401


@pytest.mark.parametrize("username", ["nurse.a", "custody.a", "auditor.national", "clinician.b"])
def test_non_admins_get_the_403_page_on_the_users_page(logged_in, username):
    client = logged_in(username)
    page = get(client, "/admin/users")
    assert page.status == 403 and page.in_layout()
    assert page.h1 == "403 · Not allowed"
    assert "nurse.b" not in page.main.text
    assert "Users" not in page.nav_links()


def test_admins_see_no_patients(logged_in, patient_a):
    client = logged_in("admin.a")
    assert get(client, "/patients/").status == 403
    assert get(client, f"/patients/{patient_a}").status == 403
    home = get(client, "/")
    assert home.status == 200 and "Kovalenko" not in home.html


@pytest.mark.parametrize("username,links", [
    ("nurse.a", ["Home", "Patients", "Register", "Pill pass", "Checklists", "Alerts", "Interruptions", "Releases", "SRH due"]),
    ("clinician.a", ["Home", "Patients", "Register", "Pill pass", "Checklists", "Alerts", "Interruptions", "Releases", "SRH due"]),
    ("custody.a", ["Home", "Patients", "Register", "Checklists", "Alerts"]),
    ("release_officer.a", ["Home", "Patients", "Checklists", "Alerts", "Releases"]),
    ("auditor.a", ["Home", "Patients", "Checklists", "Alerts", "Interruptions", "Access log", "Reports"]),
    ("admin.a", ["Home", "Providers", "Users"]),
])
def test_the_menu_fits_the_role(logged_in, username, links):
    client = logged_in(username)
    page = get(client, "/")
    assert page.nav_links() == links
    for text, path in [("Patients", "/patients/"), ("Register", "/patients/new"),
                       ("Users", "/admin/users")]:
        status = get(client, path).status
        assert (status == 200) == (text in links), (text, status)  # a link for what works


def test_custody_staff_see_no_clinical_words(logged_in, patient_a):
    client = logged_in("custody.a")
    page = get(client, f"/patients/{patient_a}")
    for word in ("OST", "ART", "HCV", "dose", "Medication", "Diagnos"):
        assert word not in page.main.text


def test_an_unknown_url_gets_the_404_page_in_the_layout(logged_in, client, world):
    page = get(client, "/no/such/page")
    assert page.status == 404 and page.in_layout() and page.h1 == "404 · Not Found"
    page = get(logged_in("nurse.a"), "/no/such/page")
    assert page.status == 404 and page.in_layout()
    assert page.nav_links() == ["Home", "Patients", "Register", "Pill pass", "Checklists", "Alerts", "Interruptions", "Releases", "SRH due"]
    assert page.find("a", href="/").text in ("prisoncare", "Home")


def test_pages_load_nothing_from_the_internet(app, logged_in, patient_a):
    with app.app_context():
        admit(db.session.get(Patient, patient_a), at=NOW - timedelta(hours=5))
        db.session.commit()
    pages = [(app.test_client(), "/login"), (app.test_client(), "/nowhere")]
    for username, paths in [
        ("custody.a", ["/", "/patients/", "/patients/?q=nobody", f"/patients/{patient_a}",
                       "/patients/new"]),
        ("admin.a", ["/admin/users", "/patients/"]),
        ("nurse.b", [f"/patients/{patient_a}"]),
    ]:
        client = logged_in(username)
        pages += [(client, p) for p in paths]
    checked = 0
    for client, path in pages:
        page = get(client, path)
        assert page.status in (200, 403, 404), path
        for tag, attr, value in page.assets():
            assert not value.strip().lower().startswith(("http:", "https:", "//")), (path, tag, value)
            checked += 1
        assert page.find("link", rel="stylesheet").get("href").startswith("/static/")
    assert checked > 20
    css = app.test_client().get("/static/app.css")
    assert css.status_code == 200
    text = css.get_data(as_text=True)
    assert "http:" not in text and "https:" not in text and "@import" not in text


def test_the_auditor_filters_the_access_log_by_patient_and_user(app, logged_in, patient_a):
    nurse = logged_in("nurse.a")
    nurse.get(f"/patients/{patient_a}")
    page = get(logged_in("auditor.a"), f"/audit?patient={patient_a}&user=nurse.a")
    assert page.status == 200 and page.h1 == "Access log"
    rows = [[td.text.strip() for td in tr.find_all("td")] for tr in page.find("tbody").find_all("tr")]
    assert rows and {r[1] for r in rows} == {"nurse.a"}
    assert any(r[2] == "patient.read" and r[4] == str(patient_a) for r in rows)
    assert get(logged_in("auditor.a"), "/audit?from=2026-03-11").find("tbody") is None
    assert logged_in("nurse.a").get("/audit").status_code == 403

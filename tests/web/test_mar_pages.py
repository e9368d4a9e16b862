"""The pill-pass page, the patient's MAR grid and the medication panel, as a
nurse or clinician sees them (JavaScript off: one form around the table, each row's
Record button posts that row, redirect to the row)."""
from datetime import date, timedelta

from sqlalchemy import event, select

from prisoncare.extensions import db
from prisoncare.models import AuditEntry
from prisoncare.models.medication import DoseAdministration
from prisoncare.services import orders
from tests.conftest import NOW
from tests.factories import admit, make_patient, make_user
from tests.services.test_mar_orders import ost, staff
from tests.web.helpers import get, location_path, submit


def on_methadone(app, number, given="Olena", family="Kovalenko", start_days=1, ward="A"):
    with app.app_context():
        patient = make_patient(number, facility="FAC-A", given=given, family=family)
        admit(patient, ward=ward, at=NOW - timedelta(days=20))
        orders.create_order(staff("clinician.a"), patient,
                            ost(start_at=NOW - timedelta(days=start_days)), now=NOW)
        db.session.commit()
        return patient.id


def row(page, prison_number):
    return next(tr for tr in page.find_all("tr") if tr.get("data-prison-number") == prison_number)


def dose_of(tr):
    """A row's dose id, from its anchor id="dose-<id>"."""
    return tr.get("id").removeprefix("dose-")


def test_the_pill_pass_shows_who_is_due(app, world, logged_in):
    on_methadone(app, "PP-1")
    page = get(logged_in("nurse.a"), "/mar/pill-pass?date=2026-03-10")
    assert page.status == 200 and page.in_layout()
    assert "Pill pass" in page.h1 and "2026-03-10" in page.h1
    tr = row(page, "PP-1")
    assert "Kovalenko, Olena" in tr.text and "Methadone oral solution 60 mg oral" in tr.text
    assert "08:00" in tr.text and "due" in tr.text
    assert "status-due" in tr.get("class")
    dose_id = dose_of(tr)
    assert tr.find("select", name=f"o{dose_id}").get("aria-label") == "Outcome"
    witness = tr.find("input", name=f"w{dose_id}")
    assert witness.get("value") == "nurse.a" and witness.parent.tag == "label"
    assert "Witness" in witness.parent.text
    assert tr.find("button", name="dose").get("value") == dose_id
    # one form around the table: the CSRF token once, not once per row
    form = page.by_id("pass-form")
    assert form.find("table", id="pill-pass") is not None
    assert len(form.find_all("input", name="csrf_token")) == 1
    assert form.find("table", id="pill-pass").find("input", type="hidden") is None
    assert page.label_for("scan") == "Prison number (type or scan)"
    assert ("script", "src", "/static/pillpass.js") in page.assets()
    with app.app_context():   # the read is in the access log: which list, how many doses
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "mar.ward_read")).one()
        assert (entry.username, entry.detail) == ("nurse.a", {
            "via": "pill_pass", "ward": None, "date": "2026-03-10", "round": None, "doses": 1})


def test_recording_without_javascript_comes_back_to_the_row(app, world, logged_in):
    on_methadone(app, "PP-1")
    client = logged_in("nurse.a")
    page = get(client, "/mar/pill-pass?date=2026-03-10")
    dose_id = dose_of(row(page, "PP-1"))
    resp = submit(client, page, {"dose": dose_id, f"o{dose_id}": "given",
                                 f"w{dose_id}": "clinician.a", f"r{dose_id}": "",
                                 f"g{dose_id}": ""}, action="/mar/pill-pass/record")
    assert resp.status == 302
    assert location_path(resp.resp) == "/mar/pill-pass?date=2026-03-10"
    assert resp.resp.headers["Location"].endswith(f"#dose-{dose_id}")
    page = get(client, "/mar/pill-pass?date=2026-03-10")
    tr = row(page, "PP-1")
    assert "status-given" in tr.get("class"), page.flashes()
    assert "given 12:00 by nurse.a, witness clinician.a" in tr.text
    assert tr.find("button") is None and tr.find("select") is None
    assert any("given recorded" in f for f in page.flashes())


def test_a_corrected_dose_shows_only_its_new_record(app, world, logged_in):
    """Voided (status back to due): the row offers the controls again, without the
    voided record; recorded again as refused: that record, not the voided one."""
    from prisoncare.models.medication import ScheduledDose
    from prisoncare.services import administration
    on_methadone(app, "PP-1")
    client = logged_in("nurse.a")
    page = get(client, "/mar/pill-pass?date=2026-03-10")
    dose_id = dose_of(row(page, "PP-1"))
    submit(client, page, {"dose": dose_id, f"o{dose_id}": "given", f"w{dose_id}": "clinician.a"},
           action="/mar/pill-pass/record")
    with app.app_context():
        administration.void_administration(staff("nurse.a"), db.session.get(
            ScheduledDose, int(dose_id)), "recorded on the wrong patient", now=NOW)
        db.session.commit()
    tr = row(get(client, "/mar/pill-pass?date=2026-03-10"), "PP-1")
    assert "status-due" in tr.get("class") and "by nurse.a" not in tr.text
    assert tr.find("button", name="dose").get("value") == dose_id
    page = get(client, "/mar/pill-pass?date=2026-03-10")
    submit(client, page, {"dose": dose_id, f"o{dose_id}": "refused",
                          f"r{dose_id}": "asleep, will come later"},
           action="/mar/pill-pass/record")
    tr = row(get(client, "/mar/pill-pass?date=2026-03-10"), "PP-1")
    assert "status-refused" in tr.get("class")
    assert "refused 12:00 by nurse.a · asleep, will come later" in tr.text
    assert "given 12:00" not in tr.text and tr.find("button") is None


def test_a_refused_record_without_reason_is_explained(app, world, logged_in):
    on_methadone(app, "PP-1")
    client = logged_in("nurse.a")
    page = get(client, "/mar/pill-pass?date=2026-03-10")
    dose_id = dose_of(row(page, "PP-1"))
    resp = submit(client, page, {"dose": dose_id, f"o{dose_id}": "refused"},
                  action="/mar/pill-pass/record")
    assert resp.status == 302 and resp.resp.headers["Location"].endswith(f"#dose-{dose_id}")
    page = get(client, "/mar/pill-pass?date=2026-03-10")
    assert any("reason" in f for f in page.flashes())
    with app.app_context():
        assert db.session.query(DoseAdministration).count() == 0


def test_scanning_a_prison_number_goes_to_the_row(app, world, logged_in):
    on_methadone(app, "PP-1")
    client = logged_in("nurse.a")
    resp = client.get("/mar/pill-pass?date=2026-03-10&find=pp-1")
    assert resp.status_code == 302 and "#dose-" in resp.headers["Location"]
    page = get(client, "/mar/pill-pass?date=2026-03-10&find=NOPE")
    assert any("No dose for prison number NOPE" in f for f in page.flashes())


def test_blocked_and_absent_patients_are_shown_before_the_nurse_acts(app, world, logged_in):
    on_methadone(app, "PP-1", start_days=6)             # four unrecorded days: review required
    absent_id = on_methadone(app, "PP-2", given="Iryna", family="Bondar")
    with app.app_context():
        from prisoncare.models import Patient
        from prisoncare.services import custody
        from tests.factories import SYSTEM
        custody.record_event(SYSTEM, db.session.get(Patient, absent_id),
                             {"type": "court_out", "occurred_at": NOW}, now=NOW)
        db.session.commit()
    client = logged_in("nurse.a")
    page = get(client, "/mar/pill-pass?date=2026-03-10")
    blocked = row(page, "PP-1")
    assert "Review required" in blocked.text
    given = blocked.find("option", value="given")
    assert given.has("disabled")
    # a forced "given" (a stale or tampered page) is refused by the server all the same
    dose_id = dose_of(blocked)
    resp = submit(client, page, {"dose": dose_id, f"o{dose_id}": "given",
                                 f"w{dose_id}": "clinician.a"}, action="/mar/pill-pass/record")
    assert resp.status == 302 and resp.resp.headers["Location"].endswith(f"#dose-{dose_id}")
    assert any("review" in f.lower() for f in get(client, "/mar/pill-pass?date=2026-03-10").flashes())
    with app.app_context():
        assert db.session.query(DoseAdministration).count() == 0
    away = row(page, "PP-2")
    assert "Absent: at court" in away.text and "is-absent" in away.get("class")


def test_the_patient_page_panel_and_the_mar_grid(app, world, logged_in):
    pid = on_methadone(app, "PP-1")
    client = logged_in("clinician.a")
    page = get(client, f"/patients/{pid}")
    panel = page.by_id("medication")
    assert panel is not None and "Methadone oral solution 60 mg oral" in panel.text
    assert "OST" in panel.text and "witnessed" in panel.text
    page = get(client, f"/mar/patients/{pid}?week=2026-03-10&weeks=1")
    assert page.status == 200 and "MAR" in page.h1
    assert "Methadone oral solution 60 mg oral · 08:00" in page.text
    assert "Tue 10.03" in page.text
    assert len(page.find_all("section", class_="week")) == 1


def test_a_clinician_prescribes_and_reviews_from_the_patient_page(app, world, logged_in):
    with app.app_context():
        patient = make_patient("PP-9", facility="FAC-A")
        admit(patient, at=NOW - timedelta(days=2))
        db.session.commit()
        pid = patient.id
    client = logged_in("clinician.a")
    page = get(client, f"/patients/{pid}")
    resp = submit(client, page, {"programme": "art", "drug": "TLD", "dose": "1", "unit": "tablet",
                                 "route": "oral", "times": "09:00", "every_days": "1",
                                 "administration": "nurse_administered"},
                  action=f"/mar/patients/{pid}/orders")
    assert resp.status == 302
    page = get(client, f"/patients/{pid}")
    assert "TLD 1 tablet oral" in page.by_id("medication").text
    resp = submit(client, page, {"programme": "art", "note": "Adherence discussed"},
                  action=f"/mar/patients/{pid}/reviews")
    assert resp.status == 302
    page = get(client, f"/patients/{pid}")
    assert "Review recorded." in page.flashes()


def test_the_nurse_sees_no_prescribing_form(app, world, logged_in):
    pid = on_methadone(app, "PP-1")
    page = get(logged_in("nurse.a"), f"/patients/{pid}")
    assert "Prescribe" not in page.by_id("medication").text


def count_queries(app, client, path):
    with app.app_context():
        engine = db.engine
    seen = []

    def on_execute(*args):
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        resp = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert resp.status_code == 200
    return seen


def test_query_count_does_not_grow_with_the_ward(app, world, logged_in):
    client = logged_in("nurse.a")
    for i in range(2):
        on_methadone(app, f"Q-{i}")
    client.get("/mar/pill-pass?date=2026-03-10")        # generates the day's doses
    few = count_queries(app, client, "/mar/pill-pass?date=2026-03-10")
    for i in range(2, 10):
        on_methadone(app, f"Q-{i}")
    client.get("/mar/pill-pass?date=2026-03-10")
    many = count_queries(app, client, "/mar/pill-pass?date=2026-03-10")
    import re
    from collections import Counter

    def shapes(statements):
        return Counter(re.sub(r"\((\?|%\(\w+\)s)(, (\?|%\(\w+\)s))*\)", "(...)", s)[:160]
                       for s in statements)
    grown = shapes(many) - shapes(few)
    assert len(many) == len(few), grown


def test_a_ward_that_needs_every_guard_statement_stays_within_the_bound(app, world, logged_in):
    """Four women whose streaks the guard decides in each of its windows, each dosed
    every day until her last given day: yesterday (the day before decides), three
    days ago (the last few days), on a three-day schedule last given six days ago
    (the long window), and one who lapsed after a review (the reviews, and her last
    given instant). The page runs every statement it may run, and no more than
    MAX_STATEMENTS."""
    from prisoncare.models import Patient
    from prisoncare.services import administration, reviews
    from prisoncare.services.doses import generate_doses
    from prisoncare.services.pill_pass import MAX_STATEMENTS
    last_given = {"G-DAY": 9, "G-FEW": 7, "G-SPARSE": 4, "G-REVIEW": 5}
    with app.app_context():
        for number in last_given:
            patient = make_patient(number, facility="FAC-A")
            admit(patient, ward="A", at=NOW - timedelta(days=30))
            every = 3 if number == "G-SPARSE" else 1
            orders.create_order(staff("clinician.a"), patient, ost(
                start_at=NOW - timedelta(days=12), schedule={"times": ["08:00"],
                                                             "every_days": every}), now=NOW)
        generate_doses(db.session, NOW - timedelta(days=12), NOW + timedelta(days=1), NOW)
        for number, last in last_given.items():
            patient = db.session.scalar(select(Patient).where(Patient.prison_number == number))
            for dose in patient_doses(patient.id):
                if dose.local_date <= date(2026, 3, last):
                    administration.record_administration(staff("nurse.a"), dose, {
                        "outcome": "given", "witnessed_by": "nurse.a"}, now=dose.due_at)
            if number == "G-REVIEW":
                reviews.record_review(staff("clinician.a"), patient,
                                      {"programme": "ost", "note": "Seen"},
                                      now=NOW - timedelta(days=4))
        db.session.commit()
        make_user("nurse.national", ["nurse"], all_facilities=True)
        db.session.commit()
    path = "/mar/pill-pass?date=2026-03-10&facility=FAC-A"
    counts = {}
    for nurse in ("nurse.a", "nurse.national"):
        client = logged_in(nurse)
        page = get(client, path)
        blocked = {n for n in last_given if "Review required" in row(page, n).text}
        assert blocked == {"G-REVIEW"}, (nurse, blocked)
        counts[nurse] = len(count_queries(app, client, path))
    # Staff of all facilities load the wards of the one shown on their own; for the
    # others the facilities' statement brings their wards.
    assert counts == {"nurse.a": MAX_STATEMENTS - 1, "nurse.national": MAX_STATEMENTS}


def patient_doses(patient_id):
    from prisoncare.models.medication import ScheduledDose
    return db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.patient_id == patient_id).order_by(ScheduledDose.due_at)).all()


def test_a_day_the_scheduler_has_not_made_says_so_and_can_be_made(app, world, logged_in):
    on_methadone(app, "PP-1")                 # her doses exist up to the end of today only
    client = logged_in("nurse.a")
    page = get(client, "/mar/pill-pass?date=2026-03-11")
    banner = page.by_id("scheduler-gap")
    assert banner is not None and "the scheduler has not made them" in banner.text
    assert page.find("table", id="pill-pass") is None
    gap_page = page
    resp = submit(client, page, {}, action="/mar/pill-pass/generate")
    assert resp.status == 302
    assert location_path(resp.resp) == "/mar/pill-pass?date=2026-03-11"
    page = get(client, "/mar/pill-pass?date=2026-03-11")
    assert any("1 doses made for 2026-03-11" in f for f in page.flashes())
    assert page.by_id("scheduler-gap") is None
    assert "status-due" in row(page, "PP-1").get("class")
    with app.app_context():
        from prisoncare.models import AuditEntry
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "mar.generate_day")) == 1
    too_far = submit(client, gap_page, {"date": "2026-03-20"}, action="/mar/pill-pass/generate")
    assert too_far.status == 422


def test_a_ward_without_orders_shows_no_banner(app, world, logged_in):
    page = get(logged_in("nurse.a"), "/mar/pill-pass?date=2026-03-11")
    assert page.by_id("scheduler-gap") is None
    assert "No doses due on this ward on 2026-03-11." in page.text


def test_who_cannot_record_does_not_see_the_pill_pass(app, world, logged_in):
    """Only nurses and clinicians read the MAR since release officers lost it (issue 7),
    so nobody sees the scheduler-gap banner without being able to act on it."""
    on_methadone(app, "PP-1")
    for user in ("release_officer.a", "auditor.a", "custody.a"):
        assert get(logged_in(user), "/mar/pill-pass?date=2026-03-11").status == 403

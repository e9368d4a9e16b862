"""A custody officer's day in a real browser, and what a clinician of another
facility sees of it (nothing). Times are facility time (Europe/Kyiv, UTC+2 in
March); the clock is frozen at NOW = 12:00 there."""
import re
from datetime import timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.services import custody
from tests.conftest import NOW
from tests.factories import PASSWORD, SYSTEM, admit, make_patient

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture skips these tests (or fails them under CI)
    expect = None

pytestmark = pytest.mark.browser

PRISON_NUMBER = "A-777"


def log_in(page, username):
    """Through the login page, by keyboard: type, Tab, type, Enter."""
    page.goto("/login")
    username_field = page.get_by_label("Username")
    expect(username_field).to_be_focused()  # autofocus: a shared terminal, no mouse needed
    username_field.type(username)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.locator("header nav")).to_be_visible()


def record(page, event, when, **fields):
    """Fill the custody event form and submit it."""
    form = page.locator("form", has=page.get_by_role("button", name="Record event"))
    form.get_by_label(re.compile(r"^Event\b")).select_option(event)
    form.get_by_label("When (facility time)").fill(when)
    if "facility" in fields:
        form.get_by_label("Facility (admission, arrival)").select_option(fields["facility"])
    if "ward" in fields:
        form.get_by_label("Ward code").fill(fields["ward"])
    if "legal_status" in fields:
        form.get_by_label("Legal status").select_option(fields["legal_status"])
    form.get_by_role("button", name="Record event").click()
    expect(page.locator(".flash-ok")).to_have_text(f"Recorded: {event.replace('_', ' ')}.")


def test_custody_officer_admits_sends_to_court_and_back(page, live_server):
    log_in(page, "custody.a")
    expect(page.get_by_role("heading", level=1)).to_have_text("Test facility FAC-A")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Register").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Register a patient")
    page.get_by_label("Prison number").fill(PRISON_NUMBER)
    page.get_by_label("Given name").fill("Olena")
    page.get_by_label("Family name").fill("Kovalenko")
    page.get_by_label("Date of birth").fill("1991-05-14")
    page.get_by_label(re.compile(r"^Sex\b")).select_option("female")
    page.get_by_role("button", name="Register").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Kovalenko, Olena")
    expect(page.locator("#custody-status")).to_have_text("never admitted")
    patient_url = page.url

    # admitted at 09:00 facility time, to court at 10:00, back at 11:30 (now is 12:00)
    record(page, "admission", "2026-03-10T09:00", facility="FAC-A", ward="A",
           legal_status="pretrial")
    expect(page.locator("#custody-status")).to_have_text("in custody")
    record(page, "court_out", "2026-03-10T10:00")
    expect(page.locator("#custody-status")).to_have_text("out at court")
    record(page, "court_return", "2026-03-10T11:30")

    assert page.url.startswith(patient_url)
    timeline = page.locator("#timeline li.event")
    expect(timeline).to_have_count(3)
    expect(timeline.locator("strong")).to_have_text(["court return", "court out", "admission"])
    expect(timeline.locator("time")).to_have_text(
        ["2026-03-10 11:30", "2026-03-10 10:00", "2026-03-10 09:00"])
    expect(timeline.first).to_contain_text("recorded by custody.a")
    expect(timeline.last).to_contain_text("at FAC-A · A")
    expect(page.locator("#custody-status")).to_have_text("in custody")
    # and the machines got UTC
    assert timeline.last.locator("time").get_attribute("datetime").startswith("2026-03-10T07:00")

    # the patient list finds her by her number (Enter submits the search)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    page.get_by_label("Prison number or name").fill(PRISON_NUMBER)
    page.keyboard.press("Enter")
    page.wait_for_url(patient_url)


def test_a_clinician_of_another_facility_sees_nothing_of_her(live_server, new_page):
    with live_server.app.app_context():
        patient = make_patient(PRISON_NUMBER, facility="FAC-A", given="Olena", family="Kovalenko")
        admit(patient, ward="A", at=NOW - timedelta(hours=3))
        for etype, hours in (("court_out", 2), ("court_return", 1)):
            custody.record_event(SYSTEM, patient, {"type": etype,
                                                   "occurred_at": NOW - timedelta(hours=hours)},
                                 now=NOW)
        db.session.commit()
        patient_url = f"/patients/{patient.id}"

    # a clinician of her own facility finds her (so the empty result below means something)
    own = new_page()
    log_in(own, "clinician.a")
    own.goto(f"/patients/?q={PRISON_NUMBER}")
    own.wait_for_url(re.compile(re.escape(patient_url) + "$"))
    expect(own.locator("#timeline li.event")).to_have_count(3)

    other = new_page()
    log_in(other, "clinician.b")
    expect(other.get_by_role("heading", level=1)).to_have_text("Test facility FAC-B")
    other.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    search = other.get_by_label("Prison number or name")
    search.fill(PRISON_NUMBER)
    other.get_by_label("All my facilities").check()
    search.press("Enter")
    other.wait_for_url(re.compile(r"/patients/\?q="))
    expect(other.locator("main")).to_contain_text("0 patients")
    expect(other.locator("main table")).to_have_count(0)

    response = other.goto(patient_url)
    assert response.status == 404
    expect(other.get_by_role("heading", level=1)).to_have_text("404 · Not found")
    expect(other.locator("main")).not_to_contain_text("Kovalenko")
    expect(other.locator("main")).not_to_contain_text(PRISON_NUMBER)
    expect(other.get_by_role("link", name="Back to your worklist")).to_be_visible()

"""A morning pill pass in a real browser (issue 4, item 5).

FAC-A runs on Europe/Kyiv (UTC+2 in March); the clock is frozen at 12:00 there on
10 March, so the 08:00 round is the one just done. On ward A: Olena (PP-1) is due
her witnessed methadone; Iryna (PP-2) refused on the 7th and 8th and was not seen
on the 9th, three days without a given dose, so her methadone is blocked until a
clinician reviews her. Two people who must not be on the list: Daria on ward B
(another ward) and Olena's ART at 20:00 (another round).

The same pass is run with JavaScript on (recorded through the JSON API, no page
reload) and off (one form around the table, the row's Record button posts it, redirect back
to the row).
"""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from prisoncare.extensions import db
from prisoncare.models.medication import DoseAdministration, ScheduledDose
from prisoncare.services import administration, orders
from tests.conftest import NOW
from tests.factories import PASSWORD, admit, make_patient
from tests.services.test_mar_orders import ost, staff

try:
    from playwright.sync_api import expect
except ImportError:  # the `chromium` fixture skips these tests (or fails them under CI)
    expect = None

pytestmark = pytest.mark.browser

REVIEW_MESSAGE = "A clinician review is required before this dose."


@pytest.fixture
def ward_a(live_server):
    """The patients of the module doc; returns {prison number: today's 08:00 dose id}."""
    with live_server.app.app_context():
        clinician, nurse = staff("clinician.a"), staff("nurse.a")

        def patient(number, given, family, ward="A"):
            p = make_patient(number, facility="FAC-A", given=given, family=family)
            admit(p, ward=ward, at=NOW - timedelta(days=20))
            return p

        olena = patient("PP-1", "Olena", "Kovalenko")
        orders.create_order(clinician, olena, ost(start_at=NOW - timedelta(days=1)), now=NOW)
        orders.create_order(clinician, olena, ost(
            programme="art", drug="TLD", dose=1, unit="tablet", administration="nurse_administered",
            schedule={"times": ["20:00"], "every_days": 1}), now=NOW)

        iryna = patient("PP-2", "Iryna", "Bondar")
        orders.create_order(clinician, iryna, ost(start_at=NOW - timedelta(days=4)), now=NOW)
        past = db.session.scalars(select(ScheduledDose).where(
            ScheduledDose.patient_id == iryna.id).order_by(ScheduledDose.due_at)).all()
        assert [d.local_date.day for d in past] == [7, 8, 9, 10]
        for dose in past[:2]:  # refused on the 7th and 8th (late entries); the 9th: nothing
            administration.record_administration(
                nurse, dose, {"outcome": "refused", "reason": "Declined at the hatch",
                              "administered_at": dose.due_at}, now=NOW)

        daria = patient("PP-3", "Daria", "Melnyk", ward="B")
        orders.create_order(clinician, daria, ost(start_at=NOW - timedelta(days=1)), now=NOW)
        db.session.commit()

        today = db.session.execute(
            select(ScheduledDose.patient_id, ScheduledDose.id)
            .where(ScheduledDose.local_date == NOW.date(), ScheduledDose.due_at == NOW.replace(hour=6))
        ).all()
        ids = dict(today)
        return {"PP-1": ids[olena.id], "PP-2": ids[iryna.id], "PP-3": ids[daria.id]}


def live_records(app, dose_id):
    with app.app_context():
        rows = db.session.scalars(select(DoseAdministration).where(
            DoseAdministration.dose_id == dose_id, DoseAdministration.voided_at.is_(None))).all()
        out = [(r.outcome, r.recorded_by.username, r.witnessed_by and r.witnessed_by.username)
               for r in rows]
        db.session.remove()
        return out


def log_in(page, username):
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name=re.compile("log in", re.I)).click()
    page.wait_for_url(re.compile(r"/$"))


def open_round(page, ward="A", round_code="08:00"):
    """Ward A in the switcher, Pill pass in the menu, then the round: by links and
    forms only, so it works with JavaScript off too."""
    page.get_by_label("Ward").select_option(label=f"{ward} · Ward {ward}")
    page.get_by_role("button", name="Switch").click()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Pill pass").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pill pass · FAC-A · Ward A · 2026-03-10")
    page.get_by_role("navigation", name="Day and round").get_by_role(
        "link", name=round_code, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Pill pass · FAC-A · Ward A · 2026-03-10 · {round_code}")


def rows(page):
    return page.locator("#pill-pass tr.dose-row")


def row(page, number):
    return page.locator(f'#pill-pass tr[data-prison-number="{number}"]')


def test_a_pill_pass_with_javascript(page, live_server, ward_a):
    log_in(page, "nurse.a")
    open_round(page)

    # only ward A, only the 08:00 round: Olena and Iryna (by family name), not Daria, no ART
    expect(rows(page)).to_have_count(2)
    expect(rows(page).locator("td:nth-child(2)")).to_have_text(["PP-2", "PP-1"])
    olena, iryna = row(page, "PP-1"), row(page, "PP-2")
    expect(olena).to_have_class(re.compile(r"\bstatus-due\b"))
    expect(olena.locator(".status-text")).to_have_text("due")

    # the block is on screen before the nurse does anything
    expect(iryna.locator('[data-block="review_required"]')).to_contain_text("Review required")
    expect(iryna.locator('option[value="given"]')).to_be_disabled()
    expect(iryna.get_by_label("Outcome")).to_have_value("held")
    expect(olena.locator("[data-block]")).to_have_count(0)

    # nothing below may reload the page: a marker on window survives only without one
    page.evaluate("window.pillPassMarker = 'still here'")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))

    # a keyboard-wedge scanner types the number and Enter into the focused scan box
    scan = page.get_by_label("Prison number (type or scan)")
    expect(scan).to_be_focused()
    page.keyboard.type("pp-1")
    page.keyboard.press("Enter")
    expect(page.locator("#scan-msg")).to_have_text("Found pp-1 (1 dose).")
    expect(olena).to_have_class(re.compile(r"\bfound\b"))
    expect(iryna).not_to_have_class(re.compile(r"\bfound\b"))
    expect(olena.get_by_label("Outcome")).to_be_focused()   # ready for the one action
    expect(scan).to_have_value("")

    # a number not on this list says so, and keeps the page
    scan.fill("PP-3")
    scan.press("Enter")
    expect(page.locator("#scan-msg")).to_have_text("No dose for PP-3 on this list.")

    # the witnessed methadone dose, given
    olena.get_by_label("Outcome").select_option("given")
    olena.get_by_label("Witness").fill("clinician.a")
    olena.get_by_role("button", name="Record").click()
    expect(olena).to_have_class(re.compile(r"\bstatus-given\b"))
    expect(olena.locator(".status-text")).to_have_text("given")
    expect(olena.locator(".recorded")).to_have_text("given by nurse.a, witness clinician.a")
    expect(olena.get_by_role("button", name="Record")).to_have_count(0)
    expect(olena.get_by_role("status")).to_have_text("Recorded.")
    expect(scan).to_be_focused()                             # back to the scan box for the next
    assert live_records(live_server.app, ward_a["PP-1"]) == [("given", "nurse.a", "clinician.a")]

    # Iryna: even if "given" is forced through (a stale or tampered page), the server refuses
    iryna.locator('option[value="given"]').evaluate("o => { o.disabled = false; }")
    iryna.get_by_label("Outcome").select_option("given")
    iryna.get_by_label("Witness").fill("clinician.a")
    iryna.get_by_role("button", name="Record").click()
    expect(iryna.locator(".row-msg")).to_contain_text(REVIEW_MESSAGE)
    expect(iryna.locator(".row-msg")).to_contain_text("clinician must review her")
    expect(iryna).to_have_class(re.compile(r"\bstatus-due\b"))
    expect(iryna.get_by_role("button", name="Record")).to_be_enabled()  # she can be held instead
    assert live_records(live_server.app, ward_a["PP-2"]) == []

    assert page.evaluate("window.pillPassMarker") == "still here"
    assert navigations == []

    # and the server's page agrees after a reload
    page.reload()
    expect(row(page, "PP-1")).to_have_class(re.compile(r"\bstatus-given\b"))
    expect(row(page, "PP-1").locator(".recorded")).to_contain_text(
        "given 12:00 by nurse.a, witness clinician.a")
    expect(row(page, "PP-2").locator('[data-block="review_required"]')).to_be_visible()


@pytest.fixture
def no_js_page(chromium, live_server):
    """A page in a context with JavaScript disabled; like `new_page`, nothing may be
    asked of another host."""
    context = chromium.new_context(base_url=live_server.url, locale="en-GB",
                                   timezone_id="Europe/Kyiv", java_script_enabled=False)
    context.set_default_timeout(5000)
    offsite = []

    def only_local(route):
        if route.request.url.startswith(live_server.url + "/"):
            route.continue_()
        else:
            offsite.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    yield context.new_page()
    context.close()
    assert offsite == [], f"pages asked for something off the site: {offsite}"


def test_the_same_pill_pass_without_javascript(no_js_page, live_server, ward_a):
    page = no_js_page
    log_in(page, "nurse.a")
    open_round(page)
    expect(rows(page)).to_have_count(2)
    round_url = re.escape(live_server.url + "/mar/pill-pass?date=2026-03-10&round=08:00")

    # the scan box submits a GET; the server answers with the row's anchor
    scan = page.get_by_label("Prison number (type or scan)")
    scan.fill("PP-1")
    scan.press("Enter")
    page.wait_for_url(re.compile(round_url + rf"#dose-{ward_a['PP-1']}$"))

    olena, iryna = row(page, "PP-1"), row(page, "PP-2")
    expect(iryna.locator('[data-block="review_required"]')).to_be_visible()

    # Enter in a row's field posts nothing (the one form's default button is disabled),
    # so it can never record the first row's dose by accident
    at_row = page.url
    olena.get_by_label("Reason").fill("typed, then Enter")
    olena.get_by_label("Reason").press("Enter")
    page.wait_for_timeout(300)
    assert page.url == at_row
    assert live_records(live_server.app, ward_a["PP-1"]) == []
    assert live_records(live_server.app, ward_a["PP-2"]) == []
    olena.get_by_label("Reason").fill("")

    # a plain POST, then a redirect back to the same round at her row
    olena.get_by_label("Outcome").select_option("given")
    olena.get_by_label("Witness").fill("clinician.a")
    with page.expect_navigation():
        olena.get_by_role("button", name="Record").click()
    assert re.fullmatch(round_url + rf"#dose-{ward_a['PP-1']}", page.url), page.url
    expect(page.locator(".flash-ok")).to_have_text("PP-1 Olena Kovalenko: given recorded.")
    expect(olena).to_have_class(re.compile(r"\bstatus-given\b"))
    expect(olena.locator(".recorded")).to_contain_text("given 12:00 by nurse.a, witness clinician.a")
    expect(olena.get_by_role("button", name="Record")).to_have_count(0)
    assert live_records(live_server.app, ward_a["PP-1"]) == [("given", "nurse.a", "clinician.a")]

    # the blocked patient: a forced "given" comes back as the review message, nothing written
    iryna.locator('option[value="given"]').evaluate("o => { o.disabled = false; }")
    iryna.get_by_label("Outcome").select_option("given")
    iryna.get_by_label("Witness").fill("clinician.a")
    with page.expect_navigation():
        iryna.get_by_role("button", name="Record").click()
    assert page.url.endswith(f"#dose-{ward_a['PP-2']}"), page.url
    expect(page.locator(".flash-error").first).to_have_text(f"PP-2: {REVIEW_MESSAGE}")
    expect(iryna).to_have_class(re.compile(r"\bstatus-due\b"))
    assert live_records(live_server.app, ward_a["PP-2"]) == []

    # holding her instead (the one action the block leaves) is recorded, with its reason
    expect(iryna.get_by_label("Outcome")).to_have_value("held")
    iryna.get_by_label("Reason").fill("Awaiting prescriber review")
    with page.expect_navigation():
        iryna.get_by_role("button", name="Record").click()
    expect(iryna).to_have_class(re.compile(r"\bstatus-held\b"))
    expect(iryna.locator(".recorded")).to_contain_text("held 12:00 by nurse.a")
    assert [r[0] for r in live_records(live_server.app, ward_a["PP-2"])] == ["held"]

"""A nurse fills part of the intake in a real browser, by keyboard where it
matters, and comes back to it: saved answers, the revealed Rule 7 follow-ups."""
import re

import pytest

from prisoncare.extensions import db
from prisoncare.models.intake import ChecklistInstance
from tests.factories import PASSWORD, admit, make_patient

pytestmark = pytest.mark.browser


def expect():
    from playwright.sync_api import expect as pw_expect
    return pw_expect


def test_filling_the_intake(page, live_server):
    with live_server.app.app_context():
        patient = make_patient("B-1", facility="FAC-A", given="Olena", family="Kovalenko")
        admit(patient)
        db.session.commit()
        pid = patient.id
        cid = db.session.scalar(db.select(ChecklistInstance.id).filter_by(patient_id=pid))
    page.goto("/login")
    page.get_by_label("Username").type("nurse.a")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))

    page.goto(f"/patients/{pid}")
    page.locator("#checklists").get_by_role("link", name="Admission health screening").click()
    expect()(page.get_by_role("heading", level=1)).to_have_text("Admission health screening")

    # keyboard: focus the first option of IN-01, arrow to "no", back to "yes"
    page.locator("#f-IN-01-yes").focus()
    page.keyboard.press("ArrowRight")
    expect()(page.locator("#f-IN-01-no")).to_be_checked()
    page.keyboard.press("ArrowLeft")
    expect()(page.locator("#f-IN-01-yes")).to_be_checked()
    page.locator("#item-IN-19").get_by_label("disclosed", exact=True).check()
    page.locator("#s-violence").get_by_role("button", name="Save this section").click()

    expect()(page.locator(".flash-ok")).to_have_text("Saved 2 answers.")
    assert page.url.endswith(f"?checklist={cid}#s-violence")
    expect()(page.locator("#f-IN-01-yes")).to_be_checked()
    expect()(page.locator("#item-IN-19a")).to_contain_text("right to seek judicial recourse")
    expect()(page.locator("#progress")).to_contain_text("2 of")

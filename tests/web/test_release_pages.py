"""Release pages as a person uses them."""
import pytest

from tests.services.test_release_support import make_providers, make_woman
from tests.web.helpers import get, submit


@pytest.fixture
def woman_id(app, world):
    from prisoncare.extensions import db
    with app.app_context():
        make_providers()
        patient = make_woman()
        db.session.commit()
        return patient.id


def test_plan_page_lists_missing_items_and_saves_the_form(logged_in, woman_id):
    client = logged_in("release_officer.a")
    page = get(client, f"/patients/{woman_id}/release-plan")
    assert page.status == 200 and page.in_layout()
    missing = page.by_id("missing").text
    assert "Naloxone kit issued" in missing and "Community OST prescriber" in missing
    page = submit(client, page, {"r-ost-provider": "OST-KYIV", "r-ost-appointment_at": "2026-04-10T09:00",
                                 "k-naloxone_issued": "on"}, action=f"/patients/{woman_id}/release-plan",
                  follow_redirects=True)
    assert page.status == 200 and "Release plan saved." in page.flashes()
    missing = page.by_id("missing").text
    assert "Naloxone kit issued" not in missing and "Community OST prescriber" not in missing
    assert page.by_id("consent-OST-KYIV") is not None


def test_finalize_refused_shows_the_missing_items(logged_in, woman_id):
    client = logged_in("clinician.a")
    page = get(client, f"/patients/{woman_id}/release-plan")
    page = submit(client, page, {}, action=f"/patients/{woman_id}/release-plan/finalize", follow_redirects=True)
    assert any("not complete" in f and "Naloxone kit issued" in f for f in page.flashes())


def test_nurse_sees_the_plan_read_only(logged_in, woman_id):
    page = get(logged_in("nurse.a"), f"/patients/{woman_id}/release-plan")
    assert page.status == 200
    assert page.find("fieldset").has("disabled")


def test_board_print_and_panel(logged_in, woman_id):
    client = logged_in("release_officer.a")
    board = get(client, "/release-board")
    row = board.by_id(f"board-{woman_id}")
    assert row is not None and "draft" in row.text and " of " in row.text
    printed = get(client, f"/patients/{woman_id}/release-plan/print")
    assert printed.status == 200 and "Missing before finalizing" in printed.text
    patient_page = get(client, f"/patients/{woman_id}")
    assert patient_page.by_id("release") is not None


def test_admin_adds_a_provider(logged_in, world):
    client = logged_in("admin.a")
    page = get(client, "/admin/providers")
    page = submit(client, page, {"code": "PEER-1", "name": "Peer Network", "services": "peer_support",
                                 "women_only": "on"}, action="/admin/providers", follow_redirects=True)
    assert page.status == 200 and page.by_id("provider-PEER-1") is not None
    page = submit(client, page, {"code": "", "name": ""}, action="/admin/providers")
    assert page.status == 422

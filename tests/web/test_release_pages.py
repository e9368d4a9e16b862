"""Release pages as a person uses them."""
from datetime import timedelta

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


def test_follow_up_worklist_records_a_check(app, logged_in, woman_id):
    from prisoncare import clock
    from prisoncare.extensions import db
    from prisoncare.models import Patient
    from prisoncare.services import custody, release
    from tests.conftest import NOW
    from tests.factories import SYSTEM
    from tests.services.test_release_support import complete_plan_data
    with app.app_context():
        patient = db.session.get(Patient, woman_id)
        release.update_plan(SYSTEM, patient, complete_plan_data(0), now=NOW)
        custody.record_event(SYSTEM, patient, dict(type="release", occurred_at=NOW,
                                                   release_from="facility"), now=NOW)
        db.session.commit()
        plan_id = release.current_plan(patient).id
    clock.set_now(NOW + timedelta(days=6))
    client = logged_in("release_officer.a")
    page = get(client, "/release-follow-ups")
    assert page.status == 200 and page.in_layout()
    row = page.by_id(f"fu-{plan_id}-ost-3")
    assert row is not None and "overdue" in row.text and "Kyiv OST Centre" in row.text
    assert page.by_id(f"fu-{plan_id}-ost-7") is None  # not yet due
    page = submit(client, page, {"plan": str(plan_id), "provider": "OST-KYIV", "need": "ost", "day": "3",
                                 "attended": "no", "note": "phoned the centre"},
                  action="/release-follow-ups", follow_redirects=True)
    assert "Follow-up recorded." in page.flashes()
    assert page.by_id(f"fu-{plan_id}-ost-3") is None and page.by_id(f"fu-{plan_id}-art-3") is not None
    recorded = get(client, "/release-follow-ups?status=recorded").by_id(f"fu-{plan_id}-ost-3")
    assert "not attended" in recorded.text
    nurse = logged_in("nurse.a")
    listing = get(nurse, "/release-follow-ups")
    assert listing.status == 200 and listing.find("form", action="/release-follow-ups") is None


def test_plan_page_shows_the_violence_support_status(logged_in, woman_id):
    client = logged_in("release_officer.a")
    page = get(client, f"/patients/{woman_id}/release-plan")
    assert "Violence support: not discussed" in page.by_id("violence-support").text
    page = submit(client, page, {"s-violence_support-outcome": "referred"},
                  action=f"/patients/{woman_id}/release-plan", follow_redirects=True)
    assert "referral accepted" in page.by_id("violence-support").text


@pytest.fixture
def on_sertraline(app, woman_id):
    """Her antidepressant, given this morning: not a release-plan programme."""
    from sqlalchemy import select

    from prisoncare.extensions import db
    from prisoncare.models import Patient
    from prisoncare.models.medication import ScheduledDose
    from prisoncare.services import administration, orders
    from tests.conftest import NOW
    from tests.factories import SYSTEM
    from tests.services.test_release_support import nurse
    with app.app_context():
        order = orders.create_order(SYSTEM, db.session.get(Patient, woman_id), {
            "programme": "other", "drug": "sertraline", "dose": 50, "unit": "mg", "route": "oral",
            "schedule": {"times": ["08:00"], "every_days": 1}, "start_at": NOW - timedelta(days=2),
            "administration": "nurse_administered"}, now=NOW)
        db.session.flush()
        dose = db.session.scalars(select(ScheduledDose).where(
            ScheduledDose.order_id == order.id, ScheduledDose.due_at <= NOW)
            .order_by(ScheduledDose.due_at.desc())).first()
        administration.record_administration(nurse(), dose, {
            "outcome": "given", "administered_at": NOW - timedelta(hours=1)}, now=NOW)
        db.session.commit()
    return woman_id


def test_a_release_officer_sees_the_plan_programmes_and_no_medication_record(logged_in, as_user, on_sertraline):
    client = logged_in("release_officer.a")
    page = get(client, f"/patients/{on_sertraline}")
    assert page.status == 200 and page.by_id("release") is not None
    assert page.by_id("medication") is None and "sertraline" not in page.text
    plan = get(client, f"/patients/{on_sertraline}/release-plan")
    assert "methadone" in plan.by_id("last-doses").text and "sertraline" not in plan.text
    api = as_user("release_officer.a")
    for path in ("orders", "doses", "community-medications", "transfer-handovers"):
        assert api.get(f"/api/v1/patients/{on_sertraline}/{path}").status_code == 403, path
    body = api.get(f"/api/v1/patients/{on_sertraline}/release-plan").get_json()
    assert sorted(d["programme"] for d in body["last_doses"]) == ["art", "ost"]
    # The nurse still sees it all on the patient page.
    assert "sertraline" in get(logged_in("nurse.a"), f"/patients/{on_sertraline}").text


def test_violence_support_shows_its_status_but_not_the_need_to_release_officers(as_user, woman_id):
    plan = "/api/v1/patients/{}/release-plan".format(woman_id)
    as_user("clinician.a").put(plan, json={"circumstances": {"violence_support_needed": True}})
    officer = as_user("release_officer.a").get(plan).get_json()
    assert "violence_support_needed" not in officer["circumstances"]
    assert officer["violence_support"] == {"status": "not_discussed"}
    clinician = as_user("clinician.a").get(plan).get_json()
    assert clinician["circumstances"]["violence_support_needed"] is True
    assert clinician["violence_support"]["needed"] is True

"""The checklist pages as a nurse, a custody officer and a clinician of another
facility see them: the intake form (grouped sections, labelled answers, overdue
items, errors beside the item, saving part of it), the facility list, and the
patient-page panel with the continuation banner."""
from datetime import timedelta

import pytest

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models.intake import ChecklistAnswer, ChecklistInstance
from tests.conftest import NOW
from tests.factories import admit, make_patient
from tests.web.helpers import get, submit


@pytest.fixture
def woman(app, world):
    """A woman admitted to FAC-A 20 hours ago: her id and her intake's id."""
    with app.app_context():
        patient = make_patient("W-1", facility="FAC-A", given="Olena", family="Kovalenko")
        admit(patient, at=NOW - timedelta(hours=20))
        db.session.commit()
        instance = db.session.scalar(db.select(ChecklistInstance).filter_by(patient_id=patient.id))
        return patient.id, instance.id


def form_path(pid):
    return f"/patients/{pid}/checklists"


def test_the_intake_form_groups_bangkok_items_by_section_with_labels(logged_in, woman):
    pid, _ = woman
    page = get(logged_in("nurse.a"), form_path(pid))
    assert page.status == 200 and page.in_layout()
    assert page.h1 == "Admission health screening"
    sections = [h.text for h in page.main.find_all("h2")]
    assert sections[:3] == ["Rights, contact and information", "Children and dependants",
                            "Consent, confidentiality and examination"]
    item = page.by_id("item-IN-19")
    assert "Asked in private about sexual abuse" in item.find("legend").text
    assert "BR6(e)" in item.find("legend").text
    assert page.label_for("f-IN-19-declined") == "declined"   # Rule 8: she may decline
    assert page.label_for("f-IN-01-yes") == "yes"
    assert page.by_id("f-IN-01-declined") is None             # not a sensitive question
    assert page.by_id("item-IN-27") is None                   # the men's item
    assert page.by_id("item-IN-19a") is None                  # follow-up not yet shown
    # one save button per section and one for the whole form
    buttons = page.main.find("form", class_="checklist-form").find_all("button")
    assert [b.get("value") for b in buttons][-1] == "all" and len(buttons) == len(sections) - 1 + 1


def test_saving_part_of_the_form_keeps_it_and_reveals_follow_ups(app, logged_in, woman):
    pid, cid = woman
    client = logged_in("nurse.a")
    page = get(client, form_path(pid))
    resp = submit(client, page, {"a-IN-01": "yes", "a-IN-19": "disclosed", "n-IN-19": "in private",
                                 "save": "violence"})
    assert resp.status == 302
    assert resp.resp.headers["Location"].endswith(f"?checklist={cid}#s-violence")
    page = get(client, form_path(pid) + f"?checklist={cid}")
    assert "Saved 2 answers." in page.flashes()
    assert page.by_id("f-IN-01-yes").has("checked")
    assert "Answered by nurse.a" in page.by_id("item-IN-19").text
    assert "in private" in page.by_id("item-IN-19").text
    assert "Told of her right to seek judicial recourse" in page.by_id("item-IN-19a").text
    assert page.by_id("progress").text.startswith("2 of ")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistAnswer)) == 2


def test_a_wrong_answer_is_shown_beside_its_item_and_nothing_is_saved(app, logged_in, woman):
    pid, _ = woman
    client = logged_in("nurse.a")
    page = get(client, form_path(pid))
    page = submit(client, page, {"a-IN-01": "yes", "a-IN-04": "",
                                 "c-IN-04-0-name": "Sofia", "c-IN-04-0-age_years": "seven",
                                 "c-IN-04-0-with_her": "no"})
    assert page.status == 422
    error = page.by_id("e-IN-04").text
    assert "age_years must be a whole number" in error and "location is required" in error
    assert "Nothing was saved" in page.by_id("errors").text
    assert page.by_id("c-IN-04-0-name").get("value") == "Sofia"   # what she typed is kept
    assert page.by_id("f-IN-01-yes").has("checked")
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistAnswer)) == 0


def test_children_are_recorded_from_the_table(app, logged_in, woman):
    pid, cid = woman
    client = logged_in("nurse.a")
    page = get(client, form_path(pid))
    resp = submit(client, page, {"c-IN-04-0-name": "Sofia", "c-IN-04-0-age_years": "7",
                                 "c-IN-04-0-with_her": "no", "c-IN-04-0-location": "Lviv",
                                 "c-IN-04-0-carer": "grandmother",
                                 "c-IN-04-0-custody_status": "relative"})
    assert resp.status == 302
    with app.app_context():
        row = db.session.scalar(db.select(ChecklistAnswer).filter_by(item_id="IN-04"))
        assert row.answer == [{"name": "Sofia", "age_years": 7, "with_her": False,
                               "location": "Lviv", "carer": "grandmother",
                               "custody_status": "relative"}]
    page = get(client, form_path(pid))
    assert page.by_id("c-IN-04-0-location").get("value") == "Lviv"


def test_overdue_items_are_listed_at_the_top(logged_in, woman):
    pid, _ = woman
    clock.set_now(NOW + timedelta(hours=5))  # 25 h after admission
    page = get(logged_in("nurse.a"), form_path(pid))
    overdue = page.by_id("overdue")
    assert overdue is not None and "IN-06" in overdue.text
    assert "overdue" in page.by_id("item-IN-06").text


def test_a_mans_form_has_no_pregnancy_items(app, logged_in, world):
    with app.app_context():
        man = make_patient("M-1", facility="FAC-B", sex="male")
        admit(man, facility="FAC-B", ward="M1")
        db.session.commit()
        pid = man.id
    page = get(logged_in("nurse.b"), form_path(pid))
    assert page.status == 200
    assert page.by_id("item-IN-27") is not None
    for item in ("IN-13", "IN-13a", "IN-14", "IN-23", "IN-19"):
        assert page.by_id(f"item-{item}") is None
    assert "Reproductive" not in page.main.text


def test_custody_staff_cannot_open_the_form_and_see_only_the_status(logged_in, woman):
    pid, _ = woman
    client = logged_in("custody.a")
    assert get(client, form_path(pid)).status == 403
    page = get(client, f"/patients/{pid}")
    panel = page.by_id("checklists")
    assert "Admission health screening" in panel.text and "open" in panel.text
    assert panel.find("a", href=f"/patients/{pid}/checklists?checklist=1") is None
    assert "Asked in private" not in page.text


def test_another_facilitys_nurse_gets_404(logged_in, woman):
    pid, _ = woman
    assert get(logged_in("nurse.b"), form_path(pid)).status == 404


def test_the_patient_page_shows_continuation_pending_with_hours_left(logged_in, woman):
    pid, _ = woman
    client = logged_in("nurse.a")
    page = get(client, form_path(pid))
    resp = submit(client, page, {"programme": "ost", "drug": "methadone", "dose": "60",
                                 "unit": "mg", "last_dose_at": "2026-03-09T08:00",
                                 "source": "clinic_confirmed"},
                  action=f"/patients/{pid}/community-medications")
    assert resp.status == 302
    page = get(client, f"/patients/{pid}")
    banner = page.find("p", class_="continuation-pending")
    assert banner is not None
    assert "community OST (methadone) has no active order" in banner.text
    assert "4.0 h left to the 24-hour target" in banner.text
    assert "(2026-03-10 16:00)" in banner.text  # admitted 14:00 UTC yesterday + 24 h, Kyiv time


def test_a_community_medication_form_error_is_shown_beside_the_field(logged_in, woman):
    pid, _ = woman
    client = logged_in("nurse.a")
    page = get(client, form_path(pid))
    page = submit(client, page, {"programme": "ost", "drug": "methadone", "dose": "-5",
                                 "unit": "mg", "source": "told_me"},
                  action=f"/patients/{pid}/community-medications")
    assert page.status == 422
    assert page.field_error("dose") is not None
    assert page.field_error("source") is not None


def test_the_facility_list_shows_open_and_overdue_checklists(app, logged_in, woman):
    pid, cid = woman
    with app.app_context():
        other = make_patient("W-2", facility="FAC-A", given="Iryna", family="Shevchenko")
        admit(other, at=NOW - timedelta(hours=1))
        db.session.commit()
    clock.set_now(NOW + timedelta(hours=5))
    client = logged_in("custody.a")
    page = get(client, "/checklists")
    assert page.status == 200 and page.in_layout()
    rows = page.by_id("checklist-list").find_all("tr")[1:]
    assert [r.find("td").text.split(" ·")[0] for r in rows] == ["Kovalenko, Olena", "Shevchenko, Iryna"]
    assert "overdue" in rows[0].text and "open" in rows[1].text
    page = get(client, "/checklists?status=overdue")
    assert len(page.by_id("checklist-list").find_all("tr")) == 2  # header + one
    assert page.find("a", href=f"/patients/{pid}/checklists?checklist={cid}") is None  # custody
    nurse_page = get(logged_in("nurse.a"), "/checklists")
    assert nurse_page.find("a", href=f"/patients/{pid}/checklists?checklist={cid}") is not None

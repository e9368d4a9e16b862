"""Checklist instances on the custody timeline, answering them, and community
medication with its continuation target: services against the database, no HTTP,
the clock frozen at NOW (tests/conftest.py) and moved by hand."""
from datetime import date, timedelta

import pytest

from prisoncare import clock
from prisoncare.errors import Conflict, PermissionDenied, ValidationFailed
from prisoncare.extensions import db
from prisoncare.models import AuditEntry, StaffUser
from prisoncare.models.intake import ChecklistAnswer, ChecklistInstance
from prisoncare.rules import checklists as rules
from prisoncare.services import checklists, community_medication, continuation, custody
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient

H = timedelta(hours=1)
PREGNANCY_ITEMS = {"IN-13", "IN-13a", "IN-14", "IN-15", "IN-23"}


def user(username):
    return db.session.scalar(db.select(StaffUser).filter_by(username=username))


def event(patient, type, **data):
    return custody.record_event(SYSTEM, patient, dict(type=type, **data), now=clock.now())


def instances(patient, kind=None):
    query = db.select(ChecklistInstance).filter_by(patient_id=patient.id)
    if kind:
        query = query.filter_by(kind=kind)
    return db.session.scalars(query.order_by(ChecklistInstance.id)).all()


def state_of(instance):
    return checklists.load_states([instance])[0]


def visible_ids(instance):
    return {i.id for i in state_of(instance).visible()}


@pytest.fixture
def woman(ctx, world):
    patient = make_patient("W-1", facility="FAC-A")
    admit(patient, at=NOW - 2 * H)
    return patient


# --- opening on custody events ---------------------------------------------------

def test_admitting_a_woman_opens_the_intake_due_24_hours_after_admission(woman):
    [intake] = instances(woman)
    assert intake.kind == "intake" and intake.definition_version == 1
    assert intake.anchor_at == NOW - 2 * H and intake.due_at == NOW + 22 * H
    assert intake.subject == {"sex": "female", "age_years": 36, "facility_population": "women",
                              "legal_status": "pretrial"}
    assert intake.trigger_event.type == "admission" and intake.facility.code == "FAC-A"
    items = {i.id: i for i in state_of(intake).visible()}
    assert {"IN-01", "IN-03", "IN-07", "IN-13", "IN-19", "IN-22", "IN-26"} <= items.keys()
    assert items["IN-19"].rule_refs == ("BR6(e)", "BR7", "BR25")
    assert "IN-27" not in items  # the men's item
    assert intake.completed_at is None and intake.next_due_at == intake.due_at


def test_a_mans_intake_has_no_pregnancy_or_womens_items(ctx, world):
    man = make_patient("M-1", facility="FAC-B", sex="male")
    admit(man, facility="FAC-B", ward="M1")
    [intake] = instances(man)
    ids = visible_ids(intake)
    assert ids & PREGNANCY_ITEMS == set()
    assert {"IN-27", "IN-29", "IN-31", "IN-06"} <= ids and "IN-01" not in ids
    assert intake.subject["facility_population"] == "men"


@pytest.mark.parametrize("event_type,kind,extra", [
    ("court_scheduled", "pre_court", {}),
    ("transfer_scheduled", "pre_transfer", {"to_facility": "FAC-B"}),
    ("release_scheduled", "pre_release", {}),
])
def test_plans_open_their_checklist_due_at_the_expected_time(woman, event_type, kind, extra):
    expected = NOW + 48 * H
    event(woman, event_type, expected_at=expected, **extra)
    [instance] = instances(woman, kind)
    assert instance.anchor_at == expected and instance.due_at == expected
    assert instance.trigger_event.type == event_type


def test_a_rescheduled_court_date_moves_the_checklist_instead_of_opening_another(woman):
    event(woman, "court_scheduled", expected_at=NOW + 48 * H)
    [first] = instances(woman, "pre_court")
    state = checklists.answer_item(SYSTEM, first, "CT-01", "yes", now=NOW)
    event(woman, "court_scheduled", expected_at=NOW + 96 * H)
    [again] = instances(woman, "pre_court")
    assert again.id == first.id and again.due_at == NOW + 96 * H
    assert "CT-01" in state_of(again).answers  # answers kept
    assert state.instance is first


def test_a_court_day_that_happened_lets_the_next_plan_open_a_new_checklist(woman):
    event(woman, "court_scheduled", expected_at=NOW + H)
    clock.set_now(NOW + 2 * H)
    event(woman, "court_out", occurred_at=NOW + 2 * H)
    event(woman, "court_return", occurred_at=NOW + 2 * H)
    event(woman, "court_scheduled", expected_at=NOW + 72 * H)
    assert [i.due_at for i in instances(woman, "pre_court")] == [NOW + H, NOW + 72 * H]


def test_one_pre_transfer_checklist_per_transfer(woman):
    event(woman, "transfer_scheduled", expected_at=NOW + 5 * H, to_facility="FAC-B")
    event(woman, "transfer_out", occurred_at=NOW, to_facility="FAC-B")
    [pre] = instances(woman, "pre_transfer")
    assert pre.trigger_event.type == "transfer_scheduled"
    clock.set_now(NOW + 6 * H)
    event(woman, "transfer_in", occurred_at=NOW + 6 * H, facility="FAC-B", ward="M1")
    [reception] = instances(woman, "transfer_in")
    assert reception.facility.code == "FAC-B" and reception.due_at == NOW + 30 * H
    # TI-01 (record received) is due 4 hours after arrival: the list sorts by it
    assert reception.next_due_at == NOW + 10 * H
    # a later transfer without a plan opens its own checklist, anchored at the event
    clock.set_now(NOW + 8 * H)
    event(woman, "transfer_out", occurred_at=NOW + 8 * H, to_facility="FAC-A")
    later = instances(woman, "pre_transfer")
    assert len(later) == 2 and later[1].anchor_at == NOW + 8 * H


def test_a_started_checklist_keeps_its_version_when_a_new_one_is_published(woman, monkeypatch):
    [old] = instances(woman)
    snapshot = rules.to_snapshot(rules.load_definition("intake"))
    snapshot["version"] = 2
    snapshot["items"] = [i for i in snapshot["items"] if i["id"] != "IN-22"]
    v2 = rules.parse_definition(snapshot, "v2")
    real = rules.definitions_for_event
    monkeypatch.setattr(rules, "definitions_for_event",
                        lambda t: [v2] if t == "admission" else real(t))
    other = make_patient("W-2", facility="FAC-A")
    admit(other)
    [new] = instances(other)
    assert new.definition_version == 2 and "IN-22" not in visible_ids(new)
    assert old.definition_version == 1 and "IN-22" in visible_ids(old)


# --- answering ------------------------------------------------------------------

def test_an_answer_is_validated_and_kept_as_history(woman):
    [intake] = instances(woman)
    nurse = user("nurse.a")
    with pytest.raises(ValidationFailed) as err:
        checklists.answer_item(nurse, intake, "IN-01", 3, now=NOW)
    assert err.value.fields == {"answer": ["3 is not one of: yes, no, not_applicable."]}
    checklists.answer_item(nurse, intake, "IN-01", "no", now=NOW)
    clock.set_now(NOW + H)
    state = checklists.answer_item(nurse, intake, "IN-01", "yes", "called her sister", now=NOW + H)
    assert state.answers["IN-01"].answer == "yes"
    rows = db.session.scalars(db.select(ChecklistAnswer).filter_by(item_id="IN-01")
                              .order_by(ChecklistAnswer.id)).all()
    assert [(r.answer, r.answered_by_id) for r in rows] == [("no", nurse.id), ("yes", nurse.id)]
    checklists.answer_item(nurse, intake, "IN-01", "yes", now=NOW + H)  # same again: no new row
    assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistAnswer)) == 2


@pytest.mark.parametrize("item_id", ["IN-09", "IN-10", "IN-13", "IN-14", "IN-19", "IN-24"])
def test_declined_is_always_valid_for_reproductive_testing_and_violence_items(woman, item_id):
    [intake] = instances(woman)
    state = checklists.answer_item(user("nurse.a"), intake, item_id, "declined", now=NOW)
    assert state.answers[item_id].answer == "declined"


@pytest.mark.parametrize("item_id", ["IN-01", "IN-06", "IN-22"])
def test_declined_is_refused_for_items_that_are_not_sensitive(woman, item_id):
    [intake] = instances(woman)
    with pytest.raises(ValidationFailed) as err:
        checklists.answer_item(user("nurse.a"), intake, item_id, "declined", now=NOW)
    assert "not a sensitive question" in err.value.fields["answer"][0]


def test_an_item_that_does_not_apply_is_refused(woman):
    [intake] = instances(woman)
    for item_id in ("IN-27", "IN-19a"):  # a man's item; a follow-up not yet shown
        with pytest.raises(ValidationFailed) as err:
            checklists.answer_item(user("nurse.a"), intake, item_id, "yes", now=NOW)
        assert err.value.code == "item_not_applicable" and "item_id" in err.value.fields


def test_a_disclosure_opens_the_rule_7_follow_ups(woman):
    [intake] = instances(woman)
    nurse = user("nurse.a")
    checklists.answer_item(nurse, intake, "IN-19", "disclosed", now=NOW)
    assert {"IN-19a", "IN-19b", "IN-19c"} <= visible_ids(intake)
    state = checklists.answer_items(nurse, intake, {"IN-19a": ("yes", None),
                                                    "IN-19b": ("accepted", None)}, now=NOW)
    assert {"IN-19a", "IN-19b"} <= state.answers.keys()


def test_completion_follows_the_visible_items(woman):
    [intake] = instances(woman)
    nurse = user("nurse.a")
    state = state_of(intake)
    answers = {item.id: ("not_applicable", None) for item in state.visible()}
    answers.update({"IN-09": ("declined", None), "IN-19": ("not_disclosed", None),
                    "IN-13": ("no", None), "IN-01": ("yes", None)})
    clock.set_now(NOW + H)
    state = checklists.answer_items(nurse, intake, answers, now=NOW + H)
    assert intake.completed_at == NOW + H and intake.next_due_at is None
    # a changed answer that reveals follow-ups reopens it
    checklists.answer_item(nurse, intake, "IN-19", "disclosed", now=NOW + H)
    assert intake.completed_at is None and intake.next_due_at == intake.due_at


def test_confidential_items_need_the_confidential_permission(woman):
    [intake] = instances(woman)
    officer = user("release_officer.a")
    with pytest.raises(PermissionDenied):
        checklists.answer_item(officer, intake, "IN-19", "declined", now=NOW)


def test_what_each_role_sees(woman):
    [intake] = instances(woman)
    checklists.answer_item(user("nurse.a"), intake, "IN-19", "disclosed", now=NOW)
    state = state_of(intake)
    nurse_view = checklists.present(state, user("nurse.a"), NOW)
    ids = {i["id"]: i for i in nurse_view["items"]}
    assert ids["IN-19"]["answer"] == "disclosed" and "IN-19a" in ids
    # Release officers see the status only (the plan reads what it needs from the record).
    officer_view = checklists.present(state, user("release_officer.a"), NOW)
    assert "items" not in officer_view
    custody_view = checklists.present(state, user("custody.a"), NOW)
    assert "items" not in custody_view
    # the counts leave out confidential items, so a disclosure does not change them
    assert custody_view["status"]["items_total"] == officer_view["status"]["items_total"]
    assert custody_view["status"]["items_total"] < nurse_view["status"]["items_total"]


def test_answers_are_audited_without_their_content(woman):
    [intake] = instances(woman)
    checklists.answer_item(user("nurse.a"), intake, "IN-19", "disclosed", now=NOW)
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="checklist.answer"))
    assert entry.detail == {"kind": "intake", "item_id": "IN-19", "confidential": True}
    assert entry.patient_id == woman.id and entry.username == "nurse.a"
    assert db.session.scalar(db.select(AuditEntry).filter_by(action="checklist.open")) is not None


def test_overdue_items_after_the_due_time(woman):
    [intake] = instances(woman)
    later = NOW + 23 * H
    state = state_of(intake)
    assert state.overdue_ids(NOW + 22 * H) == set()          # due exactly now: not yet
    assert "IN-06" in state.overdue_ids(later)


def test_the_facility_list_is_open_checklists_most_urgent_first(woman):
    second = make_patient("W-2", facility="FAC-A")
    admit(second, at=NOW)
    nurse = user("nurse.a")
    fac_a = woman.facility
    rows, total = checklists.facility_checklists(nurse, fac_a, now=NOW)
    assert total == 2 and [p.id for _, p in rows] == [woman.id, second.id]
    rows, total = checklists.facility_checklists(nurse, fac_a, overdue_only=True, now=NOW + 23 * H)
    assert total == 1 and rows[0][1].id == woman.id
    other = user("nurse.b")
    assert checklists.facility_checklists(other, fac_a, now=NOW)[1] == 0  # not her patients


# --- community medication and continuation --------------------------------------

METHADONE = dict(programme="ost", drug="methadone", dose=60, unit="mg",
                 last_dose_at=NOW - 20 * H, source="clinic_confirmed", clinic="Kyiv OST site 3")


def test_community_ost_without_an_order_is_pending_with_hours_left(woman):
    community_medication.record_community_medication(user("nurse.a"), woman, METHADONE, now=NOW)
    [pending] = continuation.pending_continuations(woman, now=NOW)
    assert pending.medication.drug == "methadone"
    assert pending.target_at == NOW + 22 * H and pending.hours_left == 22.0
    clock.set_now(NOW + 30 * H)
    [late] = continuation.pending_continuations(woman, now=NOW + 30 * H)
    assert late.hours_left == -8.0 and late.overdue


def test_only_ost_and_art_are_continuation_targets(woman):
    nurse = user("nurse.a")
    for programme in ("tb", "hcv", "art"):
        community_medication.record_community_medication(
            nurse, woman, {**METHADONE, "programme": programme, "drug": "x"}, now=NOW)
    assert [p.medication.programme for p in continuation.pending_continuations(woman, now=NOW)] == ["art"]


def test_community_ost_tells_the_checklists_she_is_on_ost(woman):
    community_medication.record_community_medication(user("nurse.a"), woman, METHADONE, now=NOW)
    [intake] = instances(woman)
    assert state_of(intake).subject.on_ost is True


def test_community_medication_needs_a_custody_episode_and_a_past_last_dose(ctx, world):
    patient = make_patient("N-1", facility="FAC-A")
    with pytest.raises(Conflict) as err:
        community_medication.record_community_medication(SYSTEM, patient, METHADONE, now=NOW)
    assert err.value.code == "not_in_custody"
    admit(patient)
    with pytest.raises(ValidationFailed) as err:
        community_medication.record_community_medication(
            SYSTEM, patient, {**METHADONE, "last_dose_at": NOW + 2 * H}, now=NOW)
    assert err.value.fields == {"last_dose_at": ["Cannot be in the future."]}


def test_after_release_nothing_is_pending(woman):
    community_medication.record_community_medication(user("nurse.a"), woman, METHADONE, now=NOW)
    event(woman, "release", occurred_at=NOW, release_from="facility")
    assert continuation.pending_continuations(woman, now=NOW) == []
    assert checklists.facility_checklists(user("nurse.a"), woman.facility, now=NOW)[1] == 0


def test_age_is_counted_on_the_admission_day(ctx, world):
    girl = make_patient("G-1", facility="FAC-A", born=date(2010, 3, 11))
    admit(girl)  # 15 until tomorrow
    [intake] = instances(girl)
    assert intake.subject["age_years"] == 15

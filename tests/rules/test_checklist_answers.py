"""Answers and due times: "declined" only where Bangkok Rule 8 allows it, typed
answers checked field by field, and overdue items computed from an explicit now."""
from datetime import date, datetime, timedelta, timezone

import pytest

from prisoncare.rules.checklists import (
    ChecklistItem, ChecklistSubject, anchor_at, answer_values, due_at, is_overdue,
    load_definition, overdue_items, validate_answer,
)


def utc(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=timezone.utc)


def intake(item_id):
    return load_definition("intake").item(item_id)


@pytest.mark.parametrize("item_id, answer", [
    ("IN-13", "declined"),   # reproductive history (BR8)
    ("IN-13a", "declined"),  # pregnancy test: consent
    ("IN-14", "declined"),
    ("IN-15", "declined"),   # screening
    ("IN-09", "declined"),   # HIV test
    ("IN-09a", "declined"),  # HIV result
    ("IN-10", "declined"),   # hepatitis testing
    ("IN-11", "declined"),   # TB screen
    ("IN-19", "declined"),   # violence (BR6(e))
    ("IN-19a", "declined"),
    ("IN-24", "declined"),
])
def test_declined_is_valid_for_reproductive_testing_and_violence_questions(item_id, answer):
    assert validate_answer(intake(item_id), answer) == []


@pytest.mark.parametrize("item_id", ["IN-06", "IN-01", "IN-12", "IN-16", "IN-20", "IN-21",
                                     "IN-22", "IN-04", "IN-17"])
def test_declined_is_refused_for_other_items(item_id):
    reasons = validate_answer(intake(item_id), "declined")
    assert reasons == ["'declined' is not accepted for this item; it is not a sensitive question"]


@pytest.mark.parametrize("sex, valid", [
    ("female", False), ("intersex", True), ("unknown", True), (None, True), ("male", False),
])
def test_womens_items_are_declinable_for_intersex_or_unknown_sex(sex, valid):
    subject = ChecklistSubject(sex=sex)
    assert (validate_answer(intake("IN-22"), "declined", subject) == []) is valid


def test_general_items_stay_non_declinable_whatever_the_sex():
    subject = ChecklistSubject(sex="intersex")
    assert validate_answer(intake("IN-06"), "declined", subject) != []


@pytest.mark.parametrize("item_id, answer, reason", [
    ("IN-06", "yes", None),
    ("IN-06", "no", None),
    ("IN-06", "not_applicable", None),
    ("IN-06", "maybe", "'maybe' is not one of: yes, no, not_applicable"),
    ("IN-06", True, "True is not one of"),
    ("IN-06", None, "an answer is required"),
    ("IN-06", "", "an answer is required"),
    ("IN-09", "accepted", None),
    ("IN-09", "offered", None),
    ("IN-09", "yes", "'yes' is not one of: offered, accepted, declined, not_applicable"),
    ("IN-19", "disclosed", None),
    ("IN-19", "yes", "'yes' is not one of: disclosed, not_disclosed, declined, not_applicable"),
    ("IN-17", "clinic_confirmed", None),
    ("IN-17", "phoned", "'phoned' is not one of"),
])
def test_enumerated_answers(item_id, answer, reason):
    reasons = validate_answer(intake(item_id), answer)
    if reason is None:
        assert reasons == []
    else:
        assert reason in reasons[0]


BRIDGING_DAYS = load_definition("pre_release").item("RL-19")   # number, 0..90


@pytest.mark.parametrize("answer, reason", [
    (30, None),
    (0, None),
    (90, None),
    (14.5, None),
    (-1, "-1 is below the minimum of 0"),
    (91, "91 is above the maximum of 90"),
    ("30", "'30' is not a number"),
    (True, "True is not a number"),
    (float("nan"), "nan is not a number"),
])
def test_number_answers(answer, reason):
    reasons = validate_answer(BRIDGING_DAYS, answer)
    assert reasons == ([] if reason is None else [reason])


DATE_ITEM = ChecklistItem(id="IN-90", section="s", question="Due date?",
                          rule_refs=("BR48",), answer_type="date")
TEXT_ITEM = ChecklistItem(id="IN-91", section="s", question="Note", rule_refs=("BR48",),
                          answer_type="text", max_length=10)


@pytest.mark.parametrize("item, answer, reason", [
    (DATE_ITEM, "2026-03-05", None),
    (DATE_ITEM, date(2026, 3, 5), None),
    (DATE_ITEM, "05/03/2026", "'05/03/2026' is not a date in the form YYYY-MM-DD"),
    (DATE_ITEM, "20260305", "'20260305' is not a date in the form YYYY-MM-DD"),
    (DATE_ITEM, "2026-02-30", "'2026-02-30' is not a real date"),
    (DATE_ITEM, utc(2026, 3, 5), "is not a date in the form YYYY-MM-DD"),
    (TEXT_ITEM, "seen by GP", None),
    (TEXT_ITEM, "   ", "the answer must be non-empty text"),
    (TEXT_ITEM, 12, "the answer must be non-empty text"),
    (TEXT_ITEM, "x" * 11, "the text is longer than 10 characters"),
])
def test_date_and_text_answers(item, answer, reason):
    reasons = validate_answer(item, answer)
    if reason is None:
        assert reasons == []
    else:
        assert reason in reasons[0]


AWAY = {"name": "Ana", "age_years": 6, "with_her": False, "location": "Odesa",
        "carer": "grandmother", "custody_status": "relative"}
WITH_HER = {"name": "Ivan", "age_years": 0, "with_her": True}


@pytest.mark.parametrize("answer, reasons", [
    ([AWAY, WITH_HER], []),
    ([], []),
    ("two children", ["children must be a list (empty when she has none)"]),
    ([AWAY | {"location": ""}], ["child 1: location is required when the child is not with her"]),
    ([WITH_HER, AWAY | {"custody_status": "aunt"}],
     ["child 2: custody_status must be one of: parent, other_parent, relative, "
      "foster_care, state_care, other, unknown"]),
    ([WITH_HER | {"age_years": 31}], ["child 1: age_years must be a whole number from 0 to 30"]),
    ([WITH_HER | {"school": "no"}], ["child 1: unknown field 'school'"]),
    ([{"age_years": 3, "with_her": True}], ["child 1: name is required"]),
    ([WITH_HER | {"with_her": "yes"}], ["child 1: with_her must be true or false"]),
    (["Ana"], ["child 1: must be a table of name, age_years, with_her, ..."]),
])
def test_children_answers(answer, reasons):
    assert validate_answer(intake("IN-04"), answer) == reasons


@pytest.mark.parametrize("item_id, values", [
    ("IN-06", ("yes", "no", "not_applicable")),
    ("IN-13", ("yes", "no", "declined", "not_applicable")),
    ("IN-09", ("offered", "accepted", "declined", "not_applicable")),
    ("IN-04", ()),
])
def test_answer_values(item_id, values):
    assert answer_values(intake(item_id)) == values


# --- due times ------------------------------------------------------------------

ADMITTED = utc(2026, 3, 5, 10)


@pytest.mark.parametrize("kind, item_id, occurred_at, expected_at, due", [
    ("intake", None, ADMITTED, None, utc(2026, 3, 6, 10)),
    ("intake", "IN-06", ADMITTED, None, utc(2026, 3, 6, 10)),
    ("pre_court", None, utc(2026, 3, 1), utc(2026, 3, 9, 7), utc(2026, 3, 9, 7)),
    ("pre_transfer", None, utc(2026, 3, 1), utc(2026, 3, 9, 7), utc(2026, 3, 9, 7)),
    ("pre_transfer", None, utc(2026, 3, 9, 6), None, utc(2026, 3, 9, 6)),  # transfer_out
    ("transfer_in", None, utc(2026, 3, 9, 15), None, utc(2026, 3, 10, 15)),
    ("transfer_in", "TI-03", utc(2026, 3, 9, 15), None, utc(2026, 3, 9, 19)),
    ("pre_release", None, utc(2026, 3, 1), utc(2026, 6, 30, 9), utc(2026, 6, 30, 9)),
    ("pre_release", "RL-01", utc(2026, 3, 1), utc(2026, 6, 30, 9), utc(2026, 5, 31, 9)),
    ("pre_release", "RL-03", utc(2026, 3, 1), utc(2026, 6, 30, 9), utc(2026, 6, 16, 9)),
])
def test_due_at(kind, item_id, occurred_at, expected_at, due):
    definition = load_definition(kind)
    item = definition.item(item_id) if item_id else None
    assert due_at(definition, anchor_at(definition, occurred_at, expected_at), item) == due


@pytest.mark.parametrize("now, done, overdue", [
    (utc(2026, 3, 6, 9, 59), False, False),
    (utc(2026, 3, 6, 10), False, False),     # due exactly now: not yet overdue
    (utc(2026, 3, 6, 10, 1), False, True),
    (utc(2026, 3, 6, 10, 1), True, False),
])
def test_is_overdue(now, done, overdue):
    assert is_overdue(utc(2026, 3, 6, 10), now, done) is overdue


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        due_at(load_definition("intake"), datetime(2026, 3, 5, 10))


def test_overdue_items_are_the_unanswered_visible_ones_past_due():
    definition = load_definition("intake")
    man = ChecklistSubject(sex="male", age_years=40, legal_status="pretrial",
                           foreign_national=False, has_children=False, on_ost=False,
                           on_art=False, on_tb=False, on_hcv=False)
    answers = {"IN-06": "yes", "IN-09": "declined", "IN-27": "yes", "IN-29": "no"}
    assert overdue_items(definition, ADMITTED, man, answers, ADMITTED + timedelta(hours=23)) == ()
    late = overdue_items(definition, ADMITTED, man, answers, ADMITTED + timedelta(hours=25))
    assert [i.id for i in late] == ["IN-31", "IN-10", "IN-11", "IN-12", "IN-16", "IN-20"]


def test_transfer_in_reconciliation_is_overdue_before_the_rest():
    definition = load_definition("transfer_in")
    subject = ChecklistSubject(sex="male", on_ost=True, on_art=False, on_tb=False,
                               on_hcv=False)
    arrived = utc(2026, 3, 9, 15)
    late = overdue_items(definition, arrived, subject, {}, arrived + timedelta(hours=5))
    assert [i.id for i in late] == ["TI-01", "TI-02", "TI-03"]

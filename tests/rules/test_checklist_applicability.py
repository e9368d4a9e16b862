"""Who gets which checklist item: unknown facts ask rather than skip, men get no
pregnancy items, follow-ups appear only after the answer that calls for them."""
from dataclasses import replace

import pytest

from prisoncare.rules.checklists import (
    KINDS, ChecklistSubject, Conditions, applicable_items, applies, load_definition,
    visible_items,
)
from prisoncare.rules.checklists.applicability import matches

WOMAN = ChecklistSubject(sex="female", age_years=30, facility_population="women",
                         legal_status="pretrial")
MAN = ChecklistSubject(sex="male", age_years=30, facility_population="men",
                       legal_status="pretrial")
INTERSEX = ChecklistSubject(sex="intersex", age_years=30, facility_population="mixed")
UNKNOWN = ChecklistSubject()
KNOWN_NO = dict(pregnant=False, breastfeeding=False, has_children=False,
                accompanying_child=False, on_ost=False, on_art=False, on_tb=False,
                on_hcv=False, opioid_history=False, foreign_national=False)
PREGNANCY_ITEMS = [("intake", "IN-13"), ("intake", "IN-13a"), ("intake", "IN-14"),
                   ("intake", "IN-23"), ("pre_court", "CT-04"), ("pre_transfer", "TR-05"),
                   ("transfer_in", "TI-07"), ("pre_release", "RL-09"),
                   ("pre_release", "RL-15")]


def ids(items):
    return {i.id for i in items}


def test_woman_in_a_womens_facility_gets_every_bangkok_intake_item():
    intake = load_definition("intake")
    got = applicable_items(intake, WOMAN)
    assert {f"IN-{n:02d}" for n in range(1, 27)} <= ids(got)
    bangkok = [i for i in got if i.id <= "IN-26"]
    assert all(i.rule_refs for i in bangkok)
    assert sum(any(r.startswith("BR") for r in i.rule_refs) for i in bangkok) >= 20


def test_man_gets_general_intake_items_and_mens_items_only():
    got = ids(applicable_items(load_definition("intake"), MAN))
    assert {"IN-06", "IN-09", "IN-10", "IN-11", "IN-12", "IN-16", "IN-17", "IN-18",
            "IN-20", "IN-27", "IN-29", "IN-31"} <= got
    assert not got & {"IN-01", "IN-07", "IN-13", "IN-14", "IN-19", "IN-21", "IN-22"}


@pytest.mark.parametrize("kind, item_id", PREGNANCY_ITEMS)
@pytest.mark.parametrize("man", [MAN, replace(MAN, pregnant=True), ChecklistSubject(sex="male")])
def test_a_man_never_gets_pregnancy_items(kind, item_id, man):
    assert not applies(load_definition(kind).item(item_id), man)


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_man_gets_no_womens_items_in_any_checklist(kind):
    got = applicable_items(load_definition(kind), MAN)
    assert not [i.id for i in got if i.applies_to.is_women_only()]


@pytest.mark.parametrize("subject, item_id, expected", [
    (WOMAN, "IN-01", True),
    (WOMAN, "IN-27", False),                          # men's version of IN-01
    (MAN, "IN-01", False),
    (MAN, "IN-27", True),
    (INTERSEX, "IN-13", True),                        # women's health items included
    (INTERSEX, "IN-27", False),                       # ... instead of men's versions
    (UNKNOWN, "IN-01", True),
    (UNKNOWN, "IN-13", True),
    (replace(WOMAN, age_years=None), "IN-13", True),  # unknown age: ask
    (replace(WOMAN, age_years=60), "IN-13", False),   # beyond reproductive age
    (replace(WOMAN, age_years=11), "IN-13", False),
    (replace(WOMAN, age_years=60), "IN-15", True),    # screening band 25-64
    (replace(WOMAN, age_years=70), "IN-15", False),
    (replace(WOMAN, age_years=20), "IN-15", False),
    (WOMAN, "IN-17", True),                           # on_ost unknown: ask
    (replace(WOMAN, on_ost=False), "IN-17", False),
    (replace(MAN, on_ost=True), "IN-17", True),
    (replace(WOMAN, **KNOWN_NO), "IN-18", False),
    (replace(WOMAN, **KNOWN_NO | {"on_tb": True}), "IN-18", True),
    (replace(WOMAN, foreign_national=False), "IN-02", False),
    (WOMAN, "IN-02", True),
    (replace(WOMAN, legal_status="sentenced"), "IN-26", False),
    (replace(WOMAN, legal_status=None), "IN-26", True),
    (replace(WOMAN, has_children=False), "IN-04", False),
    (replace(WOMAN, has_children=True), "IN-04", True),
    (replace(MAN, has_children=True), "IN-30", True),
    (replace(WOMAN, pregnant=False, breastfeeding=False), "IN-23", False),
    (replace(WOMAN, pregnant=False, breastfeeding=True), "IN-23", True),
    (replace(WOMAN, pregnant=True, breastfeeding=False), "IN-23", True),
    (replace(WOMAN, pregnant=None, breastfeeding=False), "IN-23", True),
    (replace(WOMAN, accompanying_child=False), "IN-05", False),
])
def test_intake_applicability(subject, item_id, expected):
    assert applies(load_definition("intake").item(item_id), subject) is expected


@pytest.mark.parametrize("kind, item_id, subject, expected", [
    ("pre_court", "CT-06", replace(WOMAN, legal_status="sentenced"), False),
    ("pre_court", "CT-06", replace(WOMAN, **KNOWN_NO), False),
    ("pre_court", "CT-06", replace(MAN, on_art=True), True),
    ("pre_court", "CT-07", replace(MAN, **KNOWN_NO | {"opioid_history": True}), True),
    ("pre_court", "CT-08", replace(WOMAN, pregnant=False, has_children=True), True),
    ("pre_court", "CT-08", replace(WOMAN, pregnant=False, has_children=False), False),
    ("pre_release", "RL-02", replace(WOMAN, legal_status="sentenced"), True),
    ("pre_release", "RL-02", WOMAN, False),
    ("pre_release", "RL-04", replace(MAN, **KNOWN_NO | {"on_ost": True}), True),
    ("pre_release", "RL-04", replace(MAN, **KNOWN_NO), False),
    ("pre_release", "RL-18", MAN, True),
    ("pre_release", "RL-14", MAN, False),
    ("transfer_in", "TI-03", replace(MAN, **KNOWN_NO), False),
    ("transfer_in", "TI-03", replace(MAN, **KNOWN_NO | {"on_ost": True}), True),
    ("transfer_in", "TI-01", MAN, True),
])
def test_movement_checklist_applicability(kind, item_id, subject, expected):
    assert applies(load_definition(kind).item(item_id), subject) is expected


@pytest.mark.parametrize("conditions, subject, expected", [
    (Conditions(facility_population=("women",)), WOMAN, True),
    (Conditions(facility_population=("women",)), MAN, False),
    (Conditions(facility_population=("women", "mixed")), INTERSEX, True),
    (Conditions(facility_population=("men",)), UNKNOWN, True),
    (Conditions(age_min=18), replace(WOMAN, age_years=17), False),
    (Conditions(age_min=18), replace(WOMAN, age_years=18), True),
    (Conditions(age_max=17), replace(WOMAN, age_years=18), False),
    (Conditions(pregnant=False), replace(WOMAN, pregnant=True), False),
    (Conditions(pregnant=False), MAN, True),
    (Conditions(reproductive_age=True), replace(WOMAN, age_years=55), True),
    (Conditions(reproductive_age=True), replace(WOMAN, age_years=56), False),
    (Conditions(reproductive_age=True), replace(MAN, age_years=None), False),
    (Conditions(pretrial=False), replace(MAN, legal_status="sentenced"), True),
    (Conditions(sex=("intersex",)), INTERSEX, True),
    (Conditions(sex=("male",)), INTERSEX, False),
    (Conditions(sex=("female",)), UNKNOWN, True),
    (Conditions(any_of=(Conditions(on_art=True), Conditions(on_tb=True))),
     replace(MAN, on_art=False, on_tb=False), False),
    (Conditions(any_of=(Conditions(on_art=True), Conditions(on_tb=True))),
     replace(MAN, on_art=False, on_tb=None), True),
    (Conditions(), MAN, True),
])
def test_condition_vocabulary(conditions, subject, expected):
    assert matches(conditions, subject) is expected


@pytest.mark.parametrize("answers, shown", [
    ({}, set()),
    ({"IN-19": "not_disclosed"}, set()),
    ({"IN-19": "declined"}, set()),
    ({"IN-19": "disclosed"}, {"IN-19a", "IN-19b", "IN-19c"}),
    ({"IN-09": "accepted"}, {"IN-09a"}),
    ({"IN-09": "accepted", "IN-09a": "positive"}, {"IN-09a", "IN-09b"}),
    ({"IN-09": "declined", "IN-09a": "positive"}, set()),   # stale answer, parent hidden
    ({"IN-13": "yes"}, {"IN-13a"}),
])
def test_follow_ups_appear_after_the_answer_that_calls_for_them(answers, shown):
    intake = load_definition("intake")
    follow_ups = {i.id for i in visible_items(intake, WOMAN, answers) if i.follow_up_of}
    assert follow_ups == shown


def test_follow_up_of_an_item_that_does_not_apply_is_hidden():
    intake = load_definition("intake")
    assert "IN-19a" not in ids(visible_items(intake, MAN, {"IN-19": "disclosed"}))


@pytest.mark.parametrize("field, value", [
    ("sex", "woman"), ("facility_population", "female"), ("legal_status", "remand"),
    ("age_years", -1),
])
def test_subject_refuses_unknown_values(field, value):
    with pytest.raises(ValueError, match=field):
        ChecklistSubject(**{field: value})

"""Checklist definitions: every shipped file loads, the intake carries the Bangkok
items with their rule references, and malformed files are refused naming the item."""
import json

import pytest

from prisoncare.rules.checklists import (
    KINDS, DefinitionError, definitions_for_event, from_snapshot, load_all,
    load_definition, load_definition_file, to_snapshot,
)


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_shipped_file_loads(kind):
    definition = load_definition(kind)
    assert definition.kind == kind
    assert definition.version >= 1
    assert all(item.rule_refs for item in definition.items)
    assert len({i.id for i in definition.items}) == len(definition.items)


@pytest.mark.parametrize("kind, triggers, due_from, due_hours", [
    ("intake", ("admission",), "trigger", 24),
    ("pre_court", ("court_scheduled",), "expected_at", 0),
    ("pre_transfer", ("transfer_scheduled", "transfer_out"), "expected_at", 0),
    ("transfer_in", ("transfer_in",), "trigger", 24),
    ("pre_release", ("release_scheduled",), "expected_at", 0),
])
def test_triggers_and_due_times(kind, triggers, due_from, due_hours):
    definition = load_definition(kind)
    assert (definition.triggers, definition.due_from, definition.due_hours) == (
        triggers, due_from, due_hours)


@pytest.mark.parametrize("event_type, kinds", [
    ("admission", ["intake"]),
    ("court_scheduled", ["pre_court"]),
    ("transfer_scheduled", ["pre_transfer"]),
    ("transfer_out", ["pre_transfer"]),
    ("transfer_in", ["transfer_in"]),
    ("release_scheduled", ["pre_release"]),
    ("court_return", []),
    ("release", []),
])
def test_custody_events_open_checklists(event_type, kinds):
    assert [d.kind for d in definitions_for_event(event_type)] == kinds


# clinical-rules.md section 10: id, rule references, women only?
BANGKOK_INTAKE = [
    ("IN-01", ["BR2(1)"], True), ("IN-02", ["BR2(1)", "BR53"], True),
    ("IN-03", ["BR2(2)"], True), ("IN-04", ["BR3"], True),
    ("IN-05", ["BR9", "BR51", "MR29"], True), ("IN-06", ["MR30", "BR6"], False),
    ("IN-07", ["BR8", "MR32"], True), ("IN-08", ["BR10", "BR11"], True),
    ("IN-09", ["BR6(a)", "PKG15-2", "PKG15-7"], False), ("IN-10", ["PKG15-11"], False),
    ("IN-11", ["PKG15-4", "MR30(e)"], False), ("IN-12", ["BR6(b)", "BR12", "BR16", "BR35"], False),
    ("IN-13", ["BR6(c)", "BR8", "BR48"], True), ("IN-14", ["BR6(c)", "BR18"], True),
    ("IN-15", ["BR18"], True), ("IN-16", ["BR6(d)", "BR15", "MR30(d)"], False),
    ("IN-17", ["SOLID", "BCCSU", "OST-E-01"], False),
    ("IN-18", ["MR24(2)", "MR26", "ART-06", "TB-06"], False),
    ("IN-19", ["BR6(e)", "BR7", "BR25"], True), ("IN-20", ["MR30(b)", "MR34"], False),
    ("IN-21", ["BR19", "BR20"], True), ("IN-22", ["BR5"], True),
    ("IN-23", ["BR48", "NZ-Corrections"], True), ("IN-24", ["BR44"], True),
    ("IN-25", ["BR4"], True), ("IN-26", ["BR56"], True),
]


@pytest.mark.parametrize("item_id, refs, women_only", BANGKOK_INTAKE)
def test_intake_has_bangkok_items_with_rule_refs(item_id, refs, women_only):
    item = load_definition("intake").item(item_id)
    assert set(refs) <= set(item.rule_refs)
    assert item.applies_to.is_women_only() is women_only


def test_intake_lists_all_26_bangkok_items():
    ids = {i.id for i in load_definition("intake").items}
    assert {f"IN-{n:02d}" for n in range(1, 27)} <= ids


@pytest.mark.parametrize("item_id, answer_type, declinable, confidential", [
    ("IN-04", "children", False, True),    # children's details: confidential (BR3)
    ("IN-06", "yes_no", False, False),     # health assessment: never declined
    ("IN-09", "consent", True, True),      # HIV test: offered, voluntary, consent recorded
    ("IN-09a", "choice", True, True),      # HIV status
    ("IN-10", "consent", True, True),
    ("IN-13", "yes_no", True, True),       # reproductive history (BR8)
    ("IN-14", "yes_no", True, True),
    ("IN-15", "consent", True, True),
    ("IN-19", "choice", True, True),       # violence (BR6(e), BR8)
    ("IN-23", "yes_no", False, True),      # pregnancy
    ("IN-30", "children", False, True),    # men's children, too
])
def test_intake_answer_types_and_flags(item_id, answer_type, declinable, confidential):
    item = load_definition("intake").item(item_id)
    assert (item.answer_type, item.declinable, item.confidential) == (
        answer_type, declinable, confidential)


@pytest.mark.parametrize("item_id, refs", [
    ("IN-19a", ["BR7"]), ("IN-19b", ["BR7", "BR25"]), ("IN-19c", ["BR7"]),
])
def test_disclosed_violence_follow_ups(item_id, refs):
    item = load_definition("intake").item(item_id)
    assert (item.follow_up_of, item.shown_when) == ("IN-19", ("disclosed",))
    assert set(refs) <= set(item.rule_refs) and item.confidential


@pytest.mark.parametrize("kind, item_id, ref", [
    ("pre_court", "CT-01", "OST-E-02"),      # dose before departure
    ("pre_court", "CT-03", "MR26"),          # medication and letter for the escort
    ("pre_court", "CT-06", "OST-R-03"),      # released at court
    ("pre_transfer", "TR-02", "OST-T-01"),   # last-dose time travels with her
    ("pre_transfer", "TR-07", "OST-E-02"),   # medication sent
    ("transfer_in", "TI-02", "MR24(2)"),     # reconcile orders
    ("transfer_in", "TI-03", "OST-T-01"),    # no second dose the same day
    ("pre_release", "RL-03", "OST-R-01"),    # community OST appointment
    ("pre_release", "RL-04", "OST-R-02"),    # naloxone
    ("pre_release", "RL-06", "ART-07"),      # ART bridging supply
])
def test_movement_checklists_cover_their_rules(kind, item_id, ref):
    assert ref in load_definition(kind).item(item_id).rule_refs


@pytest.mark.parametrize("kind", list(KINDS))
def test_snapshot_round_trips_through_json(kind):
    definition = load_definition(kind)
    snapshot = json.loads(json.dumps(to_snapshot(definition)))
    assert from_snapshot(snapshot) == definition


def test_load_all_returns_every_kind():
    assert list(load_all()) == list(KINDS)


# --- malformed files ----------------------------------------------------------

def _toml(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


GOOD_ITEM = {"id": "IN-01", "section": "rights", "question": "Contact?",
             "rule_refs": ["BR2(1)"], "answer_type": "yes_no"}
HEADER = {"kind": "intake", "version": 1, "title": "Intake", "triggers": ["admission"],
          "due_hours": 24}


def write_definition(tmp_path, items, header=None, name="intake.toml"):
    lines = [f"{k} = {_toml(v)}" for k, v in (header or HEADER).items()]
    lines += ["[[sections]]", 'id = "rights"', 'title = "Rights"']
    for item in items:
        lines.append("[[items]]")
        lines += [f"{k} = {_toml(v)}" for k, v in item.items() if v is not None]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def item(**changes):
    return GOOD_ITEM | changes


@pytest.mark.parametrize("items, expected", [
    ([item(colour="red")], "item IN-01: unknown key 'colour'"),
    ([item(), item()], "item IN-01: duplicate item id"),
    ([item(applies_to={"pregnnt": True})], "item IN-01: unknown condition 'pregnnt'"),
    ([item(applies_to={"any_of": [{"any_of": [{"on_ost": True}]}]})],
     "item IN-01: unknown condition 'any_of'"),
    ([item(applies_to={"sex": ["woman"]})], "item IN-01: sex: unknown value 'woman'"),
    ([item(applies_to={"on_ost": "yes"})], "item IN-01: condition on_ost must be true or false"),
    ([item(applies_to={"age_min": 50, "age_max": 20})],
     "item IN-01: age_min 50 is greater than age_max 20"),
    ([item(answer_type="maybe")], "item IN-01: unknown answer_type 'maybe'"),
    ([item(rule_refs=None)], "item IN-01: missing key 'rule_refs'"),
    ([item(rule_refs=[])], "item IN-01: rule_refs must list at least one rule reference"),
    ([item(rule_refs=["BR 6(c)"])], "item IN-01: unknown rule reference 'BR 6(c)'"),
    ([item(rule_refs=["BR99"])], "item IN-01: rule 'BR99' is out of range 1-70"),
    ([item(answer_type="choice")], "item IN-01: a choice needs a non-empty list of options"),
    ([item(answer_type="choice", options=["yes", "yes"])], "item IN-01: options must not repeat"),
    ([item(answer_type="choice", options=["declined", "ok"])],
     "item IN-01: option 'declined' is reserved"),
    ([item(answer_type="choice", options=["Not Sure"])],
     "item IN-01: option 'Not Sure' must be a lower_snake_case word"),
    ([item(options=["a", "b"])], "item IN-01: options is only allowed with answer_type 'choice'"),
    ([item(answer_type="number", min=5, max=1)], "item IN-01: min 5 is greater than max 1"),
    ([item(declinable="yes")], "item IN-01: declinable must be true or false"),
    ([item(section="elsewhere")], "item IN-01: unknown section 'elsewhere'"),
    ([item(id="RL-01")], "item RL-01: id must start with IN- in this checklist"),
    ([item(id="IN-1")], "item IN-1: id must look like IN-01"),
    ([item(question="  ")], "item IN-01: question must be non-empty text"),
    ([item(), item(id="IN-02", follow_up_of="IN-09", shown_when=["yes"])],
     "item IN-02: follow_up_of 'IN-09' must name an earlier item"),
    ([item(), item(id="IN-02", follow_up_of="IN-01", shown_when=["disclosed"])],
     "item IN-02: shown_when ['disclosed'] are not answers of IN-01"),
    ([item(), item(id="IN-02", follow_up_of="IN-01")],
     "item IN-02: shown_when must list answers of IN-01"),
])
def test_malformed_items_are_refused_naming_the_item(tmp_path, items, expected):
    with pytest.raises(DefinitionError) as caught:
        load_definition_file(write_definition(tmp_path, items))
    assert f"intake.toml: {expected}" in str(caught.value)


@pytest.mark.parametrize("header, expected", [
    (HEADER | {"kind": "pre_court"}, "kind 'pre_court' does not match the file name"),
    (HEADER | {"kind": "parole"}, "kind must be one of"),
    (HEADER | {"version": 0}, "version must be a whole number from 1"),
    (HEADER | {"triggers": ["arrest"]}, "triggers: unknown value 'arrest'"),
    (HEADER | {"due_from": "tomorrow"}, "due_from must be one of trigger, expected_at"),
    (HEADER | {"owner": "me"}, "unknown key 'owner'"),
    ({k: v for k, v in HEADER.items() if k != "title"}, "missing key 'title'"),
])
def test_malformed_headers_are_refused(tmp_path, header, expected):
    with pytest.raises(DefinitionError, match="intake.toml") as caught:
        load_definition_file(write_definition(tmp_path, [GOOD_ITEM], header))
    assert expected in str(caught.value)


def test_every_problem_is_reported_at_once(tmp_path):
    items = [item(colour="red"), item(id="IN-02", answer_type="maybe")]
    with pytest.raises(DefinitionError) as caught:
        load_definition_file(write_definition(tmp_path, items))
    assert len(caught.value.problems) == 2


def test_invalid_toml_is_refused(tmp_path):
    path = tmp_path / "intake.toml"
    path.write_text("kind = \n", encoding="utf-8")
    with pytest.raises(DefinitionError, match="intake.toml: not valid TOML"):
        load_definition_file(path)


def test_a_well_formed_file_loads(tmp_path):
    definition = load_definition_file(write_definition(tmp_path, [GOOD_ITEM]))
    assert definition.item("IN-01").rule_refs == ("BR2(1)",)


def test_a_section_without_items_is_refused(tmp_path):
    path = write_definition(tmp_path, [GOOD_ITEM])
    path.write_text(path.read_text() + '[[sections]]\nid = "empty"\ntitle = "Empty"\n')
    with pytest.raises(DefinitionError, match="section empty: has no items"):
        load_definition_file(path)


@pytest.mark.parametrize("snapshot", ["intake", {"kind": "intake"}])
def test_a_bad_snapshot_is_refused(snapshot):
    with pytest.raises(DefinitionError, match="snapshot of"):
        from_snapshot(snapshot)


def test_unknown_kind_is_refused():
    with pytest.raises(KeyError, match="parole"):
        load_definition("parole")

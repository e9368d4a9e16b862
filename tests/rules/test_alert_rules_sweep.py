"""The rule functions added for the sweep, as tables (pure): transfer handover windows,
runs of missed ART doses, ladders and superseded rungs, and the task items."""
from datetime import date, timedelta

import pytest

from prisoncare.rules import checklists
from prisoncare.rules.alert_rules import (RuleFileError, evaluate_missed_in_window,
                                          evaluate_transfer_record, ladder_key, load_rules,
                                          missed_in_window_runs, superseded)
from prisoncare.rules.alert_rules import evaluate_streak
from prisoncare.services.ladder_alerts import ladder_hits

RULES = load_rules()
D = date(2026, 3, 1)


def ids(hits):
    return [h.rule_id for h in hits]


@pytest.mark.parametrize("programme, sent, departs_in, expected", [
    ("ost", False, None, ["OST-T-01"]),          # under way
    ("ost", False, 0.5, ["OST-T-01"]),
    ("ost", False, 24, ["OST-T-01"]),
    ("ost", False, 24.5, []),                    # more than 24 h ahead: not yet
    ("ost", True, 2, []),
    ("tb", False, 3, ["TB-06"]),
    ("art", False, 3, ["ART-T-01"]),
    ("art", False, 24.5, []),
    ("art", True, 3, []),
    ("hcv", False, None, ["HCV-T-01"]),
    ("hcv", True, None, []),
    ("women", False, 3, []),
])
def test_transfer_record_window(programme, sent, departs_in, expected):
    assert ids(evaluate_transfer_record(programme, sent, RULES, departs_in)) == expected


def test_the_handover_window_is_a_threshold_a_deployment_can_move():
    rules = load_rules(overrides={"transfer_handover_hours": 72})
    assert ids(evaluate_transfer_record("ost", False, rules, 48)) == ["OST-T-01"]
    assert ids(evaluate_transfer_record("ost", False, RULES, 48)) == []


@pytest.mark.parametrize("offsets, expected", [
    ([0, 0], ["ART-02"]),                        # two doses missed on one day count two
    ([0], []),
])
def test_missed_in_window_counts_doses(offsets, expected):
    today = date(2026, 3, 9)
    assert ids(evaluate_missed_in_window("art", [today - timedelta(days=n) for n in offsets],
                                         today, RULES)) == expected


@pytest.mark.parametrize("days, expected", [
    ([], []),
    ([1], []),
    ([1, 3], [("d1", 2, 3)]),
    ([1, 7], [("d1", 2, 7)]),                    # 1st..7th: one 7-day window
    ([1, 8], []),                                # 8 days apart
    ([1, 3, 5, 9, 14], [("d1", 2, 3)]),          # one chain: one alert, named by its start
    ([1, 3, 20, 22], [("d1", 2, 3), ("d20", 2, 22)]),   # two runs, two alerts
    ([1, 7, 13], [("d1", 2, 7)]),
])
def test_runs_of_missed_art_doses(days, expected):
    missed = [(f"d{d}", D + timedelta(days=d - 1)) for d in days]
    out = missed_in_window_runs("art", missed, RULES)
    assert [(key, hit.observed, reached.day) for key, hit, reached in out] == expected
    assert all(hit.rule_id == "ART-02" for _, hit, _ in out)
    assert missed_in_window_runs("ost", missed, RULES) == []


@pytest.mark.parametrize("programme, family, missed, length, pregnant, phase, reached, superseded_by", [
    ("ost", "methadone", 1, 1, False, None, {"OST-M-01"}, {}),
    ("ost", "methadone", 3, 3, False, None, {"OST-M-01", "OST-M-02", "OST-M-03"},
     {"OST-M-01": "OST-M-03", "OST-M-02": "OST-M-03"}),
    ("ost", "methadone", 2, 2, True, None, {"OST-M-01", "OST-M-02", "OST-P-01"},
     {"OST-M-01": "OST-M-02"}),                  # the pregnancy rule is not a rung
    ("ost", "buprenorphine", 4, 4, False, None, {"OST-B-01", "OST-B-02"}, {"OST-B-01": "OST-B-02"}),
    ("art", None, 30, 30, False, None, {"ART-01", "ART-03"}, {}),   # two ladders of one rung
    ("tb", None, 14, 14, False, "intensive", {"TB-02", "TB-01"}, {"TB-02": "TB-01"}),
    ("tb", None, 60, 60, False, "continuation", {"TB-03", "TB-04"}, {}),
    ("tb", None, 10, 10, False, "continuation", set(), {}),
    ("tb", None, 56, 56, False, "intensive", {"TB-02", "TB-01", "TB-04"}, {"TB-02": "TB-01"}),
    ("tb", None, 55, 55, False, "continuation", set(), {}),
    ("hcv", None, 25, 25, False, None, {"HCV-01", "HCV-02", "HCV-03"},
     {"HCV-01": "HCV-03", "HCV-02": "HCV-03"}),
])
def test_rungs_reached_and_superseded(programme, family, missed, length, pregnant, phase,
                                      reached, superseded_by):
    hits = ladder_hits(RULES, programme, family, missed, length, pregnant, phase)
    assert {h.rule_id for h in hits} == reached
    assert {low.rule_id: top.rule_id for low, top in superseded(hits)} == superseded_by


@pytest.mark.parametrize("missed", [1, 2, 3, 4, 5, 9, 40])
def test_jumping_to_the_rungs_finds_what_counting_every_day_finds(missed):
    slow = set()
    for k in range(1, missed + 1):
        slow |= set(ids(evaluate_streak("ost", "methadone", k, True, RULES, interruption_days=0)))
    assert {h.rule_id for h in ladder_hits(RULES, "ost", "methadone", missed, 0, True)} == slow


def test_ladder_keys():
    assert ladder_key(RULES.get("OST-M-02")) == ("missed_consecutive_days", "ost", "methadone", None)
    assert ladder_key(RULES.get("TB-01")) == ladder_key(RULES.get("TB-02"))
    assert ladder_key(RULES.get("TB-03")) != ladder_key(RULES.get("TB-01"))
    assert ladder_key(RULES.get("OST-P-01")) is None and ladder_key(RULES.get("BR-01")) is None


@pytest.mark.parametrize("rule_id, items", [
    ("BR-01", ["IN-09", "IN-12", "IN-13", "IN-16", "IN-19"]),
    ("BR-02", ["IN-03", "IN-04"]),
])
def test_task_items_are_intake_items_about_the_rule(rule_id, items):
    rule = RULES.get(rule_id)
    assert rule.params["items"] == items and rule.params["checklist"] == "intake"
    intake = next(d for d in checklists.definitions_for_event("admission") if d.kind == "intake")
    refs = {i: intake.item(i).rule_refs for i in items}        # KeyError: not an intake item
    wanted = "BR6" if rule_id == "BR-01" else ("BR2(2)", "BR3")
    assert all(any(r.startswith(wanted) for r in rs) for rs in refs.values()), refs


@pytest.mark.parametrize("condition, fragment", [
    ('{ kind = "task_overdue", task = "rule6_screen", after = "admission", hours = 24, items = [] }',
     "non-empty list"),
    ('{ kind = "task_overdue", task = "rule6_screen", after = "admission", hours = 24, items = ["x"] }',
     "not checklist item ids"),
    ('{ kind = "task_overdue", task = "rule6_screen", after = "admission", hours = 24, checklist = "exit" }',
     "checklist must be one of"),
    ('{ kind = "transfer_without_record", within_hours = -1 }', "within_hours must be a whole number"),
])
def test_new_parameters_are_validated(tmp_path, condition, fragment):
    path = tmp_path / "rules.toml"
    path.write_text(f'''
[[rule]]
id = "T-01"
programme = "women"
severity = "info"
role = "nurse"
action = "Do it."
source = "test"
condition = {condition}
''')
    with pytest.raises(RuleFileError) as excinfo:
        load_rules(path)
    assert fragment in str(excinfo.value) and "T-01" in str(excinfo.value)

"""The alert rule table as data: loading, validation, overrides and evaluation."""
from datetime import date, datetime, timedelta, timezone

import pytest

from prisoncare.rules.alert_rules import (ReleaseFacts, RuleFileError, Streak, evaluate,
                                          evaluate_custody_dose_loss, evaluate_missed_in_window,
                                          evaluate_not_continued, evaluate_planned_absence,
                                          evaluate_release_plan, evaluate_streak,
                                          evaluate_task_overdue, evaluate_transfer_record,
                                          evaluate_unplanned_release, load_rules)
from prisoncare.rules.alert_schema import ROLES, SEVERITIES
from prisoncare.rules.interruptions import DoseRecord, compute_episodes

RULES = load_rules()
T0 = datetime(2026, 3, 2, 7, 0, tzinfo=timezone.utc)
REQUIRED = ["OST-M-01", "OST-M-02", "OST-M-03", "OST-M-04", "OST-M-05", "OST-B-01", "OST-B-02",
            "OST-B-03", "OST-P-01", "OST-E-01", "OST-E-02", "OST-T-01", "OST-R-01", "OST-R-02",
            "OST-R-03", "ART-01", "ART-04", "ART-06", "ART-07", "ART-T-01", "TB-01", "TB-02",
            "TB-04", "HCV-01", "HCV-02", "HCV-03", "HCV-T-01", "BR-01", "BR-02", "BR-03", "BR-07"]


def ids(hits):
    return [h.rule_id for h in hits]


# --------------------------------------------------------------------- the table itself

@pytest.mark.parametrize("rule_id", REQUIRED)
def test_required_rule_present_and_complete(rule_id):
    rule = RULES.get(rule_id)
    assert rule.severity in SEVERITIES and rule.role in ROLES
    assert rule.action and rule.source


def test_unplanned_release_is_critical_for_ost_and_art():
    assert {h.severity for h in evaluate_unplanned_release("ost", False, RULES)} == {"critical"}
    assert {h.severity for h in evaluate_unplanned_release("art", False, RULES)} == {"critical"}


def test_rules_for_custody_carry_a_custody_message():
    for rule_id in ("OST-E-02", "OST-PRE-01", "ART-PRE-01", "OST-T-01", "OST-R-03", "ART-T-01",
                    "HCV-T-01"):
        assert RULES.get(rule_id).custody_message


@pytest.mark.parametrize("rule_id, programme", [
    ("OST-T-01", "ost"), ("ART-T-01", "art"), ("TB-06", "tb"), ("HCV-T-01", "hcv")])
def test_a_transfer_without_the_record_is_high_for_the_sending_nurse(rule_id, programme):
    rule = RULES.get(rule_id)
    assert (rule.kind, rule.programme, rule.severity, rule.role) == (
        "transfer_without_record", programme, "high", "nurse")
    assert rule.custody_message == ("Collect the sealed health envelope from the health unit "
                                    "before departure.")
    assert rule.escalate_to == (None if rule_id in ("OST-T-01", "TB-06") else "clinician")


# ------------------------------------------------------------------------------ ladders

@pytest.mark.parametrize("days, expected", [
    (0, []), (1, ["OST-M-01"]), (2, ["OST-M-02"]), (3, ["OST-M-03"]), (4, ["OST-M-04"]),
    (5, ["OST-M-05"]), (6, ["OST-M-05"]), (30, ["OST-M-05"]),
])
def test_methadone_ladder(days, expected):
    assert ids(evaluate_streak("ost", "methadone", days, False, RULES)) == expected


@pytest.mark.parametrize("days, expected", [
    (0, []), (1, ["OST-B-01"]), (2, ["OST-B-01"]), (3, ["OST-B-02"]), (4, ["OST-B-02"]),
    (5, ["OST-B-03"]), (6, ["OST-B-03"]),
])
def test_buprenorphine_ladder(days, expected):
    assert ids(evaluate_streak("ost", "buprenorphine", days, False, RULES)) == expected


@pytest.mark.parametrize("days, severity, blocks", [
    (1, "info", False), (2, "warning", False), (3, "high", True), (4, "high", True),
    (5, "critical", True),
])
def test_methadone_severity_and_dosing_block(days, severity, blocks):
    (hit,) = evaluate_streak("ost", "methadone", days, False, RULES)
    assert (hit.severity, hit.rule.blocks_dosing, hit.observed) == (severity, blocks, days)


@pytest.mark.parametrize("programme, family, days, expected", [
    ("ost", "methadone", 1, ["OST-P-01", "OST-M-01"]),
    ("ost", "buprenorphine", 1, ["OST-P-01", "OST-B-01"]),
    ("ost", "methadone", 5, ["OST-M-05", "OST-P-01"]),   # critical first, then high
    ("ost", "methadone", 0, []),
    ("art", None, 1, ["ART-04", "ART-01"]),
])
def test_pregnancy_raises_at_day_one(programme, family, days, expected):
    assert ids(evaluate_streak(programme, family, days, True, RULES)) == expected


@pytest.mark.parametrize("programme, phase, days, expected", [
    ("hcv", None, 1, ["HCV-01"]), ("hcv", None, 7, ["HCV-01"]), ("hcv", None, 8, ["HCV-02"]),
    ("hcv", None, 20, ["HCV-02"]), ("hcv", None, 21, ["HCV-03"]), ("hcv", None, 60, ["HCV-03"]),
    ("tb", "intensive", 1, ["TB-02"]), ("tb", "intensive", 13, ["TB-02"]),
    ("tb", "intensive", 14, ["TB-01"]), ("tb", "continuation", 55, []),
    ("tb", "continuation", 56, ["TB-03", "TB-04"]), ("tb", None, 20, []),
    # TB-04 (>= 56 days, any phase: record lost to follow-up) beside the phase ladders
    ("tb", "intensive", 55, ["TB-01"]), ("tb", "intensive", 56, ["TB-01", "TB-04"]),
    ("tb", "continuation", 400, ["TB-03", "TB-04"]), ("tb", None, 56, ["TB-04"]),
])
def test_calendar_day_ladders(programme, phase, days, expected):
    assert ids(evaluate_streak(programme, None, 1, False, RULES, interruption_days=days,
                               phase=phase)) == expected


GAP_AND_RELEASE = ("interruption_end", "release")


@pytest.mark.parametrize("rule_id, closes_on", [
    # the action is about the gap itself: moot once the dose is given again
    *[(r, GAP_AND_RELEASE) for r in ("OST-M-01", "OST-M-02", "OST-B-01", "ART-01", "TB-02",
                                     "HCV-01")],
    # the action must still happen after the gap: a person resolves it (or her release)
    *[(r, ("release",)) for r in ("OST-M-03", "OST-M-04", "OST-M-05", "OST-B-02", "OST-B-03",
                                  "OST-P-01", "ART-02", "ART-03", "ART-04", "TB-01", "TB-03",
                                  "HCV-02", "HCV-03")],
    ("TB-04", ()),                                       # the outcome is recorded by a person
    ("OST-T-01", ()), ("OST-E-02", ()), ("OST-R-03", ()), ("BR-01", ()),
])
def test_which_alerts_close_themselves(rule_id, closes_on):
    assert RULES.get(rule_id).closes_on == closes_on


@pytest.mark.parametrize("trigger, closes_on, fragment", [
    ('{ kind = "transfer_without_record" }', '["release"]', "does not apply to condition"),
    ('{ kind = "missed_in_window", min_missed = 2, window_days = 7 }',
     '["interruption_end"]', "does not apply to condition 'missed_in_window'"),
    ('{ kind = "pregnant_missed", min = 1 }', '["discharge"]', "unknown ['discharge']"),
    ('{ kind = "pregnant_missed", min = 1 }', '"release"', "must be a list"),
    ('{ kind = "pregnant_missed", min = 1 }', '["release", "release"]', "without repeats"),
])
def test_closes_on_is_validated(tmp_path, trigger, closes_on, fragment):
    path = tmp_path / "rules.toml"
    path.write_text(f'''
[[rule]]
id = "X-01"
programme = "art"
severity = "info"
role = "nurse"
action = "Do it."
source = "test"
condition = {trigger}
closes_on = {closes_on}
''')
    with pytest.raises(RuleFileError) as excinfo:
        load_rules(path)
    assert fragment in str(excinfo.value) and "X-01" in str(excinfo.value)


@pytest.mark.parametrize("missed, length, expected", [
    (1, 1, ["ART-01"]), (10, 28, ["ART-01"]), (10, 29, ["ART-03", "ART-01"]),
])
def test_art_interruption(missed, length, expected):
    assert ids(evaluate_streak("art", None, missed, False, RULES,
                               interruption_days=length)) == expected


def test_batch_evaluate_keeps_keys():
    streaks = [Streak("a", "ost", "methadone", 3), Streak("b", "hcv", None, 2, interruption_days=9),
               Streak("c", "ost", "methadone", 0)]
    assert [(k, h.rule_id) for k, h in evaluate(streaks, RULES)] == [("a", "OST-M-03"),
                                                                     ("b", "HCV-02")]


def test_episode_feeds_the_ladder():
    """Court day then two unrecorded days: a 3-day methadone streak blocks dosing."""
    doses = [DoseRecord(T0 + timedelta(days=n), date(2026, 3, 2) + timedelta(days=n), outcome,
                        custody) for n, (outcome, custody) in
             enumerate([("given", None), ("absent", "court_out"), ("missed", None),
                        ("missed", None)])]
    (episode,) = compute_episodes(doses, date(2026, 3, 5))
    assert (episode.cause, episode.missed_days, episode.end_on) == ("court", 3, None)
    (hit,) = evaluate_streak("ost", "methadone", episode.missed_days, False, RULES)
    assert (hit.rule_id, hit.severity, hit.rule.blocks_dosing) == ("OST-M-03", "high", True)


# ---------------------------------------------------------------------------- overrides

SHIFT = {"OST-M-03": {"min": 4}, "OST-M-04": {"min": 5}, "OST-M-05": {"min": 6}}


@pytest.mark.parametrize("overrides, family, days, default, expected", [
    ({"OST-M-05": {"min": 6}}, "methadone", 5, "OST-M-05", "OST-M-04"),
    ({"OST-M-05": {"min": 6}}, "methadone", 6, "OST-M-05", "OST-M-05"),
    ({"OST-B-02": {"min": 2}}, "buprenorphine", 2, "OST-B-01", "OST-B-02"),
    (SHIFT, "methadone", 3, "OST-M-03", "OST-M-02"),
    (SHIFT, "methadone", 4, "OST-M-04", "OST-M-03"),
])
def test_override_moves_a_threshold(overrides, family, days, default, expected):
    assert ids(evaluate_streak("ost", family, days, False, RULES)) == [default]
    rules = load_rules(overrides=overrides)
    assert ids(evaluate_streak("ost", family, days, False, rules)) == [expected]


def test_named_threshold_override_applies_to_every_rule_using_it():
    rules = load_rules(overrides={"admission_continuation_hours": 36})
    assert rules.get("OST-E-01").params["hours"] == rules.get("ART-06").params["hours"] == 36
    assert evaluate_not_continued("ost", T0, None, T0 + timedelta(hours=30), rules) == []
    assert ids(evaluate_not_continued("ost", T0, None, T0 + timedelta(hours=36), rules)) == [
        "OST-E-01"]


@pytest.mark.parametrize("overrides, fragments", [
    ({"OST-M-99": {"min": 2}}, ["OST-M-99", "no rule"]),
    ({"OST-M-03": {"mn": 4}}, ["OST-M-03", "'mn'"]),
    ({"OST-M-03": {"min": 4}}, ["OST-M-03", "OST-M-04", "both start at 4"]),
    ({"OST-M-03": {"min": 0}}, ["OST-M-03", "min must be a whole number"]),
    ({"release_window_days": "soon"}, ["release_window_days", "whole number"]),
    ({"grace_minutes": 30}, ["grace_minutes", "neither"]),
])
def test_bad_override_is_rejected_naming_it(overrides, fragments):
    with pytest.raises(RuleFileError) as excinfo:
        load_rules(overrides=overrides)
    for fragment in fragments:
        assert fragment in str(excinfo.value)


# ------------------------------------------------------------------- malformed rule files

GOOD = """
[thresholds]
hours = 24

[[rule]]
id = "T-01"
programme = "ost"
drug_family = "methadone"
severity = "info"
role = "nurse"
action = "Do it."
source = "test"
condition = { kind = "missed_consecutive_days", min = 1 }
"""
SECOND = GOOD.split("[[rule]]")[1].replace('"T-01"', '"T-02"').replace("min = 1", "min = 3")


@pytest.mark.parametrize("old, new, fragment", [
    ('kind = "missed_consecutive_days"', 'kind = "missed_days"', "unknown condition kind"),
    ('severity = "info"', 'severity = "medium"', "severity must be one of"),
    ('role = "nurse"', 'role = "prescriber"', "role must be one of"),
    ('programme = "ost"', 'programme = "prep"', "programme must be one of"),
    ('drug_family = "methadone"', 'drug_family = "morphine"', "drug_family must be one of"),
    ('drug_family = "methadone"\n', "", "needs drug_family"),
    ('source = "test"\n', "", "missing 'source'"),
    ('source = "test"', 'source = "  "', "source must be non-empty"),
    ('action = "Do it."', 'action = "Do it."\nnotes = "x"', "unknown key 'notes'"),
    ("min = 1 }", "min = 1, days = 2 }", "unknown parameter 'days'"),
    ("min = 1 }", 'min = "$missing" }', "unknown threshold"),
    ("min = 1 }", "min = 0 }", "min must be a whole number >= 1"),
    ("min = 1 }", "min = 2, max = 1 }", "max 1 is below min 2"),
    ("min = 1 }", "min = true }", "whole number"),
    ('role = "nurse"', 'role = "custody"', "custody needs a non-clinical custody_message"),
    ('role = "nurse"', 'role = "nurse"\nescalate_to = "nurse"', "escalate_to must differ"),
    ('role = "nurse"', 'role = "nurse"\ncustody_message = "Give the methadone dose."',
     "custody_message must be non-clinical (found 'methadone')"),
    ('id = "T-01"', 'id = "T-01x"', "must look like OST-M-01"),
    ('role = "nurse"', 'role = "nurse"\nblocks_dosing = "yes"', "blocks_dosing"),
    ('condition = { kind = "missed_consecutive_days", min = 1 }',
     'condition = { kind = "dose_lost_to_custody_event", events = ["police"] }', "'police'"),
    ('condition = { kind = "missed_consecutive_days", min = 1 }',
     'condition = { kind = "task_overdue", task = "rule6_screen", after = "admission" }',
     "missing 'hours'"),
])
def test_malformed_rule_is_rejected_naming_the_rule(tmp_path, old, new, fragment):
    assert old in GOOD
    path = tmp_path / "rules.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(RuleFileError) as excinfo:
        load_rules(path)
    message = str(excinfo.value)
    assert "rules.toml" in message and "T-01" in message and fragment in message


@pytest.mark.parametrize("text, fragments", [
    (GOOD + "[[rule]]" + GOOD.split("[[rule]]")[1], ["rule T-01: duplicate id"]),
    (GOOD + "[[rule]]" + SECOND.replace("min = 3", "min = 1"), ["T-01", "T-02", "both start at 1"]),
    (GOOD.replace("min = 1 }", "min = 1, max = 3 }") + "[[rule]]" + SECOND,
     ["T-01 (up to 3) overlaps rule T-02 (from 3)"]),
    (GOOD.replace('id = "T-01"\n', ""), ["rule #1 (no id)", "missing 'id'"]),
    ("extra = 1\n" + GOOD, ["unknown top-level key 'extra'"]),
    ("[thresholds]\nx = 1\n", ["no [[rule]] entries"]),
    (GOOD.replace("[[rule]]", "[[rule"), ["not valid TOML"]),
])
def test_malformed_file_is_rejected(tmp_path, text, fragments):
    path = tmp_path / "rules.toml"
    path.write_text(text)
    with pytest.raises(RuleFileError) as excinfo:
        load_rules(path)
    for fragment in fragments:
        assert fragment in str(excinfo.value)


def test_all_problems_reported_at_once(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(GOOD.replace('severity = "info"', 'severity = "low"')
                    .replace('role = "nurse"', 'role = "doctor"'))
    with pytest.raises(RuleFileError) as excinfo:
        load_rules(path)
    assert len(excinfo.value.errors) == 2


def test_valid_minimal_file_and_explicit_max(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(GOOD.replace("min = 1 }", "min = 1, max = 1 }") + "[[rule]]" + SECOND)
    rules = load_rules(path)
    assert [ids(evaluate_streak("ost", "methadone", d, False, rules)) for d in (1, 2, 3)] == [
        ["T-01"], [], ["T-02"]]


# ------------------------------------------------------------------ other condition kinds

@pytest.mark.parametrize("programme, first_dose_h, expected", [
    ("ost", 20, []), ("ost", 24, []), ("ost", 25, ["OST-E-01"]), ("art", 30, ["ART-06"]),
    ("tb", 30, []),
])
def test_not_continued_after_admission_dosed_late(programme, first_dose_h, expected):
    first = T0 + timedelta(hours=first_dose_h)
    assert ids(evaluate_not_continued(programme, T0, first, T0 + timedelta(hours=48),
                                      RULES)) == expected


@pytest.mark.parametrize("hours_since, expected", [(23, []), (24, ["OST-E-01"]), (48, ["OST-E-01"])])
def test_not_continued_after_admission_still_no_dose(hours_since, expected):
    assert ids(evaluate_not_continued("ost", T0, None, T0 + timedelta(hours=hours_since),
                                      RULES)) == expected


@pytest.mark.parametrize("programme, absence, expected", [
    ("ost", "court", ["OST-E-02"]), ("ost", "transfer", ["OST-E-02"]), ("ost", "hospital", []),
    ("art", "court", []),
])
def test_dose_lost_to_custody_event(programme, absence, expected):
    assert ids(evaluate_custody_dose_loss(programme, absence, RULES)) == expected


@pytest.mark.parametrize("programme, event, returns_h, expected", [
    ("ost", "court_scheduled", 12, ["OST-PRE-01"]),   # 07:00-19:00 covers the 08:00 dose
    ("ost", "court_scheduled", 1, []),                # back before the dose
    ("ost", "transfer_scheduled", None, ["OST-PRE-01"]),
    ("art", "court_scheduled", 12, ["ART-PRE-01"]),
    ("ost", "release_scheduled", 12, []),
])
def test_planned_absence_raises_a_task_before_departure(programme, event, returns_h, expected):
    returns = None if returns_h is None else T0 + timedelta(hours=returns_h)
    hits = evaluate_planned_absence(programme, event, T0, returns, [T0 + timedelta(hours=1)], RULES)
    assert ids(hits) == expected
    assert all(h.rule.custody_message.startswith("Bring the person to the health unit before "
                                                 "departure; the escort carries any sealed")
               for h in hits)


@pytest.mark.parametrize("programme, sent, expected", [
    ("ost", False, ["OST-T-01"]), ("ost", True, []), ("tb", False, ["TB-06"]),
    ("hcv", False, ["HCV-T-01"]), ("art", False, ["ART-T-01"]), ("women", False, []),
])
def test_transfer_without_record(programme, sent, expected):
    assert ids(evaluate_transfer_record(programme, sent, RULES)) == expected


@pytest.mark.parametrize("programme, planned, expected", [
    ("ost", False, ["OST-R-03"]), ("ost", True, []), ("art", False, ["ART-U-01"]),
    ("hcv", False, []),
])
def test_unplanned_release(programme, planned, expected):
    assert ids(evaluate_unplanned_release(programme, planned, RULES)) == expected


OST_DONE = frozenset({"prescription_sent", "naloxone", "overdose_training"})


@pytest.mark.parametrize("programme, facts, expected", [
    ("ost", ReleaseFacts(20), []),
    ("ost", ReleaseFacts(14), ["OST-R-01", "OST-R-02"]),
    ("ost", ReleaseFacts(10, OST_DONE, appointment_in_days=1), []),
    ("ost", ReleaseFacts(10, OST_DONE, appointment_in_days=3), ["OST-R-01"]),
    ("ost", ReleaseFacts(10, OST_DONE - {"naloxone"}, appointment_in_days=0), ["OST-R-02"]),
    ("art", ReleaseFacts(5, frozenset({"community_appointment"}), bridging_days=30), []),
    ("art", ReleaseFacts(5, frozenset({"community_appointment"}), bridging_days=14), ["ART-07"]),
    ("art", ReleaseFacts(5, bridging_days=60), ["ART-07"]),
    ("hcv", ReleaseFacts(3, frozenset({"remaining_supply"})), ["HCV-04"]),
])
def test_release_plan(programme, facts, expected):
    assert ids(evaluate_release_plan(programme, facts, RULES)) == expected


@pytest.mark.parametrize("task, hours_since, done_h, dependent, expected", [
    ("rule6_screen", 23, None, False, []),
    ("rule6_screen", 24, None, False, ["BR-01"]),
    ("rule6_screen", 48, 20, False, []),
    ("rule6_screen", 48, 30, False, ["BR-01"]),
    ("children_recorded", 30, None, False, ["BR-02"]),
    ("antenatal_assessment", 30, None, False, []),
    ("antenatal_assessment", 30, None, True, ["BR-03"]),
    ("antenatal_assessment", 168, None, False, ["BR-03"]),
    ("child_health_screen", 100, None, False, []),
    ("child_health_screen", 200, None, False, ["BR-07"]),
])
def test_task_overdue(task, hours_since, done_h, dependent, expected):
    done = None if done_h is None else T0 + timedelta(hours=done_h)
    assert ids(evaluate_task_overdue(task, T0, done, T0 + timedelta(hours=hours_since), RULES,
                                     substance_dependent=dependent)) == expected


@pytest.mark.parametrize("missed_offsets, expected", [
    ([0], []), ([0, 6], ["ART-02"]), ([0, 7], []), ([-1, 3], []),
])
def test_art_missed_in_window(missed_offsets, expected):
    today = date(2026, 3, 9)
    missed = [today - timedelta(days=n) for n in missed_offsets]
    assert ids(evaluate_missed_in_window("art", missed, today, RULES)) == expected

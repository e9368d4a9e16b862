"""The shape of the alert rule table: vocabulary, validation and deployment overrides.

Works on plain dicts (parsed TOML) and returns plain dicts; ``alert_rules`` turns them
into ``AlertRule`` objects. Every problem is collected and reported at once, each naming
its rule.
"""
from __future__ import annotations

import copy
import re
from typing import Any, Mapping

SEVERITIES = ("info", "warning", "high", "critical")  # ascending
ROLES = ("nurse", "clinician", "release_officer", "custody")
PROGRAMMES = ("ost", "art", "tb", "hcv", "women")
DRUG_FAMILIES = ("methadone", "buprenorphine")
PHASES = ("intensive", "continuation")
ABSENCES = ("court", "transfer", "hospital")
PLANNED_EVENTS = ("court_scheduled", "transfer_scheduled")
RELEASE_ITEMS = ("community_appointment", "prescription_sent", "naloxone", "overdose_training",
                 "remaining_supply", "community_prescriber", "dot_handover")
TASKS = ("rule6_screen", "children_recorded", "antenatal_assessment", "child_health_screen")
TASK_STARTS = ("admission", "pregnancy_recorded", "child_admitted")
CHECKLISTS = ("intake",)          # checklists whose items a task_overdue rule may name
_ITEM_ID = re.compile(r"^[A-Z]+-\d+[a-z]?$")
LADDER_KINDS = ("missed_consecutive_days", "consecutive_interruption_days")
# Conditions about her treatment rather than a place or a task: their alerts follow her
# on transfer, and they may close themselves (`closes_on`) when
#   interruption_end  the interruption episode ends: the programme's dose given again
#                     (rules whose alert names an episode)
#   release           the custody episode ends by release (the release rules take over)
EPISODE_KINDS = LADDER_KINDS + ("pregnant_missed",)
TREATMENT_KINDS = EPISODE_KINDS + ("missed_in_window",)
CLOSES_ON = {"interruption_end": EPISODE_KINDS, "release": TREATMENT_KINDS}
# Words that would disclose a diagnosis or treatment to custody staff.
_CLINICAL_WORDS = re.compile(
    r"\b(methadone|buprenorphine|opioids?|opiates?|ost|art|arvs?|antiretroviral|hiv|tb|"
    r"tuberculosis|hepatitis|hcv|pregnan\w*|withdrawal|overdose|naloxone|doses?|dosing|"
    r"medications?|medicines?|drugs?|diagnos\w*|treatment|prescri\w*)\b", re.IGNORECASE)
_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")
_RULE_KEYS = {"id", "programme", "drug_family", "condition", "severity", "role", "escalate_to",
              "action", "custody_message", "source", "blocks_dosing", "closes_on"}
_REQUIRED = ("id", "programme", "condition", "severity", "role", "action", "source")


def _int(lo: int):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            return f"must be a whole number >= {lo}"
    return check


def _choice(options):
    def check(v):
        if v not in options:
            return f"must be one of {', '.join(options)} (got {v!r})"
    return check


def _item_ids(v):
    if not isinstance(v, list) or not v:
        return "must be a non-empty list of checklist item ids"
    bad = [x for x in v if not isinstance(x, str) or not _ITEM_ID.match(x)]
    if bad:
        return f"not checklist item ids: {bad!r}"


def _subset(options, allow_empty=False):
    def check(v):
        if not isinstance(v, list) or (not v and not allow_empty):
            return "must be a non-empty list"
        bad = [x for x in v if x not in options]
        if bad:
            return f"unknown {bad!r}; allowed: {', '.join(options)}"
    return check


# condition kind -> {param: (check, required)}
CONDITION_PARAMS: dict[str, dict[str, tuple[Any, bool]]] = {
    "missed_consecutive_days": {"min": (_int(1), True), "max": (_int(1), False)},
    "consecutive_interruption_days": {"min": (_int(1), True), "max": (_int(1), False),
                                      "phase": (_choice(PHASES), False)},
    "pregnant_missed": {"min": (_int(1), True)},
    "missed_in_window": {"min_missed": (_int(1), True), "window_days": (_int(1), True)},
    "not_continued_after_admission": {"hours": (_int(1), True)},
    "dose_lost_to_custody_event": {"events": (_subset(ABSENCES), True)},
    "dose_due_during_planned_absence": {"events": (_subset(PLANNED_EVENTS), True)},
    "transfer_without_record": {"within_hours": (_int(0), False)},
    "unplanned_release": {},
    "release_plan_incomplete": {"within_days": (_int(0), True),
                                "requires": (_subset(RELEASE_ITEMS, allow_empty=True), False),
                                "min_bridging_days": (_int(1), False),
                                "appointment_within_days": (_int(0), False)},
    "task_overdue": {"task": (_choice(TASKS), True), "after": (_choice(TASK_STARTS), True),
                     "hours": (_int(1), True), "hours_if_substance_dependent": (_int(1), False),
                     "checklist": (_choice(CHECKLISTS), False), "items": (_item_ids, False)},
}


class RuleFileError(ValueError):
    """The rule table (or an override) is invalid; ``errors`` lists every problem."""

    def __init__(self, origin: str, errors: list[str]):
        self.errors = list(errors)
        super().__init__(f"{origin}: " + "; ".join(errors))


def normalise(data: Mapping[str, Any], overrides: Mapping[str, Any], origin: str
              ) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Apply overrides, validate, resolve ``$threshold`` references and close ladders.

    Returns the named thresholds and one flat dict per rule (``kind`` and ``params``
    in place of ``condition``); raises RuleFileError listing every problem.
    """
    errors: list[str] = []
    data = _apply_overrides(data, overrides, errors)
    errors += [f"unknown top-level key {k!r}" for k in sorted(set(data) - {"thresholds", "rule"})]
    thresholds = _thresholds(data.get("thresholds", {}), errors)
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list) or not raw_rules:
        errors.append("no [[rule]] entries")
        raw_rules = []
    rules = []
    for index, raw in enumerate(raw_rules):
        problems = _rule_problems(raw, thresholds) if isinstance(raw, dict) else ["not a table"]
        errors += [f"{_name(raw, index)}: {p}" for p in problems]
        if not problems:
            rules.append(_flatten(raw, thresholds))
    ids = [r["id"] for r in rules]
    errors += [f"rule {i}: duplicate id" for i in sorted({i for i in ids if ids.count(i) > 1})]
    _close_ladders(rules, errors)
    if errors:
        raise RuleFileError(origin, errors)
    return thresholds, rules


def _name(raw, index: int) -> str:
    rid = raw.get("id") if isinstance(raw, dict) else None
    return f"rule {rid}" if isinstance(rid, str) and rid else f"rule #{index + 1} (no id)"


def _apply_overrides(data, overrides, errors) -> dict:
    """Per-rule ``{"OST-M-05": {"min": 6}}`` or named ``{"release_window_days": 7}``."""
    data = copy.deepcopy(dict(data))
    by_id = {r.get("id"): r for r in data.get("rule", []) if isinstance(r, dict)}
    names = data.setdefault("thresholds", {})
    for key, value in overrides.items():
        if isinstance(value, Mapping):
            rule = by_id.get(key)
            if rule is None:
                errors.append(f"override {key}: no rule with this id")
                continue
            cond = rule.get("condition") if isinstance(rule.get("condition"), dict) else {}
            allowed = CONDITION_PARAMS.get(cond.get("kind"), {})
            for param, v in value.items():
                if param not in allowed:
                    errors.append(f"override {key}: {param!r} is not a parameter of its "
                                  f"condition {cond.get('kind')!r}")
                cond[param] = v
        elif isinstance(names, dict) and key in names:
            names[key] = value
        else:
            errors.append(f"override {key}: neither a rule id nor a named threshold")
    return data


def _thresholds(raw, errors) -> dict[str, int]:
    if not isinstance(raw, dict):
        errors.append("[thresholds] must be a table")
        return {}
    errors += [f"threshold {name}: {p}" for name, v in raw.items() if (p := _int(0)(v))]
    return dict(raw)


def _flatten(raw: dict, thresholds: Mapping[str, int]) -> dict[str, Any]:
    rule = {k: v for k, v in raw.items() if k != "condition"}
    cond = dict(raw["condition"])
    rule["kind"] = cond.pop("kind")
    rule["closes_on"] = tuple(raw.get("closes_on", ()))
    rule["params"] = {k: _resolve(v, thresholds) for k, v in cond.items()}
    return rule


def _resolve(value, thresholds):
    if isinstance(value, str) and value.startswith("$"):
        return thresholds[value[1:]]
    return value


def _rule_problems(raw: dict, thresholds) -> list[str]:
    p = [f"unknown key {k!r}" for k in sorted(set(raw) - _RULE_KEYS)]
    p += [f"missing {k!r}" for k in _REQUIRED if k not in raw]
    if "id" in raw and not (isinstance(raw["id"], str) and _ID.match(raw["id"])):
        p.append(f"id {raw['id']!r} must look like OST-M-01")
    for key, options in (("programme", PROGRAMMES), ("severity", SEVERITIES), ("role", ROLES),
                         ("escalate_to", ROLES), ("drug_family", DRUG_FAMILIES)):
        if key in raw and (problem := _choice(options)(raw[key])):
            p.append(f"{key} {problem}")
    for key in ("action", "source", "custody_message"):
        if key in raw and not (isinstance(raw[key], str) and raw[key].strip()):
            p.append(f"{key} must be non-empty text")
    if not isinstance(raw.get("blocks_dosing", False), bool):
        p.append("blocks_dosing must be true or false")
    p += _custody_problems(raw)
    if "condition" in raw:
        p += _condition_problems(raw, thresholds)
    if "closes_on" in raw:
        p += _closes_on_problems(raw)
    return p


def _closes_on_problems(raw: dict) -> list[str]:
    value = raw["closes_on"]
    if not isinstance(value, list) or len(set(map(repr, value))) != len(value):
        return ["closes_on must be a list without repeats"]
    if problem := _subset(tuple(CLOSES_ON), allow_empty=True)(value):
        return [f"closes_on: {problem}"]
    kind = raw["condition"].get("kind") if isinstance(raw.get("condition"), dict) else None
    return [f"closes_on {event!r} does not apply to condition {kind!r} (only to "
            f"{', '.join(CLOSES_ON[event])})" for event in value if kind not in CLOSES_ON[event]]


def _custody_problems(raw: dict) -> list[str]:
    message = raw.get("custody_message")
    if raw.get("role") == "custody" and not message:
        return ["role custody needs a non-clinical custody_message"]
    if raw.get("escalate_to") is not None and raw.get("escalate_to") == raw.get("role"):
        return ["escalate_to must differ from role"]
    if isinstance(message, str) and (m := _CLINICAL_WORDS.search(message)):
        return [f"custody_message must be non-clinical (found {m.group(0)!r})"]
    return []


def _condition_problems(raw: dict, thresholds) -> list[str]:
    cond = raw["condition"]
    if not isinstance(cond, dict) or "kind" not in cond:
        return ["condition must be a table with a kind"]
    kind = cond["kind"]
    if kind not in CONDITION_PARAMS:
        return [f"unknown condition kind {kind!r}; known: {', '.join(CONDITION_PARAMS)}"]
    spec = CONDITION_PARAMS[kind]
    p = [f"condition {kind}: unknown parameter {k!r}" for k in cond if k != "kind" and k not in spec]
    for param, (check, required) in spec.items():
        if param not in cond:
            p += [f"condition {kind}: missing {param!r}"] if required else []
            continue
        value = cond[param]
        if isinstance(value, str) and value.startswith("$"):
            if value[1:] not in thresholds:
                p.append(f"condition {kind}: {param} refers to unknown threshold {value!r}")
                continue
            value = thresholds[value[1:]]
        if problem := check(value):
            p.append(f"condition {kind}: {param} {problem}")
    if not p and "max" in cond and cond["max"] < _resolve(cond["min"], thresholds):
        p.append(f"condition {kind}: max {cond['max']} is below min {cond['min']}")
    if kind in LADDER_KINDS and raw.get("programme") == "ost" and not raw.get("drug_family"):
        p.append("an OST ladder rung needs drug_family")
    return p


def _close_ladders(rules: list[dict[str, Any]], errors: list[str]) -> None:
    """Give each ladder rung a ``max`` (next rung's min - 1, or None); reject overlaps.

    A ladder is the rungs sharing kind, programme, drug family and phase.
    """
    ladders: dict[tuple, list[dict]] = {}
    for r in rules:
        if r["kind"] in LADDER_KINDS:
            key = (r["kind"], r["programme"], r.get("drug_family"), r["params"].get("phase"))
            ladders.setdefault(key, []).append(r)
    for rungs in ladders.values():
        rungs.sort(key=lambda r: (r["params"]["min"], r["id"]))
        for low, high in zip(rungs, rungs[1:] + [None]):
            top = low["params"].get("max")
            if high is not None:
                start = high["params"]["min"]
                if top is None and start == low["params"]["min"]:
                    errors.append(f"rule {low['id']} and rule {high['id']}: both start at {start}")
                elif top is not None and top >= start:
                    errors.append(f"rule {low['id']} (up to {top}) overlaps rule {high['id']} "
                                  f"(from {start})")
                top = start - 1 if top is None else top
            low["params"]["max"] = top

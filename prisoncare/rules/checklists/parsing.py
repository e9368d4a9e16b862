"""Strict parsing of one checklist definition (a TOML table) into dataclasses.
Every problem is collected and reported at once, each naming the item it is in.
"""
from prisoncare.rules.checklists.answers import answer_values
from prisoncare.rules.checklists.model import (
    CONDITION_NAMES, ChecklistDefinition, ChecklistItem, Conditions, Section,
)
from prisoncare.rules.checklists.vocabulary import (
    ANSWER_TYPES, DUE_FROM, ITEM_ID, KINDS, MARKERS, POPULATIONS, SECTION_ID, SEXES,
    TRIGGER_EVENTS, rule_ref_problem,
)

TOP_KEYS = ("kind", "version", "title", "description", "triggers", "due_hours",
            "due_from", "sections", "items")
TOP_REQUIRED = ("kind", "version", "title", "triggers", "due_hours", "sections", "items")
SECTION_KEYS = ("id", "title")
ITEM_KEYS = ("id", "section", "question", "rule_refs", "applies_to", "answer_type",
             "options", "min", "max", "max_length", "declinable", "confidential",
             "due_hours", "follow_up_of", "shown_when")
ITEM_REQUIRED = ("id", "section", "question", "rule_refs", "answer_type")
LIST_CONDITIONS = {"sex": SEXES, "facility_population": POPULATIONS}


class DefinitionError(ValueError):
    """A checklist file that must not be used; `problems` lists every reason."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


def parse_definition(data: object, source: str,
                     expected_kind: str | None = None) -> ChecklistDefinition:
    """Build a definition from parsed TOML, or raise DefinitionError."""
    if not isinstance(data, dict):
        raise DefinitionError(source, ["a checklist definition must be a table"])
    out: list[str] = []
    definition = _parse(data, expected_kind, out)
    if out:
        raise DefinitionError(source, out)
    return definition


def _parse(data: dict, expected_kind: str | None, out: list[str]):
    _check_keys(data, TOP_KEYS, TOP_REQUIRED, out.append)
    kind = data.get("kind")
    if kind not in KINDS:
        out.append(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    elif expected_kind and kind != expected_kind:
        out.append(f"kind {kind!r} does not match the file name ({expected_kind!r})")
    if not _is_int(data.get("version")) or data.get("version") < 1:
        out.append(f"version must be a whole number from 1, not {data.get('version')!r}")
    _text(data.get("title"), "title", out.append)
    triggers = _list_of(data.get("triggers"), TRIGGER_EVENTS, "triggers", out.append)
    if "due_hours" in data and not _is_int(data["due_hours"]):
        out.append(f"due_hours must be a whole number of hours, not {data['due_hours']!r}")
    due_from = data.get("due_from", "trigger")
    if due_from not in DUE_FROM:
        out.append(f"due_from must be one of {', '.join(DUE_FROM)}, not {due_from!r}")
    sections = _parse_sections(data.get("sections"), out)
    items = _parse_items(data.get("items"), KINDS.get(kind), {s.id for s in sections}, out)
    raw_items = data.get("items") if isinstance(data.get("items"), list) else []
    used = {entry.get("section") for entry in raw_items if isinstance(entry, dict)}
    out.extend(f"section {s.id}: has no items" for s in sections if s.id not in used)
    if out:
        return None
    return ChecklistDefinition(
        kind=kind, version=data["version"], title=data["title"], triggers=triggers,
        due_hours=data["due_hours"], due_from=due_from, sections=tuple(sections),
        items=tuple(items), description=data.get("description", ""))


def _parse_sections(raw: object, out: list[str]) -> list[Section]:
    if not isinstance(raw, list) or not raw:
        out.append("sections must be a non-empty list of [[sections]] tables")
        return []
    sections: list[Section] = []
    for n, entry in enumerate(raw, 1):
        problem = _prefixed(out, f"section #{n}")
        if not isinstance(entry, dict):
            problem("must be a table")
            continue
        _check_keys(entry, SECTION_KEYS, SECTION_KEYS, problem)
        sid = entry.get("id")
        if not isinstance(sid, str) or not SECTION_ID.match(sid):
            problem(f"id must be lower_snake_case, not {sid!r}")
        elif any(s.id == sid for s in sections):
            problem(f"duplicate section id {sid!r}")
        elif _text(entry.get("title"), "title", problem):
            sections.append(Section(id=sid, title=entry["title"]))
    return sections


def _parse_items(raw: object, prefix: str | None, section_ids: set[str],
                 out: list[str]) -> list[ChecklistItem]:
    if not isinstance(raw, list) or not raw:
        out.append("items must be a non-empty list of [[items]] tables")
        return []
    items: dict[str, ChecklistItem] = {}
    for n, entry in enumerate(raw, 1):
        item_id = entry.get("id") if isinstance(entry, dict) else None
        item_id = item_id if isinstance(item_id, str) else None
        label = f"item {item_id}" if item_id else f"item #{n}"
        if item_id in items:
            out.append(f"{label}: duplicate item id")
            continue
        item = _parse_item(entry, prefix, section_ids, items, _prefixed(out, label))
        if item is not None:
            items[item.id] = item
    return list(items.values())


def _parse_item(raw: object, prefix, section_ids, earlier, problem):
    if not isinstance(raw, dict):
        problem("must be a table")
        return None
    before = problem.count()
    _check_keys(raw, ITEM_KEYS, ITEM_REQUIRED, problem)
    match = ITEM_ID.match(raw["id"]) if isinstance(raw.get("id"), str) else None
    if not match:
        problem(f"id must look like IN-01 or IN-19a, not {raw.get('id')!r}")
    elif prefix and match["prefix"] != prefix:
        problem(f"id must start with {prefix}- in this checklist")
    if raw.get("section") not in section_ids:
        problem(f"unknown section {raw.get('section')!r}")
    _text(raw.get("question"), "question", problem)
    _check_rule_refs(raw.get("rule_refs"), problem)
    spec = _parse_answer_spec(raw, problem)
    conditions = parse_conditions(raw.get("applies_to"), problem)
    for name in ("declinable", "confidential"):
        if not isinstance(raw.get(name, False), bool):
            problem(f"{name} must be true or false")
    if "due_hours" in raw and not _is_int(raw["due_hours"]):
        problem(f"due_hours must be a whole number of hours, not {raw['due_hours']!r}")
    if problem.count() > before:
        return None
    item = ChecklistItem(
        id=raw["id"], section=raw["section"], question=raw["question"],
        rule_refs=tuple(raw["rule_refs"]), applies_to=conditions,
        declinable=raw.get("declinable", False), confidential=raw.get("confidential", False),
        due_hours=raw.get("due_hours"), follow_up_of=raw.get("follow_up_of"),
        shown_when=tuple(raw.get("shown_when", ())), **spec)
    return item if _check_follow_up(item, raw, earlier, problem) else None


def _parse_answer_spec(raw: dict, problem) -> dict:
    kind = raw.get("answer_type")
    if kind not in ANSWER_TYPES:
        problem(f"unknown answer_type {kind!r} (known: {', '.join(ANSWER_TYPES)})")
        return {}
    for key, owner in (("options", "choice"), ("min", "number"), ("max", "number"),
                       ("max_length", "text")):
        if key in raw and kind != owner:
            problem(f"{key} is only allowed with answer_type {owner!r}")
    spec: dict = {"answer_type": kind}
    if kind == "choice":
        spec["options"] = _check_options(raw.get("options"), problem)
    for key in ("min", "max"):
        value = raw.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            problem(f"{key} must be a number, not {value!r}")
        elif value is not None and kind == "number":
            spec[key] = value
    if spec.get("min") is not None and spec.get("max") is not None and spec["min"] > spec["max"]:
        problem(f"min {spec['min']} is greater than max {spec['max']}")
    if "max_length" in raw and kind == "text":
        if not _is_int(raw["max_length"]) or raw["max_length"] < 1:
            problem(f"max_length must be a positive whole number, not {raw['max_length']!r}")
        else:
            spec["max_length"] = raw["max_length"]
    return spec


def _check_options(raw: object, problem) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        problem("a choice needs a non-empty list of options")
        return ()
    for option in raw:
        if not isinstance(option, str) or not SECTION_ID.match(option):
            problem(f"option {option!r} must be a lower_snake_case word")
        elif option in MARKERS:
            problem(f"option {option!r} is reserved; use declinable = true or not_applicable")
    if len(set(map(str, raw))) != len(raw):
        problem("options must not repeat")
    return tuple(raw)


def _check_rule_refs(raw: object, problem) -> None:
    if not isinstance(raw, list) or not raw:
        problem("rule_refs must list at least one rule reference")
        return
    for ref in raw:
        reason = rule_ref_problem(ref)
        if reason:
            problem(reason)


def _check_follow_up(item: ChecklistItem, raw: dict, earlier: dict, problem) -> bool:
    if item.follow_up_of is None:
        if "shown_when" in raw:
            problem("shown_when needs follow_up_of")
        return "shown_when" not in raw
    parent = earlier.get(item.follow_up_of)
    if parent is None:
        problem(f"follow_up_of {item.follow_up_of!r} must name an earlier item")
        return False
    allowed = answer_values(parent)
    if not allowed:
        problem(f"follow_up_of {parent.id}: its answer_type {parent.answer_type!r} "
                "cannot trigger follow-ups")
        return False
    if not isinstance(raw.get("shown_when"), list) or not raw["shown_when"]:
        problem(f"shown_when must list answers of {parent.id} that show this item")
        return False
    bad = [v for v in raw["shown_when"] if v not in allowed]
    if bad:
        problem(f"shown_when {bad!r} are not answers of {parent.id} ({', '.join(allowed)})")
    return not bad


def parse_conditions(raw: object, problem, nested: bool = False) -> Conditions:
    """Parse an `applies_to` table; `any_of` holds a list of such tables (one level)."""
    if raw is None:
        return Conditions()
    if not isinstance(raw, dict):
        problem("applies_to must be a table")
        return Conditions()
    values: dict = {}
    for key, value in raw.items():
        if key not in CONDITION_NAMES or (nested and key == "any_of"):
            problem(f"unknown condition {key!r}")
        elif key in LIST_CONDITIONS:
            values[key] = _list_of(value, LIST_CONDITIONS[key], key, problem)
        elif key in ("age_min", "age_max"):
            if not _is_int(value) or not 0 <= value <= 130:
                problem(f"{key} must be a whole number of years, not {value!r}")
            values[key] = value
        elif key == "any_of":
            values[key] = _parse_any_of(value, problem)
        elif not isinstance(value, bool):
            problem(f"condition {key} must be true or false, not {value!r}")
        else:
            values[key] = value
    low, high = values.get("age_min"), values.get("age_max")
    if _is_int(low) and _is_int(high) and low > high:
        problem(f"age_min {low} is greater than age_max {high}")
    return Conditions(**values)


def _parse_any_of(value: object, problem) -> tuple[Conditions, ...]:
    if not isinstance(value, list) or not value:
        problem("any_of must be a non-empty list of condition tables")
        return ()
    return tuple(parse_conditions(sub, problem, nested=True) for sub in value)


def _check_keys(table: dict, allowed, required, problem) -> None:
    for key in table:
        if key not in allowed:
            problem(f"unknown key {key!r}")
    for key in required:
        if key not in table:
            problem(f"missing key {key!r}")


def _list_of(value: object, allowed, name: str, problem) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        problem(f"{name} must be a non-empty list")
        return ()
    for v in value:
        if v not in allowed:
            problem(f"{name}: unknown value {v!r} (known: {', '.join(allowed)})")
    return tuple(value)


def _text(value: object, name: str, problem) -> bool:
    if isinstance(value, str) and value.strip():
        return True
    problem(f"{name} must be non-empty text")
    return False


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _prefixed:
    """Append problems to `out` with a label; counts what it appended."""

    def __init__(self, out: list[str], label: str):
        self.out, self.label, self.n = out, label, 0

    def __call__(self, message: str) -> None:
        self.out.append(f"{self.label}: {message}")
        self.n += 1

    def count(self) -> int:
        return self.n

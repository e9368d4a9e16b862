"""Loading the shipped checklist files (data/<kind>.toml) and snapshots of them.

A started checklist keeps the snapshot of the version it was opened with
(`to_snapshot`, restored by `from_snapshot`), so publishing a new version of a
file never changes checklists already started.
"""
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

from prisoncare.rules.checklists.model import ChecklistDefinition, Conditions
from prisoncare.rules.checklists.parsing import DefinitionError, parse_definition
from prisoncare.rules.checklists.vocabulary import KINDS


def load_definition_file(path: str | Path) -> ChecklistDefinition:
    """Load and validate one file; its stem must be its kind (intake.toml)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(path.name, [f"not valid TOML: {exc}"]) from exc
    return parse_definition(data, path.name, expected_kind=path.stem)


@cache
def load_definition(kind: str) -> ChecklistDefinition:
    """The current shipped definition of a kind."""
    if kind not in KINDS:
        raise KeyError(f"unknown checklist kind {kind!r}")
    resource = resources.files(__package__) / "data" / f"{kind}.toml"
    with resources.as_file(resource) as path:
        return load_definition_file(path)


def load_all() -> dict[str, ChecklistDefinition]:
    """Every shipped definition, by kind."""
    return {kind: load_definition(kind) for kind in KINDS}


def definitions_for_event(event_type: str) -> list[ChecklistDefinition]:
    """The checklists a custody event opens."""
    return [d for d in load_all().values() if event_type in d.triggers]


def from_snapshot(data: dict) -> ChecklistDefinition:
    """Rebuild a definition stored with a started checklist (same checks as a file)."""
    kind = data.get("kind") if isinstance(data, dict) else None
    return parse_definition(data, f"snapshot of {kind!r}")


def to_snapshot(definition: ChecklistDefinition) -> dict:
    """A JSON- and TOML-ready dict in the file's own shape."""
    return {
        "kind": definition.kind, "version": definition.version, "title": definition.title,
        **({"description": definition.description} if definition.description else {}),
        "triggers": list(definition.triggers), "due_hours": definition.due_hours,
        "due_from": definition.due_from,
        "sections": [{"id": s.id, "title": s.title} for s in definition.sections],
        "items": [_item_dict(i) for i in definition.items],
    }


def _item_dict(item) -> dict:
    data = {"id": item.id, "section": item.section, "question": item.question,
            "rule_refs": list(item.rule_refs), "answer_type": item.answer_type}
    conditions = _conditions_dict(item.applies_to)
    optional = {"applies_to": conditions, "options": list(item.options),
                "min": item.min, "max": item.max, "max_length": item.max_length,
                "declinable": item.declinable or None,
                "confidential": item.confidential or None, "due_hours": item.due_hours,
                "follow_up_of": item.follow_up_of, "shown_when": list(item.shown_when)}
    return data | {k: v for k, v in optional.items() if v not in (None, [], {})}


def _conditions_dict(conditions: Conditions) -> dict:
    data = {}
    for name, value in vars(conditions).items():
        if name == "any_of":
            if value:
                data[name] = [_conditions_dict(c) for c in value]
        elif value is not None:
            data[name] = list(value) if isinstance(value, tuple) else value
    return data

"""Checklists as versioned data: intake, pre-court, pre-transfer, transfer-in and
pre-release. One TOML file per checklist in data/, each item citing its rules.
Pure: no Flask, no database.
"""
from prisoncare.rules.checklists.answers import answer_values, is_declinable, validate_answer
from prisoncare.rules.checklists.applicability import (
    applicable_items, applies, visible_items,
)
from prisoncare.rules.checklists.definitions import (
    definitions_for_event, from_snapshot, load_all, load_definition, load_definition_file,
    to_snapshot,
)
from prisoncare.rules.checklists.model import (
    ChecklistDefinition, ChecklistItem, ChecklistSubject, Conditions, Section,
)
from prisoncare.rules.checklists.parsing import DefinitionError, parse_definition
from prisoncare.rules.checklists.timing import anchor_at, due_at, is_overdue, overdue_items
from prisoncare.rules.checklists.vocabulary import KINDS

__all__ = [
    "KINDS", "ChecklistDefinition", "ChecklistItem", "ChecklistSubject", "Conditions",
    "DefinitionError", "Section", "anchor_at", "answer_values", "applicable_items",
    "applies", "definitions_for_event", "due_at", "from_snapshot", "is_declinable",
    "is_overdue", "load_all", "load_definition", "load_definition_file", "overdue_items",
    "parse_definition", "to_snapshot", "validate_answer", "visible_items",
]

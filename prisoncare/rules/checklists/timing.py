"""Due times. Pure: every function takes the instants it needs; none reads a clock.

A definition's `due_from` says what its hours count from: "trigger" (the event's
own time, e.g. admission + 24 h) or "expected_at" (the scheduled movement: court,
transfer, release). For pre-court and pre-transfer checklists expected_at is taken
as the time of departure, so due_hours = 0 means "done before she leaves"; a
negative value means that many hours earlier. An item may override due_hours.
"""
from collections.abc import Mapping
from datetime import datetime, timedelta

from prisoncare.rules.checklists.applicability import visible_items
from prisoncare.rules.checklists.model import (
    ChecklistDefinition, ChecklistItem, ChecklistSubject,
)


def anchor_at(definition: ChecklistDefinition, occurred_at: datetime,
              expected_at: datetime | None = None) -> datetime:
    """The instant due hours count from; the event time when expected_at is missing
    (e.g. a transfer_out posted without a prior transfer_scheduled)."""
    if definition.due_from == "expected_at" and expected_at is not None:
        return _aware(expected_at)
    return _aware(occurred_at)


def due_at(definition: ChecklistDefinition, anchor: datetime,
           item: ChecklistItem | None = None) -> datetime:
    """When the checklist, or one of its items, is due."""
    hours = definition.due_hours
    if item is not None and item.due_hours is not None:
        hours = item.due_hours
    return _aware(anchor) + timedelta(hours=hours)


def is_overdue(due: datetime, now: datetime, done: bool = False) -> bool:
    """Past due and not done. Due exactly now is not yet overdue."""
    return not done and _aware(now) > _aware(due)


def overdue_items(definition: ChecklistDefinition, anchor: datetime,
                  subject: ChecklistSubject, answers: Mapping[str, object],
                  now: datetime) -> tuple[ChecklistItem, ...]:
    """Visible items without an answer whose due time has passed."""
    return tuple(
        item for item in visible_items(definition, subject, answers)
        if is_overdue(due_at(definition, anchor, item), now, answers.get(item.id) is not None))


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"naive datetime {instant!r}: instants must be timezone-aware")
    return instant

"""Which items apply to a person, and which follow-ups an answer reveals.

Choices, for a clinical lead to review:
- Unknown is not no. A condition on a value we do not know (None) holds, so the
  item is asked: better to ask than to skip. "not_applicable" closes it.
- Except that a man never gets pregnancy or reproductive items: for sex "male",
  pregnant, breastfeeding and reproductive_age are false whatever else is known.
- Intersex, unknown or unrecorded sex: women's items (sex = ["female"]) apply, and
  they become declinable (see answers.is_declinable); men-only items do not, since
  the women's items cover the same ground.
- reproductive_age is vocabulary.REPRODUCTIVE_AGE (12-55), wider than WHO's 15-49.
"""
from collections.abc import Mapping

from prisoncare.rules.checklists.model import (
    FLAG_CONDITIONS, ChecklistDefinition, ChecklistItem, ChecklistSubject, Conditions,
)
from prisoncare.rules.checklists.vocabulary import REPRODUCTIVE_AGE


def applies(item: ChecklistItem, subject: ChecklistSubject) -> bool:
    """True when the item is to be asked of this person."""
    return matches(item.applies_to, subject)


def matches(conditions: Conditions, subject: ChecklistSubject) -> bool:
    """Every condition given holds (unknown values hold, see module docstring)."""
    if conditions.sex is not None and not _sex_matches(conditions.sex, subject.sex):
        return False
    population = conditions.facility_population
    if population is not None and subject.facility_population not in (None, *population):
        return False
    if not _age_matches(conditions.age_min, conditions.age_max, subject.age_years):
        return False
    for name in FLAG_CONDITIONS:
        wanted = getattr(conditions, name)
        known = flag(name, subject)
        if wanted is not None and known is not None and known != wanted:
            return False
    return not conditions.any_of or any(matches(c, subject) for c in conditions.any_of)


def flag(name: str, subject: ChecklistSubject) -> bool | None:
    """The person's value of a yes/no condition: True, False, or None (unknown)."""
    male = subject.sex == "male"
    if name in ("pregnant", "breastfeeding"):
        return False if male else getattr(subject, name)
    if name == "reproductive_age":
        if male or subject.age_years is None:
            return False if male else None
        low, high = REPRODUCTIVE_AGE
        return low <= subject.age_years <= high
    if name == "pretrial":
        return None if subject.legal_status is None else subject.legal_status == "pretrial"
    return getattr(subject, name)


def _sex_matches(allowed: tuple[str, ...], sex: str | None) -> bool:
    sex = sex or "unknown"
    if sex in allowed:
        return True
    if sex in ("female", "male"):
        return False
    return "female" in allowed


def _age_matches(low: int | None, high: int | None, age: int | None) -> bool:
    if age is None:
        return True
    return (low is None or age >= low) and (high is None or age <= high)


def applicable_items(definition: ChecklistDefinition,
                     subject: ChecklistSubject) -> tuple[ChecklistItem, ...]:
    """The items that apply to this person, follow-ups included, in file order."""
    return tuple(i for i in definition.items if applies(i, subject))


def visible_items(definition: ChecklistDefinition, subject: ChecklistSubject,
                  answers: Mapping[str, object]) -> tuple[ChecklistItem, ...]:
    """Applicable items, with each follow-up only when its parent is visible and
    answered with one of its `shown_when` values."""
    shown: dict[str, ChecklistItem] = {}
    for item in definition.items:
        if not applies(item, subject):
            continue
        if item.follow_up_of is None or (item.follow_up_of in shown
                                         and answers.get(item.follow_up_of) in item.shown_when):
            shown[item.id] = item
    return tuple(shown.values())

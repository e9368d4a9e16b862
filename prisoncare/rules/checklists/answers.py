"""Checking one answer against its item. `validate_answer` returns plain-English
reasons (empty when the answer is valid) so a form or API can show them per field.

Answers are JSON-shaped: "yes"/"no" for yes_no, an option for choice, a number,
"YYYY-MM-DD" for a date, text, "offered"/"accepted"/"declined" for consent, and a
list of child tables for children. Two markers are accepted besides:
"not_applicable" for every item, and "declined" only for declinable items
(Bangkok Rule 8: reproductive history, testing and violence questions).
"""
import math
import re
from datetime import date, datetime

from prisoncare.rules.checklists.model import ChecklistItem, ChecklistSubject
from prisoncare.rules.checklists.vocabulary import (
    CHILD_FIELDS, CHILD_MAX_AGE, CONSENT, CUSTODY_STATUSES, DECLINED, NOT_APPLICABLE,
    TEXT_MAX_LENGTH, YES_NO,
)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def is_declinable(item: ChecklistItem, subject: ChecklistSubject | None = None) -> bool:
    """Declinable items, plus women's items asked of an intersex person or one whose
    sex is unknown (applicability.py asks them rather than skip them)."""
    if item.declinable or item.answer_type == "consent":
        return True
    return (subject is not None and subject.sex not in ("female", "male")
            and item.applies_to.is_women_only())


def answer_values(item: ChecklistItem) -> tuple[str, ...]:
    """Every valid answer of an enumerable item (yes_no, choice, consent), else ()."""
    base = {"yes_no": YES_NO, "choice": item.options, "consent": CONSENT}.get(item.answer_type)
    if base is None:
        return ()
    extra = (DECLINED,) if item.declinable and DECLINED not in base else ()
    return tuple(base) + extra + (NOT_APPLICABLE,)


def validate_answer(item: ChecklistItem, answer: object,
                    subject: ChecklistSubject | None = None) -> list[str]:
    """Reasons why `answer` is not a valid answer to `item`; [] when it is."""
    if answer is None or answer == "":
        return ["an answer is required"]
    if answer == NOT_APPLICABLE:
        return []
    if answer == DECLINED:
        if is_declinable(item, subject):
            return []
        return ["'declined' is not accepted for this item; it is not a sensitive question"]
    return _CHECKS[item.answer_type](item, answer)


def _check_enumerated(item: ChecklistItem, answer: object) -> list[str]:
    allowed = answer_values(item)
    if answer in allowed:
        return []
    return [f"{answer!r} is not one of: {', '.join(allowed)}"]


def _check_number(item: ChecklistItem, answer: object) -> list[str]:
    if isinstance(answer, bool) or not isinstance(answer, int | float) or math.isnan(answer):
        return [f"{answer!r} is not a number"]
    if item.min is not None and answer < item.min:
        return [f"{answer} is below the minimum of {item.min}"]
    if item.max is not None and answer > item.max:
        return [f"{answer} is above the maximum of {item.max}"]
    return []


def _check_date(item: ChecklistItem, answer: object) -> list[str]:
    if isinstance(answer, date) and not isinstance(answer, datetime):
        return []
    if isinstance(answer, str) and _ISO_DATE.match(answer):
        try:
            date.fromisoformat(answer)
            return []
        except ValueError:
            return [f"{answer!r} is not a real date"]
    return [f"{answer!r} is not a date in the form YYYY-MM-DD"]


def _check_text(item: ChecklistItem, answer: object) -> list[str]:
    if not isinstance(answer, str) or not answer.strip():
        return ["the answer must be non-empty text"]
    limit = item.max_length or TEXT_MAX_LENGTH
    return [f"the text is longer than {limit} characters"] if len(answer) > limit else []


def _check_children(item: ChecklistItem, answer: object) -> list[str]:
    if not isinstance(answer, list):
        return ["children must be a list (empty when she has none)"]
    reasons: list[str] = []
    for n, child in enumerate(answer, 1):
        reasons += [f"child {n}: {r}" for r in _child_problems(child)]
    return reasons


def _child_problems(child: object) -> list[str]:
    if not isinstance(child, dict):
        return ["must be a table of name, age_years, with_her, ..."]
    reasons = [f"unknown field {k!r}" for k in child if k not in CHILD_FIELDS]
    if not isinstance(child.get("name"), str) or not child["name"].strip():
        reasons.append("name is required")
    age = child.get("age_years")
    if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= CHILD_MAX_AGE:
        reasons.append(f"age_years must be a whole number from 0 to {CHILD_MAX_AGE}")
    if not isinstance(child.get("with_her"), bool):
        reasons.append("with_her must be true or false")
    elif child["with_her"] is False:
        reasons += _away_problems(child)
    return reasons


def _away_problems(child: dict) -> list[str]:
    """Bangkok Rule 3: where a child not with her lives, with whom, on what authority."""
    reasons = [f"{k} is required when the child is not with her"
               for k in ("location", "carer")
               if not isinstance(child.get(k), str) or not child[k].strip()]
    if child.get("custody_status") not in CUSTODY_STATUSES:
        reasons.append(f"custody_status must be one of: {', '.join(CUSTODY_STATUSES)}")
    return reasons


_CHECKS = {
    "yes_no": _check_enumerated,
    "choice": _check_enumerated,
    "consent": _check_enumerated,
    "number": _check_number,
    "date": _check_date,
    "text": _check_text,
    "children": _check_children,
}

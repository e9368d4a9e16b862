"""Safety guards on recording a ``given`` dose. Pure functions over plain values.

* OST review block: after ``days`` consecutive scheduled days without a given dose
  (methadone 3, buprenorphine 5: the lowest ``blocks_dosing`` rung of each family in
  the rule table, ``thresholds_from_rules``; drug names in
  ``review_thresholds.REVIEW_THRESHOLDS``) a given dose needs a clinician review
  recorded since.
* Same-day double dose: one order is given at most as many times per local day as its
  schedule has times of day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from prisoncare.rules.review_thresholds import REVIEW_THRESHOLDS

__all__ = [
    "GIVEN",
    "OUTCOMES",
    "PENDING",
    "consecutive_days_without_given",
    "drug_family",
    "merge_thresholds",
    "thresholds_from_rules",
    "review_required",
    "review_threshold",
    "second_dose_same_day",
    "streak_before",
]

GIVEN = "given"
#: Recorded outcomes of a scheduled dose (the scheduler writes absent and missed).
OUTCOMES = frozenset({GIVEN, "refused", "held", "not_available", "absent", "missed"})
#: Status of a dose not yet recorded; the day it belongs to is not over.
PENDING = "due"
_KNOWN = OUTCOMES | {PENDING}

_WORD = re.compile(r"[^\W\d_]+")


# -- the threshold table ------------------------------------------------------------


def _check_entry(family: str, entry: Mapping) -> None:
    days = entry.get("days")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"review threshold {family!r}: days must be an int >= 1, got {days!r}")
    match = entry.get("match")
    if not match or isinstance(match, str) or not all(isinstance(m, str) and m for m in match):
        raise ValueError(f"review threshold {family!r}: match must be a non-empty list of words")


def merge_thresholds(override: Mapping[str, Mapping] | None = None) -> dict[str, dict]:
    """The default table with a deployment override merged per family (keys replaced).

    Raises ``ValueError`` for a malformed entry: this is configuration, checked at start-up.
    """
    merged = {family: dict(entry) for family, entry in REVIEW_THRESHOLDS.items()}
    for family, entry in (override or {}).items():
        merged[family] = {**merged.get(family, {}), **entry}
    for family, entry in merged.items():
        _check_entry(family, entry)
    return merged


def thresholds_from_rules(rules) -> dict[str, dict]:
    """{family: {"days": n}}: the lowest rung of each OST drug family's missed-days
    ladder that says `blocks_dosing` in the rule table (alert_rules.toml, with the
    deployment's overrides), so the alert that says "withhold until assessed" and the
    guard that refuses the dose move together. Merge it onto the default table with
    `merge_thresholds`; a family without a blocking rung keeps the table's days."""
    days: dict[str, int] = {}
    for rule in rules:
        if (rule.blocks_dosing and rule.kind == "missed_consecutive_days" and rule.drug_family
                and rule.programme == "ost"):
            n = int(rule.params["min"])
            days[rule.drug_family] = min(n, days.get(rule.drug_family, n))
    return {family: {"days": n} for family, n in days.items()}


def drug_family(drug: str, thresholds: Mapping[str, Mapping] | None = None) -> str | None:
    """The threshold family a drug name belongs to, or None (word match, case-insensitive)."""
    words = set(_WORD.findall((drug or "").casefold()))
    for family, entry in merge_thresholds(thresholds).items():
        if words & {m.casefold() for m in entry["match"]}:
            return family
    return None


def review_threshold(drug: str, thresholds: Mapping[str, Mapping] | None = None) -> int | None:
    """Consecutive days without a given dose that require a review, or None if no rule."""
    table = merge_thresholds(thresholds)
    family = drug_family(drug, thresholds)
    return None if family is None else table[family]["days"]


# -- streaks ------------------------------------------------------------------------


def _day_state(outcomes: Iterable[str]) -> str:
    """'unscheduled', 'given', 'pending' or 'missed' for one local day's dose outcomes."""
    outcomes = list(outcomes)
    unknown = set(outcomes) - OUTCOMES - {PENDING}
    if unknown:
        raise ValueError(f"unknown dose outcome(s): {sorted(unknown)}")
    if not outcomes:
        return "unscheduled"
    if GIVEN in outcomes:
        return "given"
    return "pending" if PENDING in outcomes else "missed"


def consecutive_days_without_given(
    day_outcomes: Mapping[date, Iterable[str]],
    as_of: date,
    *,
    after: date | None = None,
) -> int:
    """Consecutive scheduled local days, counting back from ``as_of`` (inclusive), with no
    ``given`` dose.

    ``day_outcomes`` maps a facility-local date to the outcomes of the doses scheduled
    that day. Counting goes back over dates ``<= as_of`` (and ``> after`` when given):

    * a day with at least one dose, none ``given`` → counts (``absent``, ``refused``,
      ``held``, ``not_available`` and ``missed`` all count, as section 9 says days at
      court or in transit count as missed unless a dose is recorded);
    * a day with a ``given`` dose → ends the streak;
    * a day with no scheduled dose (missing or empty list) → skipped: it neither counts
      nor ends the streak, so an alternate-day schedule counts missed doses;
    * a day still holding a ``due`` dose and no ``given`` one → skipped: it is not over
      (so today's pending dose does not count against the patient).

    ``after`` (e.g. the local day of the last clinician review) stops the count at that
    date, exclusive. Raises ``ValueError`` on an unknown outcome.
    """
    streak = 0
    for day in sorted((d for d in day_outcomes if d <= as_of), reverse=True):
        if after is not None and day <= after:
            break
        state = _day_state(day_outcomes[day])
        if state == "given":
            break
        if state == "missed":
            streak += 1
    return streak


def streak_before(
    day_statuses: Sequence[tuple[date, str]],
    before: date,
    *,
    after: date | None = None,
) -> tuple[int, date | None]:
    """(streak, last given day): the guard's reading of a dose history, the same as
    :func:`consecutive_days_without_given` as of the day before ``before`` (with
    ``after``), over the days before ``before`` only, all of them over: a ``due``
    dose on them counts as missed. ``day_statuses`` are (local day, status) pairs,
    one per dose, in any order (read twice); the last given day is that of the latest ``given``
    before ``before`` (None if none).

    The guard reads hundreds of histories per page: this is one pass over the pairs,
    without a list of outcomes per day or a sort. A streak is the number of distinct
    days after the last given day (and after ``after``): the latest given day ends
    the count, and every other day before it holds a dose, none given. Raises
    ``ValueError`` for an unknown status on a day the count reads, as the rule does.
    """
    last_given = None
    for day, status in day_statuses:
        if status == GIVEN and day < before and (last_given is None or day > last_given):
            last_given = day
    # The count stops at the last given day (read: its outcomes are checked) or at
    # `after` (not read), whichever is later.
    ends_at_given = last_given is not None and (after is None or last_given > after)
    stop = last_given if ends_at_given else after
    counted = set()
    for day, status in day_statuses:
        if day < before and (stop is None or day > stop or (ends_at_given and day == stop)):
            if status not in _KNOWN:
                raise ValueError(f"unknown dose outcome(s): {[status]}")
            if day != stop:
                counted.add(day)
    return len(counted), last_given


# -- guards -------------------------------------------------------------------------


def review_required(
    drug: str,
    streak_days: int,
    last_review_at: datetime | None,
    last_given_at: datetime | None,
    thresholds: Mapping[str, Mapping] | None = None,
    *,
    missed_since_review: int | None = None,
) -> bool:
    """Whether a ``given`` dose of ``drug`` must be refused until a clinician review.

    Required when ``streak_days`` (see :func:`consecutive_days_without_given`) reaches the
    drug's threshold and no review was recorded after the streak began, i.e. after
    ``last_given_at`` (any review counts when nothing was ever given). A drug without a
    threshold is never blocked. ``thresholds`` is a deployment override merged onto
    the default table.

    A review unblocks the streak under way. If dosing lapses again after it, pass
    ``missed_since_review`` (the streak counted with ``after=`` the review's local day):
    once that too reaches the threshold the review no longer covers it.
    """
    threshold = review_threshold(drug, thresholds)
    if threshold is None or streak_days < threshold:
        return False
    reviewed = last_review_at is not None and (
        last_given_at is None or last_review_at > last_given_at
    )
    if not reviewed:
        return True
    return missed_since_review is not None and missed_since_review >= threshold


def second_dose_same_day(order_times_per_day: int, given_today: int) -> bool:
    """True when another ``given`` dose of the order on this local day must be refused.

    ``given_today`` counts the order's doses already given this local day (including
    those given before a transfer). A once-a-day order allows one; an order with k
    times of day allows k; 0 (not expected from a valid schedule) is treated as 1.
    Raises ``ValueError`` for a negative or non-int count.
    """
    for name, value in (("order_times_per_day", order_times_per_day), ("given_today", given_today)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name} must be an int >= 0, got {value!r}")
    return given_today >= max(order_times_per_day, 1)

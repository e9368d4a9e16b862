"""How an alert reads to staff: the short text at the hatch, and an action text that
never claims a block the dosing guard does not enforce. Pure: plain values in, text out.

The rule table (data/alert_rules.toml) and the dosing guard's threshold table
(review_thresholds.REVIEW_THRESHOLDS) are separate sources. The guard is the source of
truth for blocking: a `given` OST dose is refused with `review_required` from its
threshold (methadone 3, buprenorphine 5 consecutive days without a given dose). A
ladder rule that says `blocks_dosing` below that threshold (OST-B-02, buprenorphine at
3-4 days: "clinical review before dosing") is advice, not a block, and is worded so.
"""
import re
from datetime import datetime
from typing import Mapping
from zoneinfo import ZoneInfo

PLANNED_ABSENCES = {"court_scheduled": "court", "transfer_scheduled": "transfer"}

# The wording of a ladder rung that advises a review below the guard's threshold; {days}
# is the guard's threshold. A rule not listed here gets the generic sentence.
ADVISORY_ACTIONS = {
    "OST-B-02": ("Clinical review advised soon; consider dose adjustment. Dosing is not "
                 "blocked: a clinician review is required from {days} consecutive days "
                 "without a given dose."),
}
_GENERIC_ADVISORY = ("Dosing is not blocked: a clinician review is required from {days} "
                     "consecutive days without a given dose. Advice: {action}")

_UTC_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC")


def guard_days(rule, thresholds: Mapping[str, Mapping]) -> int | None:
    """The guard's threshold for a missed-days ladder rung's drug family (None: the rule
    is not a rung the guard covers)."""
    if rule is None or rule.kind != "missed_consecutive_days" or not rule.drug_family:
        return None
    entry = thresholds.get(rule.drug_family)
    return entry["days"] if entry else None


def enforced_block(rule, thresholds: Mapping[str, Mapping]) -> bool:
    """Whether the guard refuses a `given` dose at this rung (its lowest day count)."""
    days = guard_days(rule, thresholds)
    return bool(rule is not None and rule.blocks_dosing and days is not None
                and rule.params["min"] >= days)


def action_text(rule_code: str, action: str | None, rule,
                thresholds: Mapping[str, Mapping]) -> str | None:
    """The alert's suggested action as shown: the rule's own text, unless the rule
    says `blocks_dosing` at a rung the guard does not block."""
    days = guard_days(rule, thresholds)
    if rule is None or not rule.blocks_dosing or days is None or enforced_block(rule, thresholds):
        return action
    wording = ADVISORY_ACTIONS.get(rule_code, _GENERIC_ADVISORY)
    return wording.format(days=days, action=action or "")


def local_instants(text: str, tz: str) -> str:
    """'2026-03-11 05:00 UTC' in a message -> '2026-03-11 07:00' in the facility's zone."""
    zone = ZoneInfo(tz)

    def local(m):
        at = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}+00:00").astimezone(zone)
        return at.strftime("%Y-%m-%d %H:%M")
    return _UTC_INSTANT.sub(local, text)


def hatch_text(*, rule, message: str, cause_event_type: str | None,
               departs_at: datetime | None, tz: str, on_day,
               thresholds: Mapping[str, Mapping]) -> str:
    """The few words a nurse at the hatch needs, in the facility's local time:
    "Give the dose before court departure 07:00", "Review required", ..."""
    where = PLANNED_ABSENCES.get(cause_event_type or "")
    if where and departs_at is not None:
        local = departs_at.astimezone(ZoneInfo(tz))
        when = local.strftime("%H:%M") if local.date() == on_day else local.strftime("%Y-%m-%d %H:%M")
        return f"Give the dose before {where} departure {when}"
    if rule is not None and rule.blocks_dosing and guard_days(rule, thresholds) is not None:
        if enforced_block(rule, thresholds):
            return "Review required"
        return f"Review advised (not blocked before {guard_days(rule, thresholds)} days)"
    return local_instants(message, tz)

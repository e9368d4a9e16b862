"""How an alert reads to staff at the hatch: a few words in the facility's local time.
Pure: plain values in, text out.

A missed-days rung that says `blocks_dosing` reads "Review required": the dosing guard
blocks each OST drug family from the lowest such rung of the rule table
(dosing_guards.thresholds_from_rules), so the two cannot disagree.
"""
import re
from datetime import datetime
from typing import Mapping
from zoneinfo import ZoneInfo

PLANNED_ABSENCES = {"court_scheduled": "court", "transfer_scheduled": "transfer"}

_UTC_INSTANT = re.compile(r"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}) UTC")


def guard_days(rule, thresholds: Mapping[str, Mapping]) -> int | None:
    """The guard's threshold for a missed-days ladder rung's drug family (None: the rule
    is not a rung the guard covers)."""
    if rule is None or rule.kind != "missed_consecutive_days" or not rule.drug_family:
        return None
    entry = thresholds.get(rule.drug_family)
    return entry["days"] if entry else None


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
        return "Review required"
    return local_instants(message, tz)

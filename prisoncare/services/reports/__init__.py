"""Auditor reports (issue 8): the interruption report, its drill-down to episodes
and cause chains, and the indicators. Computed here once; the API, the CSV and
the dashboard all render these results."""
from datetime import date, timedelta

from ...authz import visible_facility_ids
from ...errors import ValidationFailed
from ...rules.reports import INDICATOR_GROUPS, REPORT_GROUPS, parse_groups, period_errors
from ..facilities import visible_facility
from .interruptions import Scope


def default_period(today: date) -> tuple[date, date]:
    """The 365 days up to yesterday."""
    return today - timedelta(days=365), today - timedelta(days=1)


def scope_for(actor, first: date, last: date, facility_code: str | None) -> Scope:
    """The period checked and the facilities the actor may report on; another
    facility's code is a 404 (whether or not it exists)."""
    errors = period_errors(first, last)
    if errors:
        raise ValidationFailed(errors)
    if facility_code:
        return Scope(first, last, frozenset({visible_facility(actor, facility_code).id}),
                     facility_code)
    ids = visible_facility_ids(actor)
    return Scope(first, last, None if ids is None else frozenset(ids))


def report_groups(value) -> tuple[str, ...]:
    return _groups(value, REPORT_GROUPS)


def indicator_groups(value) -> tuple[str, ...]:
    return _groups(value, INDICATOR_GROUPS)


def _groups(value, allowed):
    if isinstance(value, (list, tuple)):
        value = ",".join(value)
    groups, errors = parse_groups(value, allowed)
    if errors:
        raise ValidationFailed({"group_by": errors})
    return groups


FILTERS = ("month", "sex", "age_band", "legal_status", "programme", "cause")


def read_interruptions(actor, args: dict, *, now) -> dict:
    """The interruption report for request arguments (from, to, facility, group_by)."""
    from .interruptions import interruption_report
    scope = scope_for(actor, *_period(args, now), args.get("facility"))
    return interruption_report(actor, scope, report_groups(args.get("group_by")), now=now)


def read_indicators(actor, args: dict, *, now) -> dict:
    from .indicators import indicators_report
    scope = scope_for(actor, *_period(args, now), args.get("facility"))
    return indicators_report(actor, scope, indicator_groups(args.get("group_by")), now=now)


def read_episodes(actor, args: dict, *, limit, offset, now):
    """The episodes behind one figure: the report's arguments plus one value per group."""
    from .interruptions import episodes_behind
    scope = scope_for(actor, *_period(args, now), args.get("facility"))
    filters = {k: args[k] for k in FILTERS if args.get(k)}
    return episodes_behind(actor, scope, filters, limit=limit, offset=offset, now=now,
                           figure=args.get("figure") or "interruptions")


def _period(args, now):
    first, last = default_period(now.date())
    return args.get("from_") or first, args.get("to") or last

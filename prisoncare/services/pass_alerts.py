"""The open alerts of the patients on a pill-pass list, for the hatch (issue 5, item 5).

One set-based query for the whole list, whatever its length: the active alerts
(open or acknowledged) of the patients with a dose on this facility/ward-day (or
round), with the departure time of a planned court or transfer movement that caused
one. Only medication alerts (with a programme) meant for the nurse or clinician are
"relevant at the hatch": checklist and release-planning alerts are not. Callers
check who may see them (nurses and clinicians); facility scope is applied here.
"""
import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from flask import current_app, has_app_context
from sqlalchemy import Date, bindparam, case, select

from .. import db_prepared
from ..db_types import UtcDateTime
from ..models import Alert, CustodyEvent
from ..models.alerts import SEVERITIES
from ..models.facilities import Facility
from ..models.medication import PROGRAMMES, ScheduledDose
from ..rules import alert_rules, alert_wording, dosing_guards
from .alerts import user_scope, visible_clause

ACTIVE = ("open", "acknowledged")
HATCH_ROLES = ("nurse", "clinician")


@dataclass(frozen=True, slots=True)
class HatchAlert:
    severity: str
    text: str
    rule_code: str


@lru_cache(maxsize=4)
def _rules(overrides_json: str) -> dict:
    return {r.id: r for r in alert_rules.load_rules(overrides=json.loads(overrides_json))}


def rules_by_id() -> dict:
    """The rule table as the sweep reads it (with the deployment's overrides), parsed
    once per distinct overrides (every page and recording asks for it)."""
    overrides = current_app.config.get("ALERT_RULE_OVERRIDES") if has_app_context() else None
    return _rules(json.dumps(overrides or {}, sort_keys=True))


def guard_thresholds() -> dict:
    """The dosing guard's table: drug families and names from review_thresholds, the
    days from the rule table's blocking rungs (with the deployment's overrides)."""
    return dosing_guards.merge_thresholds(
        dosing_guards.thresholds_from_rules(rules_by_id().values()))


@lru_cache(maxsize=256)
def _alerts_query(scope, by_ward: bool, by_round: bool):
    """Built once per user scope (alerts.user_scope) and list shape, the list's
    facility, day, ward and round bound: building it on every page cost more than
    running it. Prepared on PostgreSQL (db_prepared: its statuses, programmes, roles
    and facilities are literals in its text, and the generic plan reads what the
    custom one does; planning it cost 0.3-0.5 ms a page)."""
    on_list = select(ScheduledDose.patient_id).where(
        ScheduledDose.facility_id == bindparam("facility_id"),
        ScheduledDose.local_date == bindparam("day", type_=Date))
    if by_ward:
        on_list = on_list.where(ScheduledDose.ward_id == bindparam("ward_id"))
    if by_round:
        on_list = on_list.where(ScheduledDose.due_at == bindparam("round_at", type_=UtcDateTime))
    rank = case({s: i for i, s in enumerate(SEVERITIES)}, value=Alert.severity, else_=0)
    return (select(Alert.patient_id, Alert.rule_code, Alert.severity, Alert.message,
                   Alert.cause_event_type, CustodyEvent.expected_at)
            .outerjoin(CustodyEvent, Alert.cause_event_id == CustodyEvent.id)
            .where(Alert.patient_id.in_(on_list), Alert.status.in_(ACTIVE),
                   Alert.programme.in_(PROGRAMMES), Alert.role.in_(HATCH_ROLES),
                   *visible_clause(scope))
            .order_by(Alert.patient_id, rank.desc(), Alert.opened_at, Alert.id))


def ward_alerts(user, facility: Facility, ward_id: int | None, day: date, *,
                round_at: datetime | None = None) -> dict[int, list[HatchAlert]]:
    """{patient id: [HatchAlert, most severe first]} for the patients on the list."""
    query = _alerts_query(user_scope(user), ward_id is not None, round_at is not None)
    rules, thresholds = rules_by_id(), guard_thresholds()
    out: dict[int, list[HatchAlert]] = {}
    for pid, code, severity, message, cause, departs in db_prepared.rows(query, {
            "facility_id": facility.id, "day": day, "ward_id": ward_id, "round_at": round_at},
            prepare=True):
        text = alert_wording.hatch_text(
            rule=rules.get(code), message=message, cause_event_type=cause, departs_at=departs,
            tz=facility.timezone, on_day=day, thresholds=thresholds)
        seen = out.setdefault(pid, [])
        if all(a.text != text for a in seen):     # e.g. the same departure for OST and ART
            seen.append(HatchAlert(severity=severity, text=text, rule_code=code))
    return out

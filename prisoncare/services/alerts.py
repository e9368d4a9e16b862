"""Alerts: raised idempotently by the sweep, acknowledged and resolved by staff,
escalated while nobody acknowledges them. Custody staff only ever see the
non-diagnostic task text of the alerts meant for them."""
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit, db_prepared
from ..authz import CLINICAL_ROLES, visible_facility_ids
from ..errors import Conflict, NotFound
from ..db_bulk import insert_rows
from ..db_types import in_strings
from ..extensions import db
from ..models import Alert
from ..models.alerts import SEVERITIES
from .custody_tasks import same_task, stands_for_its_task

# Escalation (minutes per severity as data, the escalate_to role) lives in
# alert_escalation; these names stay importable from here.
from .alert_escalation import escalate_open_alerts, escalation_policy  # noqa: E402,F401
from .alert_escalation import escalation_level as _level  # noqa: E402

# The roles an alert names as the one to act (and escalates to).
ACTING_ROLES = frozenset({"nurse", "clinician", "release_officer"})
# The custody task's status: custody's own, or closed with the clinical alert.
TASK_STATUS = case((Alert.custody_status.is_not(None), Alert.custody_status),
                   (Alert.status == "resolved", "resolved"), else_="open")
URGENT = ("critical", "high")


@dataclass(frozen=True)
class AlertSpec:
    rule_code: str
    severity: str
    role: str
    programme: str | None
    message: str
    action: str | None = None
    custody_message: str | None = None


def raise_alert(spec: AlertSpec, patient, *, dedup_key: str, now, cause_event=None) -> Alert | None:
    """Open an alert unless this condition (dedup_key) was ever raised before."""
    if db.session.scalar(select(Alert.id).where(Alert.dedup_key == dedup_key)):
        return None
    alert = Alert(dedup_key=dedup_key, rule_code=spec.rule_code, severity=spec.severity,
                  role=spec.role, patient_id=patient.id, facility_id=patient.facility_id,
                  programme=spec.programme, message=spec.message, action=spec.action,
                  custody_message=spec.custody_message, opened_at=now,
                  cause_event_type=cause_event.type if cause_event else None,
                  cause_event_id=cause_event.id if cause_event else None)
    try:
        with db.session.begin_nested():
            db.session.add(alert)
    except IntegrityError:  # raised by a concurrent sweep a moment ago
        return None
    return alert


def sees_clinical_alerts(user) -> bool:
    return bool(user.roles & (CLINICAL_ROLES | {"auditor"}))


def visible_clause(user):
    """Alerts a user may see: their facilities; clinical staff and auditors all
    of them, release officers theirs, custody staff only custody tasks."""
    clauses = []
    ids = visible_facility_ids(user)
    if ids is not None:
        clauses.append(Alert.facility_id.in_(ids))
    if not sees_clinical_alerts(user):
        allowed = []
        if "release_officer" in user.roles:
            allowed += [Alert.role == "release_officer", Alert.escalated_to == "release_officer"]
        if "custody" in user.roles:   # one task per patient, event and text (custody_tasks)
            allowed.append(and_(Alert.custody_message.is_not(None), stands_for_its_task()))
        clauses.append(or_(*allowed) if allowed else Alert.id.is_(None))
    return clauses


def custody_view(user, alert: Alert | None = None) -> bool:
    """Whether `user` deals with `alert` as a custody task (its custody_message and
    its own task status) rather than as the clinical alert. Without `alert`: for
    every alert (a custody officer with no clinical or release role)."""
    if sees_clinical_alerts(user) or "custody" not in user.roles:
        return False
    if "release_officer" not in user.roles:
        return True
    return alert is not None and "release_officer" not in (alert.role, alert.escalated_to)


def task_status(alert: Alert) -> str:
    """The custody task's status, as TASK_STATUS computes it in SQL."""
    return alert.custody_status or ("resolved" if alert.status == "resolved" else "open")


def inbox_clause(user):
    """The alerts for the user's own role(s): the role to act or the role it escalated
    to; auditors those escalated to them (after the clinician: they read, they do not
    act); custody staff their tasks. None: no such role (an administrator)."""
    acting = sorted(user.roles & ACTING_ROLES)
    parts = [Alert.role.in_(acting), Alert.escalated_to.in_(acting)] if acting else []
    if "auditor" in user.roles:
        parts.append(Alert.escalated_to == "auditor")
    if "custody" in user.roles:
        parts.append(Alert.custody_message.is_not(None))
    return or_(*parts) if parts else None


def _status_filter(user, statuses):
    column = TASK_STATUS if custody_view(user) else Alert.status
    return column.in_(statuses)


def _rule_filter(user, rule: str):
    """Filter by rule code only over the alerts whose rule the user is shown. Custody
    staff see their tasks as rule "custody_task": filtering their tasks by a clinical
    rule code (OST-E-02, ART-U-01 ...) would tell them who is on which treatment."""
    if sees_clinical_alerts(user):
        return Alert.rule_code == rule
    if rule == "custody_task":
        return Alert.custody_message.is_not(None)
    if "release_officer" in user.roles:
        return and_(Alert.rule_code == rule,
                    or_(Alert.role == "release_officer", Alert.escalated_to == "release_officer"))
    return false()


def list_alerts(user, *, facility_id=None, status=None, patient_id=None, rule=None,
                severity=None, mine=False, limit=100, offset=0, now) -> tuple[list[Alert], int]:
    """Alerts the user may see, most severe first (then newest): one query, a count
    and one audit entry. `status` is one status or several (the worklist's "active"
    view is open and acknowledged together); for custody staff it is their task's.
    `mine`: only those for the user's role(s) (inbox_clause)."""
    query = select(Alert).where(*visible_clause(user))
    statuses = (status,) if isinstance(status, str) else tuple(status or ())
    if statuses:
        query = query.where(_status_filter(user, statuses))
    if mine and (clause := inbox_clause(user)) is not None:
        query = query.where(clause)
    for column, value in ((Alert.facility_id, facility_id), (Alert.patient_id, patient_id),
                          (Alert.severity, severity)):
        if value is not None:
            query = query.where(column == value)
    if rule is not None:
        query = query.where(_rule_filter(user, rule))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rank = case({s: i for i, s in enumerate(SEVERITIES)}, value=Alert.severity, else_=0)
    rows = db.session.scalars(query.order_by(rank.desc(), Alert.opened_at.desc(), Alert.id.desc())
                              .options(selectinload(Alert.patient))
                              .limit(limit).offset(offset)).all()
    audit.record(user, "alert.list", at=now,
                 detail={"status": status if isinstance(status, str) or status is None
                         else list(statuses), "results": len(rows), "mine": bool(mine)})
    return rows, total


@dataclass(frozen=True)
class OpenCount:
    total: int
    urgent: int   # critical or high


@dataclass(frozen=True)
class UserScope:
    """What the alert queries read of a user (roles and facilities), hashable: the
    navigation's count and the hatch's alerts are built once per distinct scope,
    not on every page."""
    roles: frozenset
    all_facilities: bool
    facility_ids: frozenset


def user_scope(user) -> UserScope:
    return UserScope(frozenset(user.roles), bool(user.all_facilities),
                     frozenset(user.facility_ids))


def open_count_query(user):
    """The COUNT behind count_open, or None when the user has no inbox."""
    return _open_count_query(user_scope(user))


@lru_cache(maxsize=256)
def _open_count_query(user: UserScope):
    clause = inbox_clause(user)
    if clause is None:
        return None
    if custody_view(user):   # open tasks: not done, and the alert not resolved
        status = [Alert.status.in_(("open", "acknowledged")), Alert.custody_status.is_(None)]
    else:
        status = [Alert.status == "open"]
    urgent = func.coalesce(func.sum(case((Alert.severity.in_(URGENT), 1), else_=0)), 0)
    return select(func.count(), urgent).select_from(Alert).where(
        *status, clause, *visible_clause(user))


def count_open(user) -> OpenCount:
    """Open (unacknowledged) alerts for the user's role(s) in their facilities, for
    the navigation: one COUNT served by an index (ix_alert_facility_status for staff
    of some facilities, the covering ix_alert_status_role nationally); custody staff
    their open tasks. Reads only, no audit entry (it shows no patient)."""
    query = open_count_query(user)
    if query is None:
        return OpenCount(0, 0)
    (total, high), = db_prepared.rows(query, {}, prepare=True)   # no parameters: one plan
    return OpenCount(int(total), int(high))


def get_alert(user, alert_id: int) -> Alert:
    alert = db.session.scalar(select(Alert).where(Alert.id == alert_id, *visible_clause(user)))
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def acknowledge(user, alert: Alert, note: str | None, *, now) -> Alert:
    """Clinical roles acknowledge the alert; custody staff only their task."""
    if custody_view(user, alert):
        return _update_task(user, alert, "acknowledged", note, now=now)
    if alert.status != "open":
        raise Conflict(f"This alert is already {alert.status}.", code="alert_not_open")
    alert.status = "acknowledged"
    alert.acknowledged_at, alert.acknowledged_by_id, alert.acknowledge_note = now, user.id, note
    audit.record(user, "alert.acknowledge", entity="alert", entity_id=alert.id,
                 patient_id=alert.patient_id, at=now)
    return alert


def resolve(user, alert: Alert, note: str, *, now) -> Alert:
    """Clinical roles resolve the alert; custody staff only complete their task,
    which never acknowledges or resolves the clinical alert."""
    if custody_view(user, alert):
        return _update_task(user, alert, "resolved", note, now=now)
    if alert.status == "resolved":
        raise Conflict("This alert is already resolved.", code="alert_resolved")
    alert.status = "resolved"
    alert.resolved_at, alert.resolved_by_id, alert.resolve_note = now, user.id, note
    audit.record(user, "alert.resolve", entity="alert", entity_id=alert.id,
                 patient_id=alert.patient_id, at=now)
    return alert


def _update_task(user, alert: Alert, status: str, note, *, now) -> Alert:
    current = task_status(alert)
    if current == "resolved" or (status == "acknowledged" and current != "open"):
        raise Conflict(f"This task is already {current}.",
                       code="alert_resolved" if current == "resolved" else "alert_not_open")
    for same in same_task(db.session, alert):   # the task, whichever alert stands for it
        same.custody_status, same.custody_updated_at = status, now
        same.custody_updated_by_id, same.custody_note = user.id, note
    audit.record(user, "alert.custody_task." + ("resolve" if status == "resolved" else "acknowledge"),
                 entity="alert", entity_id=alert.id, patient_id=alert.patient_id, at=now)
    return alert


def escalation_level(severity: str, opened_at, now, minutes=None) -> int:
    policy = escalation_policy(minutes)
    return _level(severity, opened_at, now, policy.minutes, policy.max_level)


# -- raising many at once (the sweep) ---------------------------------------------------

@dataclass(frozen=True)
class AlertDraft:
    """One condition the sweep found: raised unless its dedup_key ever was."""
    spec: AlertSpec
    patient_id: int
    facility_id: int | None
    dedup_key: str
    cause_event_type: str | None = None
    cause_event_id: int | None = None


def raised_keys(session, keys) -> set[str]:
    """Which of these dedup keys were ever raised (one query per 2,000): a caller with
    thousands of conditions already raised builds drafts only for the others."""
    keys = list(keys)
    out = set()
    query = select(Alert.dedup_key).where(
        in_strings(Alert.dedup_key, "keys", session.get_bind().dialect.name))
    for i in range(0, len(keys), 2000):
        out.update(session.scalars(query, {"keys": keys[i:i + 2000]}))
    return out


def raise_alerts(drafts, *, now, session=None) -> int:
    """Set-based `raise_alert`: one query for the keys already raised (per 2,000),
    one insert of the others (a concurrent sweep's rows are skipped by the
    unique key). Returns how many were raised."""
    session = session or db.session
    by_key = {d.dedup_key: d for d in drafts}
    for key in raised_keys(session, by_key):
        by_key.pop(key, None)
    rows = [dict(dedup_key=d.dedup_key, rule_code=d.spec.rule_code, severity=d.spec.severity,
                 role=d.spec.role, patient_id=d.patient_id, facility_id=d.facility_id,
                 programme=d.spec.programme, message=d.spec.message, action=d.spec.action,
                 custody_message=d.spec.custody_message, status="open", opened_at=now,
                 escalation_level=0, cause_event_type=d.cause_event_type,
                 cause_event_id=d.cause_event_id)
            for d in by_key.values()]
    insert_rows(session, Alert.__table__, rows, skip_conflicts_on=["dedup_key"])
    return len(rows)

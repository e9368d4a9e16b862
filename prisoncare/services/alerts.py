"""Alerts: raised idempotently by the sweep, acknowledged and resolved by staff,
escalated while nobody acknowledges them. Custody staff only ever see the
non-diagnostic task text of the alerts meant for them."""
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.util import identity_key

from .. import audit
from ..authz import CLINICAL_ROLES, visible_facility_ids
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import Alert
from ..models.alerts import SEVERITIES

# Minutes an open alert may wait before it escalates one level, per severity
# (a deployment may override them); `info` never escalates.
ESCALATION_MINUTES = {"critical": 15, "high": 60, "warning": 240}
MAX_ESCALATION_LEVEL = 3


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
            allowed.append(Alert.role == "release_officer")
        if "custody" in user.roles:
            allowed.append(Alert.custody_message.is_not(None))
        clauses.append(or_(*allowed) if allowed else Alert.id.is_(None))
    return clauses


def list_alerts(user, *, facility_id=None, status=None, patient_id=None, rule=None,
                severity=None, limit=100, offset=0, now) -> tuple[list[Alert], int]:
    """Alerts the user may see, most severe first (then newest): one query, a count
    and one audit entry. `status` is one status or several (the worklist's "active"
    view is open and acknowledged together)."""
    query = select(Alert).where(*visible_clause(user))
    statuses = (status,) if isinstance(status, str) else tuple(status or ())
    if statuses:
        query = query.where(Alert.status.in_(statuses))
    for column, value in ((Alert.facility_id, facility_id), (Alert.patient_id, patient_id),
                          (Alert.rule_code, rule), (Alert.severity, severity)):
        if value is not None:
            query = query.where(column == value)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rank = case({s: i for i, s in enumerate(SEVERITIES)}, value=Alert.severity, else_=0)
    rows = db.session.scalars(query.order_by(rank.desc(), Alert.opened_at.desc(), Alert.id.desc())
                              .options(selectinload(Alert.patient))
                              .limit(limit).offset(offset)).all()
    audit.record(user, "alert.list", at=now,
                 detail={"status": status if isinstance(status, str) or status is None
                         else list(statuses), "results": len(rows)})
    return rows, total


def get_alert(user, alert_id: int) -> Alert:
    alert = db.session.scalar(select(Alert).where(Alert.id == alert_id, *visible_clause(user)))
    if alert is None:
        raise NotFound("No such alert.")
    return alert


def acknowledge(user, alert: Alert, note: str | None, *, now) -> Alert:
    if alert.status != "open":
        raise Conflict(f"This alert is already {alert.status}.", code="alert_not_open")
    alert.status = "acknowledged"
    alert.acknowledged_at, alert.acknowledged_by_id, alert.acknowledge_note = now, user.id, note
    audit.record(user, "alert.acknowledge", entity="alert", entity_id=alert.id,
                 patient_id=alert.patient_id, at=now)
    return alert


def resolve(user, alert: Alert, note: str, *, now) -> Alert:
    if alert.status == "resolved":
        raise Conflict("This alert is already resolved.", code="alert_resolved")
    alert.status = "resolved"
    alert.resolved_at, alert.resolved_by_id, alert.resolve_note = now, user.id, note
    audit.record(user, "alert.resolve", entity="alert", entity_id=alert.id,
                 patient_id=alert.patient_id, at=now)
    return alert


def escalation_level(severity: str, opened_at, now, minutes=None) -> int:
    """How many escalation steps an alert open since `opened_at` has reached at
    `now`: a function of the two instants only, so a late or repeated sweep
    reaches the same level."""
    step = (minutes or ESCALATION_MINUTES).get(severity)
    if not step or now <= opened_at:
        return 0
    return min(int((now - opened_at) / timedelta(minutes=step)), MAX_ESCALATION_LEVEL)


def escalate_open_alerts(*, now, minutes=None, session=None) -> int:
    """Raise the level of every open (unacknowledged) alert that waited too long.
    One query finds exactly the alerts whose level is behind (per severity and
    level: opened at least one more step ago), one bulk update by id sets them."""
    policy = {s: m for s, m in (minutes or ESCALATION_MINUTES).items() if m}
    session = session or db.session
    behind = [and_(Alert.severity == severity, Alert.escalation_level == level,
                   Alert.opened_at <= now - (level + 1) * timedelta(minutes=step))
              for severity, step in policy.items() for level in range(MAX_ESCALATION_LEVEL)]
    if not behind:
        return 0
    changes = []
    for alert_id, severity, opened_at, level in session.execute(
            select(Alert.id, Alert.severity, Alert.opened_at, Alert.escalation_level)
            .where(Alert.status == "open", or_(*behind))):
        reached = escalation_level(severity, opened_at, now, policy)
        if reached > level:
            changes.append(dict(id=alert_id, escalation_level=reached,
                                escalated_at=opened_at + reached * timedelta(minutes=policy[severity])))
    if changes:
        session.execute(update(Alert), changes)
        for change in changes:   # alerts this session holds show their new level
            held = session.identity_map.get(identity_key(Alert, change["id"]))
            if held is not None:
                session.expire(held, ["escalation_level", "escalated_at"])
    return len(changes)


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


def _insert_ignoring_raised(session):
    from sqlalchemy.dialects import postgresql, sqlite
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(Alert).on_conflict_do_nothing(index_elements=["dedup_key"])


def raise_alerts(drafts, *, now, session=None) -> int:
    """Set-based `raise_alert`: one query for the keys already raised (per 2,000),
    one insert of the others (a concurrent sweep's rows are skipped by the
    unique key). Returns how many were raised."""
    session = session or db.session
    by_key = {d.dedup_key: d for d in drafts}
    keys = list(by_key)
    for i in range(0, len(keys), 2000):
        for key in session.scalars(select(Alert.dedup_key).where(
                Alert.dedup_key.in_(keys[i:i + 2000]))):
            by_key.pop(key, None)
    rows = [dict(dedup_key=d.dedup_key, rule_code=d.spec.rule_code, severity=d.spec.severity,
                 role=d.spec.role, patient_id=d.patient_id, facility_id=d.facility_id,
                 programme=d.spec.programme, message=d.spec.message, action=d.spec.action,
                 custody_message=d.spec.custody_message, status="open", opened_at=now,
                 escalation_level=0, cause_event_type=d.cause_event_type,
                 cause_event_id=d.cause_event_id)
            for d in by_key.values()]
    if rows:
        session.execute(_insert_ignoring_raised(session), rows)
    return len(rows)

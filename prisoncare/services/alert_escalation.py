"""Escalation of alerts nobody acknowledged in time: a level number that grows with
the wait, and a second role (the rule's escalate_to) that then has the alert in its
inbox too. The minutes per severity and the fallback next role are data
(sweep.toml [escalation]); the escalate_to of each rule comes from alert_rules.toml
with the deployment's overrides. Set-based: one query, one bulk update."""
from dataclasses import dataclass, field
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import Alert


# The roles an alert may escalate to: clinical alerts never reach custody staff (nor
# an administrator), whatever a deployment's settings say.
ESCALATION_ROLES = frozenset({"nurse", "clinician", "release_officer", "auditor"})


@dataclass(frozen=True)
class EscalationPolicy:
    minutes: dict = field(default_factory=dict)       # severity -> minutes per level
    max_level: int = 3
    escalate_to: dict = field(default_factory=dict)   # rule code -> role
    next_role: dict = field(default_factory=dict)     # role -> role, when the rule names none

    def role_after(self, rule_code: str, role: str) -> str | None:
        target = self.escalate_to.get(rule_code) or self.next_role.get(role)
        return target if target in ESCALATION_ROLES and target != role else None


def escalation_policy(minutes=None) -> EscalationPolicy:
    """The policy of this deployment: sweep.toml's [escalation] (SWEEP_SETTINGS
    overrides it) and the rule table's escalate_to (ALERT_RULE_OVERRIDES applied)."""
    from ..rules.alert_rules import load_rules
    from .dose_marks import sweep_settings
    config = current_app.config if has_app_context() else {}
    settings = sweep_settings(config.get("SWEEP_SETTINGS"))["escalation"]
    rules = load_rules(overrides=config.get("ALERT_RULE_OVERRIDES"))
    return EscalationPolicy(
        minutes={s: m for s, m in (minutes or settings["minutes"]).items() if m},
        max_level=int(settings.get("max_level", 3)),
        escalate_to={r.id: r.escalate_to for r in rules if r.escalate_to},
        next_role=dict(settings.get("next_role", {})))


def escalation_level(severity: str, opened_at, now, minutes, max_level=3) -> int:
    """How many escalation steps an alert open since `opened_at` has reached at
    `now`: a function of the two instants only, so a late or repeated sweep
    reaches the same level."""
    step = minutes.get(severity)
    if not step or now <= opened_at:
        return 0
    return min(int((now - opened_at) / timedelta(minutes=step)), max_level)


def escalate_open_alerts(*, now, minutes=None, session=None, policy=None) -> int:
    """Raise the level of every open (unacknowledged) alert that waited too long and
    hand it to the escalation role. One query finds exactly the alerts whose level is
    behind (per severity and level: opened at least one more step ago), one bulk
    update by id sets them."""
    policy = policy or escalation_policy(minutes)
    session = session or db.session
    behind = [and_(Alert.severity == severity, Alert.escalation_level == level,
                   Alert.opened_at <= now - (level + 1) * timedelta(minutes=step))
              for severity, step in policy.minutes.items() for level in range(policy.max_level)]
    if not behind:
        return 0
    changes = []
    for alert_id, severity, opened_at, level, rule_code, role in session.execute(
            select(Alert.id, Alert.severity, Alert.opened_at, Alert.escalation_level,
                   Alert.rule_code, Alert.role)
            .where(Alert.status == "open", or_(*behind))):
        reached = escalation_level(severity, opened_at, now, policy.minutes, policy.max_level)
        if reached > level:
            changes.append(dict(
                id=alert_id, escalation_level=reached,
                escalated_to=policy.role_after(rule_code, role),
                escalated_at=opened_at + reached * timedelta(minutes=policy.minutes[severity])))
    if changes:
        session.execute(update(Alert), changes)
        for change in changes:   # alerts this session holds show their new level
            held = session.identity_map.get(identity_key(Alert, change["id"]))
            if held is not None:
                session.expire(held, ["escalation_level", "escalated_at", "escalated_to"])
    return len(changes)

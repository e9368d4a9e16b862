"""The scheduler's release rules: OST-R-01, OST-R-02, ART-07, HCV-04 (the alert
table), TB-06 at release and BR-09 (the plan's own [[alerts]]), over every plan
of someone still in custody whose release is near.

Set-based: one query for the plans (and a fixed few for their referrals, orders
and community treatment), the rules evaluated in memory, the alerts raised in one
bulk insert (`raise_alerts`), and the ones whose plan items are now done resolved
in one pass. Dedup key: `<rule>:release-plan:<plan id>`, so each rule raises once
per plan whatever the cadence.
"""
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import select

from ..extensions import db
from ..models import Alert, CustodyEpisode
from ..models.release import ReleasePlan
from ..rules import alert_rules as ar
from ..rules import release as rules_plan
from ..rules import release_alerts as rules
from .alerts import AlertDraft, AlertSpec, raise_alerts
from .release_facts import definition, plan_facts, plan_options, thresholds, tz_of

KEY = "{rule}:release-plan:{plan}"
RESOLVE_NOTE = "Resolved by the scheduler: the release plan items are done."


def alert_table() -> ar.RuleSet:
    """The alert table, its release rules reading the plan's thresholds (one source)."""
    overrides = dict((current_app.config.get("ALERT_RULE_OVERRIDES") if has_app_context()
                      else None) or {})
    from_plan = plan_threshold_overrides(ar.load_rules(overrides=overrides), thresholds())
    for rule_id, params in from_plan.items():
        overrides[rule_id] = {**(overrides.get(rule_id) or {}), **params}
    return ar.load_rules(overrides=overrides)


def plan_threshold_overrides(table: ar.RuleSet, plan: rules_plan.Thresholds) -> dict:
    """The release plan's appointment and bridging thresholds (release_plan.toml and
    RELEASE_THRESHOLDS) for the alert table's release_plan_incomplete rules, so an
    alert and the plan item it names never disagree (e.g. OST-R-01's appointment
    window, ART-07's days of ARVs)."""
    out = {}
    for rule in table:
        if rule.kind != "release_plan_incomplete" or rule.programme is None:
            continue
        params = {}
        within = plan.appointment_within_days.get(rule.programme)
        if rule.params.get("appointment_within_days") is not None and within is not None:
            params["appointment_within_days"] = within
        bridging = plan.bridging_days.get(rule.programme)
        if rule.params.get("min_bridging_days") is not None and isinstance(bridging, int):
            params["min_bridging_days"] = bridging
        if params:
            out[rule.id] = params
    return out


def horizon_days(table: ar.RuleSet) -> int:
    windows = [r.params["within_days"] for r in table if r.kind == "release_plan_incomplete"]
    for alert in definition().alerts:
        windows.append(rules._within(alert, table))
    return max(windows or [0])


def _message(hit: rules.ReleaseHit, days: int) -> str:
    when = "today" if days == 0 else (f"in {days} day(s)" if days > 0 else f"{-days} day(s) ago")
    missing = "; ".join(hit.missing) or "plan items"
    return f"Release {when}: not done yet: {missing}."


def plans_near_release(now, days: int) -> list[ReleasePlan]:
    """Plans of open custody episodes with a release date within `days` (a day of
    margin for time zones; the exact count is per facility)."""
    return db.session.scalars(
        select(ReleasePlan).join(CustodyEpisode, ReleasePlan.episode_id == CustodyEpisode.id)
        .where(CustodyEpisode.released_at.is_(None), ReleasePlan.release_on.is_not(None),
               ReleasePlan.release_on <= (now + timedelta(days=days + 1)).date())
        .options(*plan_options())).all()


def evaluate_release_rules(*, now, table: ar.RuleSet | None = None) -> dict[str, int]:
    table = table or alert_table()
    plans = plans_near_release(now, horizon_days(table))
    facts = plan_facts(plans, now)
    drafts, live_keys, keys_in_scope = [], set(), set()
    rule_ids = {r.id for r in table if r.kind == "release_plan_incomplete"} | {
        a.rule for a in definition().alerts}
    for plan in plans:
        f = facts[plan.id]
        today = now.astimezone(tz_of(plan)).date()
        days = rules.days_to_release(plan.release_on, today)
        keys_in_scope.update(KEY.format(rule=r, plan=plan.id) for r in rule_ids)
        # Resolved only when the items are done, not because the release date moved away.
        live_keys.update(KEY.format(rule=h.rule_id, plan=plan.id) for h in rules.release_hits(
            definition().alerts, f.subject, f.state, f.statuses, min(days, 0), table))
        for hit in rules.release_hits(definition().alerts, f.subject, f.state, f.statuses, days, table):
            key = KEY.format(rule=hit.rule_id, plan=plan.id)
            spec = AlertSpec(rule_code=hit.rule_id, severity=hit.severity, role=hit.role,
                             programme=hit.programme, message=_message(hit, days),
                             action=hit.action, custody_message=hit.custody_message)
            drafts.append(AlertDraft(spec, plan.patient_id, plan.facility_id, key))
    raised = raise_alerts(drafts, now=now)
    resolved = resolve_cleared(keys_in_scope - live_keys, now=now)
    return {"raised": raised, "resolved": resolved}


def resolve_cleared(keys, *, now) -> int:
    """Open or acknowledged release-rule alerts whose plan items are done now."""
    keys, resolved = sorted(keys), 0
    for i in range(0, len(keys), 1000):
        for alert in db.session.scalars(select(Alert).where(
                Alert.dedup_key.in_(keys[i:i + 1000]), Alert.status != "resolved")):
            alert.status, alert.resolved_at, alert.resolve_note = "resolved", now, RESOLVE_NOTE
            resolved += 1
    return resolved

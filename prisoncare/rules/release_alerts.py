"""The release rules of the rule table (clinical-rules.md section 9) over a plan.

Pure: no Flask, no database. Two sources, one answer per plan:

- OST-R-01, OST-R-02, ART-07, HCV-04 are `release_plan_incomplete` rules of the
  alert table (data/alert_rules.toml, read with `alert_rules.load_rules`): the plan
  is turned into `alert_rules.ReleaseFacts` per programme and the table's own
  evaluator decides.
- The release part of TB-06 (DOT handover at release, RL-07) and BR-09 (a woman's
  reintegration plan) are the `[[alerts]]` of data/release_plan.toml: they name
  the plan items that satisfy them.

A hit names the plan items still missing for it; the alert is resolved when they
are done.
"""
from dataclasses import dataclass
from datetime import date

from . import alert_rules as ar
from . import release as plan_rules

# What each item of the alert table's release vocabulary (alert_schema.RELEASE_ITEMS)
# means in the plan: plan item ids, per programme.
ITEM_MEANING = {
    "community_appointment": "{p}_appointment",
    "community_prescriber": "{p}_provider",
    "prescription_sent": "ost_prescription_sent",
    "naloxone": "naloxone_issued",
    "overdose_training": "naloxone_training",
    "remaining_supply": "{p}_supply",
    "dot_handover": "tb_handover",
}
# Programmes of the alert table's release rules, and the plan items each rule
# reports as missing (the table says which gap; the plan says which item to do).
TABLE_PROGRAMMES = ("ost", "art", "hcv")
FIRES_WHEN = ("any_missing", "all_missing")


@dataclass(frozen=True)
class ReleaseAlert:
    """One rule of release_plan.toml's [[alerts]]."""
    rule: str
    items: tuple[str, ...]
    within_days: int | str
    fires_when: str = "any_missing"
    applies_when: tuple = ()
    severity: str | None = None
    role: str | None = None
    action: str | None = None
    source: str | None = None


@dataclass(frozen=True)
class ReleaseHit:
    rule_id: str
    programme: str | None
    missing: tuple[str, ...]   # plan item names
    severity: str
    role: str
    action: str | None
    custody_message: str | None = None


def parse_alerts(raw, item_ids, problems: list[str]) -> tuple[ReleaseAlert, ...]:
    out = []
    for n, entry in enumerate(raw or [], 1):
        where = f"alert {entry.get('rule', f'#{n}')}" if isinstance(entry, dict) else f"alert #{n}"
        if not isinstance(entry, dict):
            problems.append(f"{where}: must be a table")
            continue
        before = len(problems)
        allowed = {"rule", "items", "within_days", "fires_when", "applies_when", "severity",
                   "role", "action", "source"}
        problems += [f"{where}: unknown key {k!r}" for k in sorted(set(entry) - allowed)]
        items = entry.get("items")
        if not isinstance(items, list) or not items:
            problems.append(f"{where}: items must be a non-empty list of plan items")
        else:
            problems += [f"{where}: unknown plan item {i!r}" for i in items if i not in item_ids]
        within = entry.get("within_days")
        if not ((isinstance(within, int) and not isinstance(within, bool) and within >= 0)
                or (isinstance(within, str) and within.startswith("$"))):
            problems.append(f"{where}: within_days must be whole days or a $threshold of the alert table")
        if entry.get("fires_when", "any_missing") not in FIRES_WHEN:
            problems.append(f"{where}: fires_when must be one of {', '.join(FIRES_WHEN)}")
        conditions = entry.get("applies_when", {})
        for name, value in (conditions.items() if isinstance(conditions, dict) else ()):
            if name not in plan_rules.CONDITIONS or value not in plan_rules.CONDITIONS[name]:
                problems.append(f"{where}: bad condition {name} = {value!r}")
        if len(problems) == before:
            out.append(ReleaseAlert(
                rule=entry["rule"], items=tuple(items), within_days=within,
                fires_when=entry.get("fires_when", "any_missing"),
                applies_when=tuple(sorted(conditions.items())), severity=entry.get("severity"),
                role=entry.get("role"), action=entry.get("action"), source=entry.get("source")))
    return tuple(out)


def days_to_release(release_on: date | None, today: date) -> int | None:
    return (release_on - today).days if release_on else None


def _release_facts(programme, days, subject, state, statuses) -> ar.ReleaseFacts:
    done_ids = {s.item.id for s in statuses if s.done}
    applicable = {s.item.id for s in statuses}
    done = set()
    for word, pattern in ITEM_MEANING.items():
        item_id = pattern.format(p=programme)
        # An item the plan does not ask of her counts as in place: an opioid user
        # not on OST is checked for naloxone (OST-R-02), never for an OST prescriber.
        if item_id in done_ids or item_id not in applicable:
            done.add(word)
    referral = state.referrals.get(programme) or plan_rules.Referral()
    appointment = None
    if referral.appointment_on and state.release_on:
        appointment = (referral.appointment_on - state.release_on).days
    if programme not in subject.programmes:  # OST-R-02 only: no appointment asked
        appointment = 0
    return ar.ReleaseFacts(days_to_release=days, done=frozenset(done),
                           bridging_days=referral.supply_days, appointment_in_days=appointment)


def _missing_for(rule: ar.AlertRule, programme, statuses) -> tuple[str, ...]:
    """The plan items behind a table rule's gap, by name (for the message)."""
    wanted = {ITEM_MEANING[w].format(p=programme) for w in rule.params.get("requires", ())}
    if rule.params.get("min_bridging_days"):
        wanted.add(f"{programme}_supply")
    if rule.params.get("appointment_within_days") is not None:
        wanted.add(f"{programme}_appointment")
    return tuple(s.item.name for s in statuses if s.item.id in wanted and not s.done)


def table_hits(subject, state, statuses, days: int, table: ar.RuleSet) -> list[ReleaseHit]:
    """The alert table's release_plan_incomplete rules this plan meets."""
    programmes = [p for p in TABLE_PROGRAMMES if p in subject.programmes]
    if subject.opioid_use and "ost" not in programmes:
        programmes.append("ost")
    hits = []
    for programme in programmes:
        facts = _release_facts(programme, days, subject, state, statuses)
        for hit in ar.evaluate_release_plan(programme, facts, table):
            hits.append(ReleaseHit(hit.rule_id, programme, _missing_for(hit.rule, programme, statuses),
                                   hit.rule.severity, hit.rule.role, hit.rule.action,
                                   hit.rule.custody_message))
    return hits


def _within(alert: ReleaseAlert, table: ar.RuleSet) -> int:
    if isinstance(alert.within_days, str):
        return table.thresholds[alert.within_days[1:]]
    return alert.within_days


def plan_alert_hits(alerts, subject, statuses, days: int, table: ar.RuleSet) -> list[ReleaseHit]:
    """release_plan.toml's own release rules (TB-06 at release, BR-09) this plan meets."""
    by_id = {s.item.id: s for s in statuses}
    hits = []
    for alert in alerts:
        if days > _within(alert, table):
            continue
        if not all(subject.value(k) == v if k != "programme" else v in subject.programmes
                   for k, v in alert.applies_when):
            continue
        items = [by_id[i] for i in alert.items if i in by_id]
        if not items:
            continue
        missing = [s for s in items if not s.done]
        fires = missing if alert.fires_when == "any_missing" else (
            missing if len(missing) == len(items) else [])
        if not fires:
            continue
        base = next((r for r in table if r.id == alert.rule), None)
        hits.append(ReleaseHit(
            alert.rule, base.programme if base else None, tuple(s.item.name for s in missing),
            alert.severity or base.severity, alert.role or base.role,
            alert.action or base.action, base.custody_message if base else None))
    return hits


def release_hits(alerts, subject, state, statuses, days: int | None, table: ar.RuleSet
                 ) -> list[ReleaseHit]:
    if days is None:
        return []
    return table_hits(subject, state, statuses, days, table) + plan_alert_hits(
        alerts, subject, statuses, days, table)

"""Alert rules as data: load the rule table (validated, with deployment overrides) and
evaluate its conditions from plain values. Pure: imports neither Flask nor the database.

The table is ``data/alert_rules.toml`` (its header documents the format); its shape and
validation live in ``alert_schema``.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Hashable, Iterable, Mapping

from prisoncare.rules.alert_schema import LADDER_KINDS, SEVERITIES, RuleFileError, normalise

__all__ = ["AlertRule", "RuleSet", "RuleHit", "Streak", "ReleaseFacts", "RuleFileError",
           "DEFAULT_PATH", "load_rules", "parse_rules", "evaluate", "evaluate_streak",
           "evaluate_missed_in_window", "evaluate_not_continued", "evaluate_custody_dose_loss",
           "evaluate_planned_absence", "evaluate_transfer_record", "evaluate_unplanned_release",
           "evaluate_release_plan", "evaluate_task_overdue", "missed_in_window_runs",
           "ladder_key", "superseded"]

DEFAULT_PATH = Path(__file__).with_name("data") / "alert_rules.toml"


@dataclass(frozen=True)
class AlertRule:
    id: str
    programme: str
    kind: str
    params: Mapping[str, Any] = field(hash=False)  # after thresholds and overrides
    severity: str
    role: str
    action: str
    source: str
    drug_family: str | None = None
    escalate_to: str | None = None
    custody_message: str | None = None
    blocks_dosing: bool = False
    closes_on: tuple[str, ...] = ()   # interruption_end | release: see alert_schema.CLOSES_ON

    def applies_to(self, programme: str, drug_family: str | None = None) -> bool:
        return self.programme == programme and self.drug_family in (None, drug_family)

    def contains(self, value: int) -> bool:
        high = self.params.get("max")
        return self.params["min"] <= value and (high is None or value <= high)


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[AlertRule, ...]
    thresholds: Mapping[str, int] = field(default_factory=dict, hash=False)

    def __iter__(self):
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> AlertRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True)
class RuleHit:
    rule: AlertRule
    observed: int | None = None  # the count that matched (days, hours, doses)

    @property
    def rule_id(self) -> str:
        return self.rule.id

    @property
    def severity(self) -> str:
        return self.rule.severity

    @property
    def role(self) -> str:
        return self.rule.role


# ------------------------------------------------------------------------- loading

def load_rules(path: str | Path | None = None,
               overrides: Mapping[str, Any] | None = None) -> RuleSet:
    """Load, override and validate a rule file (default: the packaged table)."""
    path = Path(path) if path else DEFAULT_PATH
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(path.name, [f"not valid TOML: {exc}"]) from None
    return parse_rules(data, overrides, origin=path.name)


def parse_rules(data: Mapping[str, Any], overrides: Mapping[str, Any] | None = None,
                origin: str = "alert rules") -> RuleSet:
    """Validate an already-parsed table; raises RuleFileError naming each bad rule."""
    thresholds, rules = normalise(data, overrides or {}, origin)
    return RuleSet(tuple(AlertRule(**r) for r in rules), thresholds)


# ---------------------------------------------------------------------- evaluation

def _applicable(rules: Iterable[AlertRule], kind: str, programme: str,
                drug_family: str | None = None) -> list[AlertRule]:
    return [r for r in rules if r.kind == kind and r.applies_to(programme, drug_family)]


def _ordered(hits: Iterable[RuleHit]) -> list[RuleHit]:
    return sorted(hits, key=lambda h: (-SEVERITIES.index(h.severity), h.rule_id))


def _rung(rules, kind, programme, drug_family, phase, value) -> list[RuleHit]:
    """Per ladder, the single most specific rung whose range contains ``value``: a rule
    of its own ladder (TB-04, any phase, beside the phase ladders) is reached too."""
    found: dict[tuple, list[AlertRule]] = {}
    for r in _applicable(rules, kind, programme, drug_family):
        if value >= 1 and r.params.get("phase") in (None, phase) and r.contains(value):
            found.setdefault(ladder_key(r), []).append(r)
    return [RuleHit(min(rungs, key=lambda r: (r.drug_family is None, _width(r),
                                              -r.params["min"], r.id)), value)
            for rungs in found.values()]


def _width(rule: AlertRule) -> float:
    top = rule.params["max"]
    return float("inf") if top is None else top - rule.params["min"]


def evaluate_streak(programme: str, drug_family: str | None, missed_consecutive_days: int,
                    pregnant: bool, rules: Iterable[AlertRule], *,
                    interruption_days: int | None = None, phase: str | None = None
                    ) -> list[RuleHit]:
    """Ladder rungs (one per ladder kind) plus pregnancy rules for a current streak.

    ``missed_consecutive_days``: scheduled days without a given dose (OST/ART ladders);
    ``interruption_days``: calendar length of the episode (TB/HCV/ART-03), defaulting to
    the former; ``phase``: TB phase, needed by TB rungs that name one.
    """
    rules = tuple(rules)
    days = missed_consecutive_days if interruption_days is None else interruption_days
    hits = _rung(rules, "missed_consecutive_days", programme, drug_family, None,
                 missed_consecutive_days)
    hits += _rung(rules, "consecutive_interruption_days", programme, drug_family, phase, days)
    if pregnant:
        hits += [RuleHit(r, missed_consecutive_days)
                 for r in _applicable(rules, "pregnant_missed", programme, drug_family)
                 if missed_consecutive_days >= r.params["min"]]
    return _ordered(hits)


@dataclass(frozen=True)
class Streak:
    """One current interruption, for batch evaluation; ``key`` is the caller's handle."""
    key: Hashable
    programme: str
    drug_family: str | None
    missed_days: int
    pregnant: bool = False
    interruption_days: int | None = None
    phase: str | None = None


def evaluate(streaks: Iterable[Streak], rules: Iterable[AlertRule]) -> list[tuple[Hashable, RuleHit]]:
    rules = tuple(rules)
    return [(s.key, hit) for s in streaks
            for hit in evaluate_streak(s.programme, s.drug_family, s.missed_days, s.pregnant,
                                       rules, interruption_days=s.interruption_days,
                                       phase=s.phase)]


def evaluate_missed_in_window(programme: str, missed_on: Iterable[date], today: date,
                              rules: Iterable[AlertRule]) -> list[RuleHit]:
    """Missed doses (one local date per dose: two missed on one day count two) in the
    ``window_days`` ending today (inclusive)."""
    missed = list(missed_on)
    hits = []
    for rule in _applicable(rules, "missed_in_window", programme):
        start = today - timedelta(days=rule.params["window_days"] - 1)
        count = sum(1 for d in missed if start <= d <= today)
        if count >= rule.params["min_missed"]:
            hits.append(RuleHit(rule, count))
    return _ordered(hits)


def missed_in_window_runs(programme: str, missed: Iterable[tuple[Hashable, date]],
                          rules: Iterable[AlertRule]) -> list[tuple[Hashable, RuleHit, date]]:
    """One hit per run of missed doses that reaches a ``missed_in_window`` rule.

    ``missed``: (key, local date) per missed dose. A run is a chain of missed doses each
    within ``window_days`` of the one before (so any two consecutive ones could share a
    window); it is named by the key of its first dose, which does not change as the run
    grows, so the alert is raised once per run, not once per further missed dose.
    Returns (first key, hit, the date the count was reached); the hit's ``observed`` is
    the count when first reached, so it does not depend on when the sweep looks.
    """
    doses = sorted(missed, key=lambda m: (m[1], str(m[0])))
    out = []
    for rule in _applicable(rules, "missed_in_window", programme):
        span = timedelta(days=rule.params["window_days"] - 1)
        runs: list[list[tuple[Hashable, date]]] = []
        for dose in doses:
            if runs and dose[1] - runs[-1][-1][1] <= span:
                runs[-1].append(dose)
            else:
                runs.append([dose])
        for run in runs:
            for j, (_, end) in enumerate(run):
                count = sum(1 for _, d in run[:j + 1] if d >= end - span)
                if count >= rule.params["min_missed"]:
                    out.append((run[0][0], RuleHit(rule, count), end))
                    break
    return out


def evaluate_not_continued(programme: str, admitted_at: datetime, first_given_at: datetime | None,
                           now: datetime, rules: Iterable[AlertRule]) -> list[RuleHit]:
    """A community treatment with no dose within ``hours`` of admission (late or still none)."""
    hours = int(((first_given_at or now) - admitted_at).total_seconds() // 3600)
    return _ordered(RuleHit(r, hours) for r in
                    _applicable(rules, "not_continued_after_admission", programme)
                    if _overdue(admitted_at, first_given_at, now, r.params["hours"]))


def evaluate_custody_dose_loss(programme: str, absence: str, rules: Iterable[AlertRule]
                               ) -> list[RuleHit]:
    """A dose not given because the person was away (``court``, ``transfer``, ``hospital``)."""
    return _ordered(RuleHit(r) for r in _applicable(rules, "dose_lost_to_custody_event", programme)
                    if absence in r.params["events"])


def evaluate_planned_absence(programme: str, event_type: str, departs_at: datetime,
                             returns_at: datetime | None, due_ats: Iterable[datetime],
                             rules: Iterable[AlertRule]) -> list[RuleHit]:
    """Doses due in [departs_at, returns_at) of a scheduled court day or transfer."""
    due = sum(1 for t in due_ats if departs_at <= t and (returns_at is None or t < returns_at))
    return _ordered(RuleHit(r, due) for r in
                    _applicable(rules, "dose_due_during_planned_absence", programme)
                    if due and event_type in r.params["events"])


def evaluate_transfer_record(programme: str, record_sent: bool, rules: Iterable[AlertRule],
                             departs_in_hours: float | None = None) -> list[RuleHit]:
    """A transfer with no handover of the programme's record. ``departs_in_hours``: hours
    to the planned departure (None: under way, or no time known), compared with the
    rule's ``within_hours``."""
    if record_sent:
        return []
    return _ordered(RuleHit(r) for r in _applicable(rules, "transfer_without_record", programme)
                    if departs_in_hours is None or "within_hours" not in r.params
                    or departs_in_hours <= r.params["within_hours"])


def evaluate_unplanned_release(programme: str, planned: bool, rules: Iterable[AlertRule]
                               ) -> list[RuleHit]:
    if planned:
        return []
    return _ordered(RuleHit(r) for r in _applicable(rules, "unplanned_release", programme))


@dataclass(frozen=True)
class ReleaseFacts:
    days_to_release: int
    done: frozenset[str] = frozenset()        # items from RELEASE_ITEMS that are in place
    bridging_days: int | None = None          # days of supply given or planned
    appointment_in_days: int | None = None    # first community appointment, days after release


def evaluate_release_plan(programme: str, facts: ReleaseFacts, rules: Iterable[AlertRule]
                          ) -> list[RuleHit]:
    return _ordered(RuleHit(r, facts.days_to_release) for r in
                    _applicable(rules, "release_plan_incomplete", programme)
                    if facts.days_to_release <= r.params["within_days"]
                    and _release_gaps(r.params, facts))


def _release_gaps(params: Mapping[str, Any], facts: ReleaseFacts) -> bool:
    if set(params.get("requires", ())) - set(facts.done):
        return True
    need = params.get("min_bridging_days")
    if need is not None and (facts.bridging_days or 0) < need:
        return True
    within = params.get("appointment_within_days")
    return within is not None and (facts.appointment_in_days is None
                                   or facts.appointment_in_days > within)


def evaluate_task_overdue(task: str, started_at: datetime, done_at: datetime | None,
                          now: datetime, rules: Iterable[AlertRule], *,
                          substance_dependent: bool = False) -> list[RuleHit]:
    """A checklist task not done within its deadline (done late also counts)."""
    hits = []
    for rule in (r for r in rules if r.kind == "task_overdue" and r.params["task"] == task):
        hours = rule.params["hours"]
        if substance_dependent:
            hours = rule.params.get("hours_if_substance_dependent", hours)
        if _overdue(started_at, done_at, now, hours):
            hits.append(RuleHit(rule, hours))
    return _ordered(hits)


def _overdue(started_at: datetime, done_at: datetime | None, now: datetime, hours: int) -> bool:
    """Done after the deadline, or not done and the deadline has been reached."""
    deadline = started_at + timedelta(hours=hours)
    return done_at > deadline if done_at is not None else now >= deadline


# ------------------------------------------------------------------------ ladders

def ladder_key(rule: AlertRule) -> tuple | None:
    """The ladder a rung belongs to (kind, programme, drug family, phase), else None."""
    if rule.kind not in LADDER_KINDS:
        return None
    return (rule.kind, rule.programme, rule.drug_family, rule.params.get("phase"))


def superseded(hits: Iterable[RuleHit]) -> list[tuple[RuleHit, RuleHit]]:
    """(lower rung, top rung) for every rung of a ladder below the highest one reached
    among ``hits`` (the rungs reached by one episode). Non-ladder hits are never
    superseded: a pregnancy rule stands beside the ladder."""
    tops: dict[tuple, RuleHit] = {}
    for hit in hits:
        key = ladder_key(hit.rule)
        if key is not None and (key not in tops
                                or hit.rule.params["min"] > tops[key].rule.params["min"]):
            tops[key] = hit
    return [(hit, tops[key]) for hit in hits
            if (key := ladder_key(hit.rule)) is not None and tops[key] is not hit]

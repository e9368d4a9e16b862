"""The release plan as data (data/release_plan.toml) and pure functions over it.

No Flask, no database: the service builds a `PlanSubject` (who she is) and a
`PlanState` (what the plan holds) and asks which items apply and which are
missing. Thresholds come from the file and may be overridden per deployment.
"""
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path

PROGRAMMES = ("ost", "art", "tb", "hcv")
NEEDS = PROGRAMMES + ("antenatal", "paediatric")
SOCIAL_NEEDS = ("housing", "id_documents", "income", "health_insurance", "legal_aid",
                "child_custody", "violence_support", "women_harm_reduction", "peer_support")
SOCIAL_OUTCOMES = ("pending", "arranged", "referred", "not_needed", "declined")
DONE_OUTCOMES = ("arranged", "referred", "not_needed", "declined")
ITEM_KINDS = ("provider", "appointment", "supply", "check", "social")
PLAN_KINDS = ("planned", "emergency")
CONSENT_CATEGORIES = ("general", "ost", "hiv", "srh", "violence")
# Which consent category covers the content about each need. Women's harm
# reduction reveals drug use, so it is shared under "ost" (the drug-use category);
# children (custody, reunification, a child with her) reveal her reproductive
# history, so they are shared under "srh". TB and HCV stay "general": they only
# ever go to a provider treating them (a letter holds the recipient's own items).
NEED_CATEGORY = {"ost": "ost", "art": "hiv", "tb": "general", "hcv": "general",
                 "antenatal": "srh", "paediatric": "srh"}
SOCIAL_CATEGORY = {"violence_support": "violence", "women_harm_reduction": "ost",
                   "child_custody": "srh"}
REST_OF_COURSE = "rest_of_course"

CONDITIONS = {
    "programme": PROGRAMMES, "opioid_use": (True, False), "sex": ("female", "male", "intersex", "unknown"),
    "pregnant_or_breastfeeding": (True, False), "children_outside": (True, False),
    "child_with_her": (True, False), "legal_status": ("pretrial", "sentenced"),
    "kind": PLAN_KINDS, "on_treatment": (True, False),
}
ITEM_KEYS = ("id", "section", "name", "rule_refs", "kind", "need", "key", "applies_when", "required")


class PlanDefinitionError(ValueError):
    def __init__(self, source: str, problems: list[str]):
        self.problems = tuple(problems)
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


@dataclass(frozen=True)
class PlanItem:
    id: str
    section: str
    name: str
    rule_refs: tuple[str, ...]
    kind: str
    need: str | None = None
    key: str | None = None
    applies_when: tuple[tuple[str, object], ...] = ()
    required: bool = True


@dataclass(frozen=True)
class Thresholds:
    appointment_within_days: dict
    bridging_days: dict

    def merged(self, overrides: dict | None) -> "Thresholds":
        if not overrides:
            return self
        return replace(self, **{name: {**getattr(self, name), **overrides.get(name, {})}
                                for name in ("appointment_within_days", "bridging_days")})


@dataclass(frozen=True)
class PlanDefinition:
    version: int
    sections: tuple[tuple[str, str], ...]
    items: tuple[PlanItem, ...]
    thresholds: Thresholds
    alerts: tuple = ()  # release_alerts.ReleaseAlert: TB-06 at release, BR-09

    def item(self, item_id: str) -> PlanItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    @property
    def check_keys(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.key for i in self.items if i.kind == "check"))


@dataclass(frozen=True)
class PlanSubject:
    """Who she is at release; None = not known."""
    sex: str | None = None
    programmes: frozenset = frozenset()
    opioid_use: bool = False
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    children_outside: bool | None = None
    child_with_her: bool | None = None
    legal_status: str | None = None
    kind: str = "planned"

    def value(self, name: str):
        if name == "pregnant_or_breastfeeding":
            return bool(self.pregnant or self.breastfeeding)
        if name == "on_treatment":
            return bool(self.programmes & set(PROGRAMMES))
        if name in ("children_outside", "child_with_her"):
            return bool(getattr(self, name))
        return getattr(self, name)


@dataclass(frozen=True)
class Referral:
    provider: str | None = None
    appointment_on: date | None = None
    supply_days: int | None = None


@dataclass
class PlanState:
    """What the plan holds, in plain values."""
    referrals: dict = field(default_factory=dict)      # need -> Referral
    checks: dict = field(default_factory=dict)         # key -> bool
    social: dict = field(default_factory=dict)         # key -> outcome
    release_on: date | None = None
    course_end_on: dict = field(default_factory=dict)  # need -> date (end of the order)


# --- loading -------------------------------------------------------------------------

def parse_definition(data: dict, source: str = "release_plan.toml") -> PlanDefinition:
    problems: list[str] = []
    unknown = set(data) - {"version", "thresholds", "sections", "items", "alerts"}
    problems += [f"unknown key {k!r}" for k in sorted(unknown)]
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(f"version must be a whole number from 1, not {version!r}")
    sections = []
    for n, s in enumerate(data.get("sections") or [], 1):
        if not isinstance(s, dict) or set(s) != {"id", "title"}:
            problems.append(f"section #{n}: needs exactly id and title")
        else:
            sections.append((s["id"], s["title"]))
    if not sections:
        problems.append("sections must be a non-empty list")
    section_ids = {s[0] for s in sections}
    thresholds = _parse_thresholds(data.get("thresholds"), problems)
    items, seen = [], set()
    for n, raw in enumerate(data.get("items") or [], 1):
        item = _parse_item(raw, f"item #{n}", section_ids, thresholds, problems)
        if item is not None:
            if item.id in seen:
                problems.append(f"item {item.id}: duplicate id")
            seen.add(item.id)
            items.append(item)
    if not items and not problems:
        problems.append("items must be a non-empty list")
    used = {i.section for i in items}
    problems += [f"section {s}: has no items" for s in sorted(section_ids - used)]
    from .release_alerts import parse_alerts
    alerts = parse_alerts(data.get("alerts"), seen, problems)
    if problems:
        raise PlanDefinitionError(source, problems)
    return PlanDefinition(version=version, sections=tuple(sections), items=tuple(items),
                          thresholds=thresholds, alerts=alerts)


def _parse_thresholds(raw, problems) -> Thresholds:
    raw = raw if isinstance(raw, dict) else {}
    if set(raw) != {"appointment_within_days", "bridging_days"}:
        problems.append("thresholds needs exactly appointment_within_days and bridging_days")
    appointment = raw.get("appointment_within_days") or {}
    bridging = raw.get("bridging_days") or {}
    for need, days in appointment.items():
        if need not in NEEDS or not _whole(days) or days < 0:
            problems.append(f"thresholds.appointment_within_days.{need}: a known need and whole days")
    for need, days in bridging.items():
        if need not in NEEDS or not (days == REST_OF_COURSE or (_whole(days) and days > 0)):
            problems.append(f"thresholds.bridging_days.{need}: whole days or {REST_OF_COURSE!r}")
    return Thresholds(dict(appointment), dict(bridging))


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _parse_item(raw, where, section_ids, thresholds, problems) -> PlanItem | None:
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table")
        return None
    where = f"item {raw.get('id', where)}"
    before = len(problems)
    problems += [f"{where}: unknown key {k!r}" for k in sorted(set(raw) - set(ITEM_KEYS))]
    for name in ("id", "section", "name", "rule_refs", "kind"):
        if not raw.get(name):
            problems.append(f"{where}: {name} is required")
    if raw.get("section") and raw["section"] not in section_ids:
        problems.append(f"{where}: unknown section {raw['section']!r}")
    kind = raw.get("kind")
    if kind and kind not in ITEM_KINDS:
        problems.append(f"{where}: kind must be one of {', '.join(ITEM_KINDS)}")
    if kind in ("provider", "appointment", "supply"):
        if raw.get("need") not in NEEDS:
            problems.append(f"{where}: need must be one of {', '.join(NEEDS)}")
        elif kind == "appointment" and raw["need"] not in thresholds.appointment_within_days:
            problems.append(f"{where}: no appointment threshold for {raw['need']}")
        elif kind == "supply" and raw["need"] not in thresholds.bridging_days:
            problems.append(f"{where}: no bridging threshold for {raw['need']}")
    if "{days}" in str(raw.get("name", "")) and kind not in ("appointment", "supply"):
        problems.append(f"{where}: only appointment and supply names may hold {{days}}")
    if kind == "social" and raw.get("key") not in SOCIAL_NEEDS:
        problems.append(f"{where}: key must be one of {', '.join(SOCIAL_NEEDS)}")
    if kind == "check" and not raw.get("key"):
        problems.append(f"{where}: a check needs a key")
    conditions = raw.get("applies_when", {})
    if not isinstance(conditions, dict):
        problems.append(f"{where}: applies_when must be a table")
        conditions = {}
    for name, value in conditions.items():
        if name not in CONDITIONS:
            problems.append(f"{where}: unknown condition {name!r}")
        elif value not in CONDITIONS[name]:
            problems.append(f"{where}: {name} cannot be {value!r}")
    if "required" in raw and not isinstance(raw["required"], bool):
        problems.append(f"{where}: required must be true or false")
    if len(problems) > before:
        return None
    return PlanItem(id=raw["id"], section=raw["section"], name=raw["name"],
                    rule_refs=tuple(raw["rule_refs"]), kind=kind, need=raw.get("need"),
                    key=raw.get("key"), applies_when=tuple(sorted(conditions.items())),
                    required=raw.get("required", True))


def load_definition_file(path: str | Path) -> PlanDefinition:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PlanDefinitionError(path.name, [f"not valid TOML: {exc}"]) from exc
    return parse_definition(data, path.name)


@cache
def load_definition() -> PlanDefinition:
    resource = resources.files("prisoncare.rules") / "data" / "release_plan.toml"
    with resources.as_file(resource) as path:
        return load_definition_file(path)


# --- evaluating ------------------------------------------------------------------------

def applies(item: PlanItem, subject: PlanSubject) -> bool:
    for name, wanted in item.applies_when:
        if name == "programme":
            if wanted not in subject.programmes:
                return False
        elif subject.value(name) != wanted:
            return False
    return True


def applicable_items(definition: PlanDefinition, subject: PlanSubject) -> list[PlanItem]:
    return [i for i in definition.items if applies(i, subject)]


def needs_for(definition: PlanDefinition, subject: PlanSubject) -> list[str]:
    """The needs a referral may be made for (one per applicable provider item)."""
    return list(dict.fromkeys(i.need for i in applicable_items(definition, subject) if i.need))


def required_supply_days(need: str, thresholds: Thresholds, state: PlanState) -> int | None:
    wanted = thresholds.bridging_days.get(need)
    if wanted == REST_OF_COURSE:
        end, start = state.course_end_on.get(need), state.release_on
        return max((end - start).days, 0) if end and start else None
    return wanted


def item_problem(item: PlanItem, state: PlanState, thresholds: Thresholds) -> str | None:
    """Why the item is not done yet (None when it is)."""
    if item.kind == "check":
        return None if state.checks.get(item.key) is True else "not recorded"
    if item.kind == "social":
        return None if state.social.get(item.key) in DONE_OUTCOMES else "no outcome recorded"
    referral = state.referrals.get(item.need) or Referral()
    if item.kind == "provider":
        return None if referral.provider else "no provider chosen"
    if item.kind == "appointment":
        if referral.appointment_on is None:
            return "no appointment booked"
        if state.release_on is not None:
            within = thresholds.appointment_within_days[item.need]
            days = (referral.appointment_on - state.release_on).days
            if days < 0:
                return "appointment is before the release"
            if days > within:
                return f"appointment is {days} days after release (at most {within})"
        return None
    if item.kind == "supply":
        wanted = required_supply_days(item.need, thresholds, state)
        have = referral.supply_days
        if have is None:
            return "no supply recorded"
        if wanted is None and have <= 0:
            # The rest of the course, but the order has no end date: the clinician
            # enters the days she takes with her.
            return "the order has no end date: enter the days supplied (more than 0)"
        if wanted is not None and have < wanted:
            return f"{have} days supplied (at least {wanted})"
        return None
    raise ValueError(item.kind)


@dataclass(frozen=True)
class ItemStatus:
    item: PlanItem
    problem: str | None

    @property
    def done(self) -> bool:
        return self.problem is None


def rendered(item: PlanItem, thresholds: Thresholds) -> PlanItem:
    """The item with "{days}" in its name replaced by the configured threshold."""
    if "{days}" not in item.name:
        return item
    days = (thresholds.appointment_within_days if item.kind == "appointment"
            else thresholds.bridging_days).get(item.need)
    return replace(item, name=item.name.replace("{days}", str(days)))


def evaluate(definition: PlanDefinition, subject: PlanSubject, state: PlanState,
             thresholds: Thresholds | None = None) -> list[ItemStatus]:
    thresholds = thresholds or definition.thresholds
    return [ItemStatus(rendered(i, thresholds), item_problem(i, state, thresholds))
            for i in applicable_items(definition, subject)]


def missing(statuses: list[ItemStatus]) -> list[ItemStatus]:
    """The required items not done: what blocks finalizing."""
    return [s for s in statuses if s.item.required and not s.done]


def readiness(statuses: list[ItemStatus]) -> tuple[int, int]:
    """(required items done, required items) for the release board."""
    required = [s for s in statuses if s.item.required]
    return sum(s.done for s in required), len(required)


def category_for(item_or_need: str, *, social: bool = False) -> str:
    if social:
        return SOCIAL_CATEGORY.get(item_or_need, "general")
    return NEED_CATEGORY.get(item_or_need, "general")


def opens_at_sentencing(release_on: date | None, today: date, window_days: int = 30) -> bool:
    """A plan opens at sentencing when the release is sooner than the window."""
    return release_on is not None and (release_on - today).days < window_days


def due_to_open(release_on: date | None, today: date, window_days: int = 30) -> bool:
    """The scheduler opens a plan `window_days` before the expected release."""
    return release_on is not None and (release_on - today).days <= window_days

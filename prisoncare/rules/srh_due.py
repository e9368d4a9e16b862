"""What a woman (and each child living with her) is owed and when: the due items
behind the SRH worklist and the scheduler's due and overdue alerts. Pure: plain
facts in, items and alert conditions out; the schedules are the srh_*.toml files,
the deadlines of BR-03 and BR-07 come from alert_rules.toml (passed in).

An item is `due` (it may be done now) or `overdue` (late); items not yet due and
items done are not returned. `subject` names what is owed, stably (an alert key
is built from it, so the same item never raises twice).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Mapping

from . import srh as schedules

SEVERITIES = ("info", "warning", "high", "critical")
ALERT_ROLES = ("nurse", "clinician")
STAGES = ("due", "overdue")
ITEM_KINDS = ("antenatal_booking", "antenatal_contact", "postnatal_contact", "child_screen",
              "infant_prophylaxis", "immunisation", "infant_hiv_test", "cervical_screening",
              "breast_screening", "viral_load", "sti_treatment")
SCREENINGS = {"cervical_screening": "cervical", "breast_screening": "breast"}
BIRTHS = ("live_birth", "stillbirth")


@dataclass(frozen=True)
class PregnancyFacts:
    id: int
    status: str                      # ongoing | ended
    due_on: date
    recorded_at: datetime
    drug_dependent: bool = False     # recorded on the pregnancy, on OST, or OST in the community
    outcome: str | None = None
    ended_on: date | None = None
    antenatal_on: tuple[date, ...] = ()
    postnatal_on: tuple[date, ...] = ()


@dataclass(frozen=True)
class ChildFacts:
    id: int
    name: str
    born_at: datetime
    arrived_at: datetime
    hiv_exposed: bool = False
    feeding: str | None = None
    screened_on: date | None = None
    immunised: frozenset[str] = frozenset()
    tests_done: frozenset[str] = frozenset()
    prophylaxis_started: bool = False


@dataclass(frozen=True)
class WomanFacts:
    patient_id: int
    born: date
    pregnancy: PregnancyFacts | None = None          # the current or latest one
    children: tuple[ChildFacts, ...] = ()            # living with her
    last_screening: Mapping[str, tuple[date, str]] = field(default_factory=dict)
    on_art: bool = False
    breastfeeding: bool = False
    breastfeeding_since: date | None = None
    viral_loads_on: tuple[date, ...] = ()
    in_care_since: date | None = None                # her current admission (local date)
    sti_untreated_since: date | None = None          # a positive STI test with no treatment since
    living_with_hiv: bool = False                    # cervical screening on the HIV interval


@dataclass(frozen=True)
class Deadlines:
    """BR-03 and BR-07 as alert_rules.toml sets them (hours after the start)."""
    booking_hours: int = 168
    booking_hours_drug_dependent: int = 24
    child_screen_hours: int = 168

    def booking(self, drug_dependent: bool) -> int:
        return self.booking_hours_drug_dependent if drug_dependent else self.booking_hours


@dataclass(frozen=True)
class DueItem:
    kind: str
    subject: str
    name: str
    due_on: date
    overdue_at: datetime
    status: str                      # due | overdue
    pregnancy_id: int | None = None
    child_id: int | None = None
    child_name: str | None = None


def _item(kind, subject, name, due_on, overdue_at, status, **refs) -> DueItem:
    return DueItem(kind, subject, name, due_on, overdue_at, status, **refs)


# --- pregnancy ------------------------------------------------------------------------

def pregnancy_items(p: PregnancyFacts, *, now: datetime, today: date, deadlines: Deadlines,
                    local_midnight: Callable[[date], datetime]) -> list[DueItem]:
    out = []
    if p.status == "ongoing":
        grace = timedelta(days=schedules.load("srh_antenatal")["meta"]["grace_days"])
        plan = schedules.antenatal_schedule(
            due_on=p.due_on, recorded_at=p.recorded_at, drug_dependent=p.drug_dependent,
            contacts_on=list(p.antenatal_on), now=now, local_midnight=local_midnight,
            booking_hours=deadlines.booking(p.drug_dependent))
        for i, c in enumerate(plan):
            if c.status == "done":
                continue
            booking = i == 0
            opens_at = p.recorded_at if booking else c.due_at - grace
            if c.status == "overdue" or now >= opens_at:
                out.append(_item("antenatal_booking" if booking else "antenatal_contact",
                                 f"pregnancy:{p.id}:contact:{c.number}", c.name,
                                 opens_at.date(), c.due_at, "overdue" if now >= c.due_at else "due",
                                 pregnancy_id=p.id))
    elif p.outcome in BIRTHS and p.ended_on is not None:
        for c in schedules.postnatal_schedule(born_on=p.ended_on, contacts_on=list(p.postnatal_on),
                                              today=today):
            if c["status"] in STAGES:
                out.append(_item("postnatal_contact", f"pregnancy:{p.id}:postnatal:{c['number']}",
                                 c["name"], c["due_on"], local_midnight(c["due_on"] + timedelta(days=1)),
                                 c["status"], pregnancy_id=p.id))
    return out


# --- children -------------------------------------------------------------------------

def child_items(c: ChildFacts, *, now: datetime, today: date, deadlines: Deadlines,
                local_midnight: Callable[[date], datetime]) -> list[DueItem]:
    refs = {"child_id": c.id, "child_name": c.name}
    out = []
    if c.screened_on is None:
        late = c.arrived_at + timedelta(hours=deadlines.child_screen_hours)
        out.append(_item("child_screen", f"child:{c.id}:screen", "Child health screen",
                         c.arrived_at.date(), late, "overdue" if now >= late else "due", **refs))
    if c.hiv_exposed and not c.prophylaxis_started:
        late = schedules.prophylaxis_due_at(c.born_at, c.arrived_at)
        out.append(_item("infant_prophylaxis", f"child:{c.id}:prophylaxis", "Infant prophylaxis",
                         max(c.born_at, c.arrived_at).date(), late,
                         "overdue" if now > late else "due", **refs))
    born = c.born_at.date()
    imm_late = schedules.load("srh_immunisation")["meta"]["overdue_days"]
    for d in schedules.immunisations_due(born, set(c.immunised), today):
        if d["status"] in STAGES:
            out.append(_item("immunisation", f"child:{c.id}:imm:{d['code']}", d["name"], d["due_on"],
                             local_midnight(d["due_on"] + timedelta(days=imm_late + 1)),
                             d["status"], **refs))
    if c.hiv_exposed:
        test_late = schedules.load("srh_infant_hiv")["meta"]["overdue_days"]
        plan = schedules.infant_hiv_schedule(
            born, feeding="replacement" if c.feeding == "replacement" else "breastfed",
            tests_done=set(c.tests_done), prophylaxis_started=c.prophylaxis_started, today=today)
        for t in plan["tests"]:
            if t["status"] in STAGES:
                out.append(_item("infant_hiv_test", f"child:{c.id}:test:{t['code']}", t["name"],
                                 t["due_on"], local_midnight(t["due_on"] + timedelta(days=test_late + 1)),
                                 t["status"], **refs))
    return out


# --- preventive care and PMTCT viral load ----------------------------------------------

def screening_rule_kind(kind: str, living_with_hiv: bool) -> str:
    """The srh_screening.toml entry for a screening kind: women living with HIV are
    screened for cervical cancer on the cervical_hiv interval (WHO 2021)."""
    if kind == "cervical_screening" and living_with_hiv:
        return "cervical_hiv"
    return SCREENINGS[kind]


def screening_items(w: WomanFacts, *, today: date,
                    local_midnight: Callable[[date], datetime]) -> list[DueItem]:
    out = []
    for kind, rule_kind in SCREENINGS.items():
        rule_kind = screening_rule_kind(kind, w.living_with_hiv)
        last_on, last_result = w.last_screening.get(kind, (None, None))
        due = schedules.screening_due(rule_kind, born=w.born, today=today, last_on=last_on,
                                      last_result=last_result, since=w.in_care_since)
        if due.status in STAGES:
            after = f"after:{last_on.isoformat()}" if last_on else "first"
            out.append(_item(kind, f"patient:{w.patient_id}:{kind}:{after}", due.name, due.due_on,
                             local_midnight(due.due_on + timedelta(days=1)), due.status))
    return out


def sti_items(w: WomanFacts, *, today: date,
              local_midnight: Callable[[date], datetime]) -> list[DueItem]:
    """A positive STI test without a treatment recorded since: due at once, overdue
    `sti_treatment_days` later (srh_screening.toml)."""
    positive = w.sti_untreated_since
    if positive is None:
        return []
    days = schedules.load("srh_screening")["meta"]["sti_treatment_days"]
    late_on = positive + timedelta(days=days)
    return [_item("sti_treatment", f"patient:{w.patient_id}:sti_treatment:{positive.isoformat()}",
                  "STI treatment after a positive test", positive,
                  local_midnight(late_on + timedelta(days=1)),
                  "overdue" if today > late_on else "due")]


def viral_load_plan(w: WomanFacts, today: date) -> list[dict]:
    """The PMTCT viral loads she is owed while pregnant or breastfeeding on ART:
    [{"code", "name", "due_on", "status"}] (done ones included)."""
    p = w.pregnancy
    pregnant = p is not None and p.status == "ongoing"
    if not w.on_art or not (pregnant or w.breastfeeding):
        return []
    data = schedules.load("srh_pmtct")
    late, every = data["meta"]["overdue_days"], data["meta"]["breastfeeding_interval_days"]
    term = schedules.term_days()
    anchors = {"pregnancy_recorded": p.recorded_at.date() if pregnant else None,
               "gestation": p.due_on - timedelta(days=term) if pregnant else None,
               "birth": p.ended_on if (p is not None and p.outcome in BIRTHS and w.breastfeeding)
               else None}
    out = []
    for entry in data["viral_load"]:
        start = anchors[entry["anchor"]]
        if start is None:
            continue
        due_on = start + timedelta(days=entry["days"])
        done = any(d >= due_on - timedelta(days=entry["window_before_days"]) for d in w.viral_loads_on)
        out.append({"code": entry["code"], "name": entry["name"], "due_on": due_on,
                    "status": schedules._status(today, due_on, late, done)})
    if w.breastfeeding:
        latest = max(w.viral_loads_on, default=None)
        birth = anchors["birth"]
        base = max(d for d in (latest, birth and birth + timedelta(days=90)) if d) \
            if (latest or birth) else None
        if base is not None:
            due_on, code = base + timedelta(days=every), f"vl_bf_after_{base.isoformat()}"
        else:
            due_on, code = w.breastfeeding_since or today, "vl_bf_first"
        out.append({"code": code, "name": "Viral load while breastfeeding", "due_on": due_on,
                    "status": schedules._status(today, due_on, late, False)})
    return out


def viral_load_items(w: WomanFacts, *, today: date,
                     local_midnight: Callable[[date], datetime]) -> list[DueItem]:
    late = schedules.load("srh_pmtct")["meta"]["overdue_days"]
    p = w.pregnancy
    return [_item("viral_load", f"patient:{w.patient_id}:{v['code']}"
                  + (f":pregnancy:{p.id}" if p is not None else ""), v["name"], v["due_on"],
                  local_midnight(v["due_on"] + timedelta(days=late + 1)), v["status"],
                  pregnancy_id=p.id if p is not None else None)
            for v in viral_load_plan(w, today) if v["status"] in STAGES]


def due_items(w: WomanFacts, *, now: datetime, today: date, deadlines: Deadlines,
              local_midnight: Callable[[date], datetime]) -> list[DueItem]:
    """Everything due or overdue for her and her children at `now`."""
    out = []
    if w.pregnancy is not None:
        out += pregnancy_items(w.pregnancy, now=now, today=today, deadlines=deadlines,
                               local_midnight=local_midnight)
    for child in w.children:
        out += child_items(child, now=now, today=today, deadlines=deadlines,
                           local_midnight=local_midnight)
    out += screening_items(w, today=today, local_midnight=local_midnight)
    out += viral_load_items(w, today=today, local_midnight=local_midnight)
    out += sti_items(w, today=today, local_midnight=local_midnight)
    return out


def most_overdue_first(items):
    """Overdue items, the longest overdue first, then the due ones, the soonest late first."""
    return sorted(items, key=lambda i: (i.status != "overdue", i.overdue_at, i.subject))


# --- alert conditions -------------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    """One alert the scheduler raises (once: `key`); `open` while the task is not done
    (a condition met late but done since is raised and resolved at once)."""
    key: str
    code: str
    severity: str
    role: str
    message: str
    action: str | None
    open: bool = True


def alert_specs() -> dict[tuple[str, str], dict]:
    """(item kind, stage) -> its alert, from srh_alerts.toml (checked)."""
    out = {}
    for a in schedules.load("srh_alerts")["alert"]:
        problems = [f"{k} {a[k]!r}" for k, allowed in (("item", ITEM_KINDS), ("stage", STAGES),
                                                     ("severity", SEVERITIES), ("role", ALERT_ROLES))
                    if a[k] not in allowed]
        if problems:
            raise schedules.ScheduleError("srh_alerts.toml: unknown " + ", ".join(problems))
        out[(a["item"], a["stage"])] = a
    return out


def item_conditions(items, specs) -> list[Condition]:
    """The due/overdue alert of each item that has one in srh_alerts.toml."""
    out = []
    for i in items:
        spec = specs.get((i.kind, i.status))
        if spec is None:
            continue
        who = f"{i.child_name}: " if i.child_name else ""
        out.append(Condition(f"{spec['code']}:{i.status}:{i.subject}", spec["code"],
                             spec["severity"], spec["role"],
                             who + spec["message"].format(name=i.name, due=i.due_on.isoformat()),
                             spec["action"]))
    return out


def task_conditions(w: WomanFacts, *, now: datetime, evaluate, booking_rules, screen_rules,
                    local_midnight: Callable[[date], datetime]) -> list[Condition]:
    """BR-03 (antenatal assessment after the pregnancy is recorded) and BR-07 (child
    health screen after the child's admission), through `evaluate` = the rule
    table's evaluate_task_overdue."""
    out = []
    p = w.pregnancy
    if p is not None and (p.status == "ongoing" or p.antenatal_on):
        first = min(p.antenatal_on, default=None)
        done_at = local_midnight(first) if first else None
        for hit in evaluate("antenatal_assessment", p.recorded_at, done_at, now, booking_rules,
                            substance_dependent=p.drug_dependent):
            late = f"{hit.observed} hours" if hit.observed is not None else "its deadline"
            out.append(Condition(f"{hit.rule_id}:pregnancy:{p.id}", hit.rule_id, hit.severity,
                                 hit.role, f"Antenatal assessment not done within {late} of the "
                                 "pregnancy being recorded" + (" (drug-dependent)." if
                                                               p.drug_dependent else "."),
                                 hit.rule.action, open=done_at is None and p.status == "ongoing"))
    for c in w.children:
        done_at = local_midnight(c.screened_on) if c.screened_on else None
        for hit in evaluate("child_health_screen", c.arrived_at, done_at, now, screen_rules):
            out.append(Condition(f"{hit.rule_id}:child:{c.id}", hit.rule_id, hit.severity, hit.role,
                                 f"{c.name}: health screen not done within "
                                 f"{hit.observed} hours of the child's admission.",
                                 hit.rule.action, open=done_at is None))
    return out

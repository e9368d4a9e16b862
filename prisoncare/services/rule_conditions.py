"""Rule conditions the sweep reads beside the ladders (rule_evaluation.py): transfers
without a handover (OST-T-01, ART-T-01, TB-06, HCV-T-01), missed doses in a window
(ART-02), and tasks overdue (BR-01, BR-02; the SRH code plugs in BR-03 and BR-07 with
`task_source`).

Each returns (drafts to raise, {dedup key: note} to resolve): a condition that has
ended resolves its alert, computed from the data like the raising, so a late sweep
ends where punctual ones would (a task done late is raised and resolved at once).
Dedup keys:
  transfer without handover   <rule>:event:<first transfer_scheduled/transfer_out event id>
  missed in window            <rule>:dose:<first missed dose of the run>
  task overdue                <rule>:<the task source's key, e.g. checklist:<instance id>>
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import and_, func, or_, select

from ..db_types import in_list
from ..models import Alert, CustodyEpisode, Patient
from ..models.intake import ChecklistAnswer, ChecklistInstance
from ..models.interruptions import DoseMark, InterruptionEpisode
from ..models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ..rules import alert_rules as ar
from .alerts import AlertDraft, AlertSpec
from .dose_marks import _chunks
from .facility_time import LocalStamp
from .transfer_handovers import hours_until, transfer_facts

# Doses not taken, for "missed in a window": as the interruption episodes count
# missed_doses (a clinical hold is not a missed dose).
NOT_TAKEN = ("missed", "absent", "refused", "not_available")
TAKEN_OR_HELD = ("given", "held")
LABELS = {"ost": "OST", "art": "ART", "tb": "TB treatment", "hcv": "HCV treatment"}
HANDED_OVER = {"ost": "the prescription, last dose time and take-home status",
               "tb": "the treatment card and the doses remaining",
               "art": "the prescription", "hcv": "the prescription"}


def _spec(rule: ar.AlertRule, message: str) -> AlertSpec:
    return AlertSpec(rule_code=rule.id, severity=rule.severity, role=rule.role,
                     programme=rule.programme, message=message, action=rule.action,
                     custody_message=rule.custody_message)


def _of_kind(rules, kind):
    return [r for r in rules if r.kind == kind]


# --------------------------------------------------------------------- transfers

def transfers(session, rules, now):
    """OST-T-01, ART-T-01, TB-06, HCV-T-01: a move planned within `within_hours`, or under way, with no
    handover of the programme since it was first planned."""
    mine = _of_kind(rules, "transfer_without_record")
    drafts, resolved = [], {}
    if not mine:
        return drafts, resolved
    stamp = LocalStamp(session)
    for fact in transfer_facts(session, now, programmes=tuple({r.programme for r in mine})):
        departs_in = hours_until(fact.departs_at, now)
        for prog in sorted(fact.on):
            sent = prog in fact.covered
            for hit in ar.evaluate_transfer_record(prog, sent, mine, departs_in):
                when = (f"planned for {stamp(fact.departs_at, fact.facility_id)}" if fact.departs_at
                        else "under way")
                message = (f"On {LABELS.get(prog, prog)}: transfer {when}, and no handover of "
                           f"{HANDED_OVER.get(prog, 'the medication record')} is recorded.")
                drafts.append(AlertDraft(_spec(hit.rule, message), fact.patient_id,
                                         fact.facility_id, f"{hit.rule_id}:event:{fact.event_id}",
                                         fact.event_type, fact.event_id))
            if sent:
                resolved.update({f"{r.id}:event:{fact.event_id}": "Transfer handover recorded."
                                 for r in mine if r.programme == prog})
    return drafts, resolved


# ------------------------------------------------------------- missed in a window

def _window_changed(session, mark, since, now) -> list[int]:
    """The patients whose doses not taken in the window may have changed since the
    watermark `mark` (sweep_watermark.Watermark): a dose whose status changed (not
    a mark that run had seen) to one not taken, to `due` (a mark cleared, a record
    voided), or to given or held over a mark (a late entry; a mark stays under the
    record that wins over it); a record voided since (it may have been refused, then
    recorded again); a dose already not taken (marked absent ahead) whose due instant
    passed; and a dose not taken that left the window's start (its runs then begin
    later: the full pass would see new ones). A dose given or held from `due`, most
    of the morning round, changes no dose not taken: not read further."""
    changed_since = mark.since
    left_from = changed_since - (now - since)
    changed = session.execute(select(ScheduledDose.id, ScheduledDose.patient_id,
                                     ScheduledDose.status).where(
        mark.changed(ScheduledDose.status_at, ScheduledDose.status_run))).all()
    out = {pid for _id, pid, status in changed if status not in TAKEN_OR_HELD}
    recorded = {dose_id: pid for dose_id, pid, status in changed
                if status in TAKEN_OR_HELD and pid not in out}
    # the marks by their dose (unique index), no join; the ids bound as one parameter
    marked = select(DoseMark.dose_id).where(
        in_list(DoseMark.dose_id, "ids", session.get_bind().dialect.name))
    for chunk in _chunks(recorded):
        out.update(recorded[dose_id] for dose_id in session.scalars(marked, {"ids": chunk}))
    out.update(session.scalars(select(DoseAdministration.patient_id).where(
        DoseAdministration.voided_at >= changed_since)))
    out.update(session.scalars(select(ScheduledDose.patient_id).where(
        ScheduledDose.status.in_(NOT_TAKEN),
        or_(ScheduledDose.due_at.between(changed_since, now),
            and_(ScheduledDose.due_at >= left_from, ScheduledDose.due_at < since)))))
    return sorted(out)


def missed_in_window(session, rules, now, lookback: timedelta, changed_since=None):
    """ART-02: at least `min_missed` doses not taken within `window_days`; one alert
    per run of such doses. `changed_since` (the sweep's watermark, a
    sweep_watermark.Watermark): only the patients whose doses not taken in the
    window changed since then are read, and those it re-derives in full."""
    mine = _of_kind(rules, "missed_in_window")
    if not mine:
        return [], {}
    widest = max(r.params["window_days"] for r in mine)
    since = now - lookback - timedelta(days=widest)
    programmes = {r.programme for r in mine}
    # A dose not taken is a lost day, so it lies in an interruption episode: a full
    # pass reads only the patients with one in the window, by the (patient, day) index.
    with_episode = (select(InterruptionEpisode.patient_id).distinct()
                    .where(InterruptionEpisode.programme.in_(programmes),
                           or_(InterruptionEpisode.end_on.is_(None),
                               InterruptionEpisode.end_on >= since.date())))
    if changed_since is None:
        patient_ids = list(session.scalars(with_episode))
    else:
        patient_ids = _window_changed(session, changed_since, since, now)
        rechecked = changed_since.rechecked(InterruptionEpisode.patient_id)
        if rechecked is not None:
            patient_ids = sorted({*patient_ids, *session.scalars(with_episode.where(rechecked))})
    rows = []
    for n in range(0, len(patient_ids), 2000):
        rows += session.execute(
            select(ScheduledDose.id, ScheduledDose.patient_id, ScheduledDose.facility_id,
                   ScheduledDose.local_date, MedicationOrder.programme)
            .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
            .where(ScheduledDose.patient_id.in_(patient_ids[n:n + 2000]),
                   ScheduledDose.local_date >= since.date() - timedelta(days=1),
                   MedicationOrder.programme.in_(programmes),
                   ScheduledDose.status.in_(NOT_TAKEN),
                   ScheduledDose.due_at >= since, ScheduledDose.due_at <= now)).all()
    by_patient: dict[tuple, list] = defaultdict(list)
    facility = {}
    for dose_id, pid, fac_id, day, prog in rows:
        by_patient[(pid, prog)].append((dose_id, day))
        facility[dose_id] = fac_id
    drafts = []
    for (pid, prog), missed in by_patient.items():
        first_day = dict(missed)
        for first, hit, reached in ar.missed_in_window_runs(prog, missed, mine):
            message = (f"{LABELS.get(prog, prog)}: {hit.observed} doses not taken within "
                       f"{hit.rule.params['window_days']} days ({first_day[first]} to "
                       f"{reached}).")
            drafts.append(AlertDraft(_spec(hit.rule, message), pid, facility[first],
                                     f"{hit.rule_id}:dose:{first}"))
    return drafts, {}


# ------------------------------------------------------------------ tasks overdue

@dataclass(frozen=True)
class TaskFact:
    """One task for one person: when its clock started and when it was done."""
    key: str                         # e.g. "checklist:12" (unique per task and person)
    patient_id: int
    facility_id: int | None
    started_at: datetime
    done_at: datetime | None
    substance_dependent: bool = False
    cause_event_type: str | None = None
    cause_event_id: int | None = None
    outstanding: tuple[str, ...] = ()


# task -> (session, rule, now, lookback) -> facts. BR-03 and BR-07 (SRH) plug in here.
TASK_SOURCES: dict[str, Callable[..., Iterable[TaskFact]]] = {}
TASK_LABELS = {"rule6_screen": "The Rule 6 health screen",
               "children_recorded": "The record of her children",
               "antenatal_assessment": "The antenatal assessment",
               "child_health_screen": "The child's health screen"}


def task_source(*tasks: str):
    """Register a function giving the TaskFacts of `tasks` (decorator)."""
    def register(fn):
        for task in tasks:
            TASK_SOURCES[task] = fn
        return fn
    return register


def tasks_overdue(session, rules, now, lookback: timedelta):
    """Every task_overdue rule whose task has a source: raised when overdue (done late
    included), resolved once done."""
    drafts, resolved = [], {}
    stamp = LocalStamp(session)
    for rule in _of_kind(rules, "task_overdue"):
        source = TASK_SOURCES.get(rule.params["task"])
        if source is None:
            continue
        for fact in source(session, rule, now, lookback):
            key = f"{rule.id}:{fact.key}"
            hits = ar.evaluate_task_overdue(rule.params["task"], fact.started_at, fact.done_at,
                                            now, [rule],
                                            substance_dependent=fact.substance_dependent)
            for hit in hits:
                label = TASK_LABELS.get(rule.params["task"], rule.params["task"])
                message = (f"{label} was due within {hit.observed} h of "
                           f"{rule.params['after'].replace('_', ' ')} "
                           f"({stamp(fact.started_at, fact.facility_id)})"
                           + (f"; outstanding: {', '.join(fact.outstanding)}."
                              if fact.outstanding else "."))
                drafts.append(AlertDraft(_spec(rule, message), fact.patient_id, fact.facility_id,
                                         key, fact.cause_event_type, fact.cause_event_id))
            if fact.done_at is not None:
                resolved[key] = f"Done {stamp(fact.done_at, fact.facility_id)}."
    return drafts, resolved


@task_source("rule6_screen", "children_recorded")
def checklist_task(session, rule, now, lookback):
    """A task made of checklist items (the rule's `checklist` and `items`), for women
    (and anyone the women's items apply to) in custody: done when every item of it
    that applies to her has an answer ("declined" and "not_applicable" included),
    at the first answer of the last item answered. Read: the checklists opened within
    the lookback, and older ones whose alert is still open (to resolve it)."""
    from .checklists import load_states
    items = rule.params.get("items") or ()
    if not items:
        return []
    still_open = [int(key.rsplit(":", 1)[1]) for key in session.scalars(
        select(Alert.dedup_key).where(Alert.rule_code == rule.id,
                                      Alert.status.in_(("open", "acknowledged")),
                                      Alert.dedup_key.like(f"{rule.id}:checklist:%")))]
    recent = ChecklistInstance.anchor_at >= now - lookback
    instances = session.scalars(
        select(ChecklistInstance)
        .join(CustodyEpisode, ChecklistInstance.episode_id == CustodyEpisode.id)
        .join(Patient, ChecklistInstance.patient_id == Patient.id)
        .where(ChecklistInstance.kind == rule.params.get("checklist", "intake"),
               CustodyEpisode.released_at.is_(None), Patient.sex != "male",
               recent | ChecklistInstance.id.in_(still_open) if still_open else recent)).all()
    if not instances:
        return []
    first_answer = {}
    ids = [i.id for i in instances]
    for n in range(0, len(ids), 2000):
        first_answer.update({(iid, item): at for iid, item, at in session.execute(
            select(ChecklistAnswer.instance_id, ChecklistAnswer.item_id,
                   func.min(ChecklistAnswer.answered_at))
            .where(ChecklistAnswer.instance_id.in_(ids[n:n + 2000]),
                   ChecklistAnswer.item_id.in_(items))
            .group_by(ChecklistAnswer.instance_id, ChecklistAnswer.item_id))})
    cause = "admission" if rule.params["after"] == "admission" else None
    facts = []
    for state in load_states(list(instances)):
        inst = state.instance
        wanted = [i.id for i in state.visible() if i.id in items]
        if not wanted:
            continue
        outstanding = tuple(i for i in wanted if (inst.id, i) not in first_answer)
        done = None if outstanding else max(first_answer[(inst.id, i)] for i in wanted)
        facts.append(TaskFact(f"checklist:{inst.id}", inst.patient_id, inst.facility_id,
                              inst.anchor_at, done, cause_event_type=cause,
                              cause_event_id=inst.trigger_event_id, outstanding=outstanding))
    return facts

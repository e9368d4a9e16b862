"""Checklists on the custody timeline: opened by custody events (a hook run in the
event's transaction), answered item by item (append-only), and shown to each role
only as far as it may see them.

Who sees what (authz.py):
- CLINICAL_READ: the items, their rule references and non-confidential answers;
- CONFIDENTIAL_READ as well: confidential items (violence, HIV, pregnancy,
  children). Without it they are left out altogether, since a follow-up item
  (IN-19a appears after "disclosed") would betray the answer;
- CHECKLIST_STATUS_READ only (custody, auditor): complete or overdue and the
  counts of non-confidential items, never a question or an answer.
"""
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .. import audit
from ..authz import (Permission, can, can_see_facility, ensure_patient_visible, patient_scope,
                     visible_facility_ids)
from ..errors import NotFound, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import CustodyEpisode, CustodyEvent, Facility, Patient
from ..models.intake import ChecklistAnswer, ChecklistInstance, CommunityMedication
from ..rules import checklists as rules
from .custody import current_episode, on_custody_event
from .facilities import facility_by_code
from .patients import age_on

# A scheduled movement's checklist stays pending until the movement happens. A new
# plan for the same movement reschedules it rather than open a second one, and the
# movement itself opens none when the plan already did (one per transfer).
CONSUMED_BY = {"pre_court": "court_out", "pre_transfer": "transfer_out", "pre_release": "release"}
PROGRAMME_FLAGS = {"ost": "on_ost", "art": "on_art", "tb": "on_tb", "hcv": "on_hcv"}
NOT_APPLICABLE = "item_not_applicable"


@dataclass
class ChecklistState:
    """An instance with its definition (from its snapshot), what is known about the
    person, and the current answer to each item."""

    instance: ChecklistInstance
    definition: rules.ChecklistDefinition
    subject: rules.ChecklistSubject
    answers: dict[str, ChecklistAnswer]

    @property
    def values(self) -> dict[str, object]:
        return {item_id: row.answer for item_id, row in self.answers.items()}

    def visible(self) -> tuple[rules.ChecklistItem, ...]:
        return rules.visible_items(self.definition, self.subject, self.values)

    def outstanding(self) -> list[rules.ChecklistItem]:
        return [i for i in self.visible() if i.id not in self.answers]

    def item_due_at(self, item):
        return rules.due_at(self.definition, self.instance.anchor_at, item)

    def overdue_ids(self, now) -> set[str]:
        return {i.id for i in rules.overdue_items(self.definition, self.instance.anchor_at,
                                                  self.subject, self.values, now)}


# --- opening ---------------------------------------------------------------------

@on_custody_event
def open_checklists(actor, patient: Patient, event: CustodyEvent, *, now) -> None:
    """The custody-event hook: open (or reschedule) the checklists the event triggers."""
    for definition in rules.definitions_for_event(event.type):
        pending = _pending(event, definition.kind)
        if pending is None:
            _open(actor, patient, event, definition, now)
        elif event.type != CONSUMED_BY.get(definition.kind):
            _reschedule(actor, pending, event, now)
        # else: the movement the plan was for; its checklist travels with her


def _pending(event: CustodyEvent, kind: str) -> ChecklistInstance | None:
    """The episode's checklist of `kind` still waiting for its movement, if any."""
    consumer = CONSUMED_BY.get(kind)
    if consumer is None:
        return None
    row = db.session.execute(
        select(ChecklistInstance, CustodyEvent.seq, CustodyEvent.type)
        .join(CustodyEvent, ChecklistInstance.trigger_event_id == CustodyEvent.id)
        .where(ChecklistInstance.episode_id == event.episode_id, ChecklistInstance.kind == kind)
        .order_by(CustodyEvent.seq.desc()).limit(1)).first()
    if row is None or row.type == consumer:
        return None
    consumed = db.session.scalar(select(CustodyEvent.id).where(
        CustodyEvent.episode_id == event.episode_id, CustodyEvent.type == consumer,
        CustodyEvent.seq > row.seq, CustodyEvent.id != event.id).limit(1))
    return None if consumed else row[0]


def _open(actor, patient, event, definition, now) -> ChecklistInstance:
    facility = event.facility or patient.facility
    anchor = rules.anchor_at(definition, event.occurred_at, event.expected_at)
    instance = ChecklistInstance(
        patient_id=patient.id, episode_id=event.episode_id,
        facility_id=facility.id if facility else None, kind=definition.kind,
        definition_version=definition.version, definition=rules.to_snapshot(definition),
        subject=_base_subject(patient, facility, event.occurred_at),
        trigger_event_id=event.id, anchor_at=anchor, due_at=rules.due_at(definition, anchor),
        opened_at=now)
    db.session.add(instance)
    db.session.flush()
    _refresh(load_states([instance])[0])
    audit.record(actor, "checklist.open", entity="checklist_instance", entity_id=instance.id,
                 patient_id=patient.id, at=now,
                 detail={"kind": definition.kind, "version": definition.version,
                         "event": event.type})
    return instance


def _reschedule(actor, instance, event, now) -> None:
    definition = rules.from_snapshot(instance.definition)
    instance.anchor_at = rules.anchor_at(definition, event.occurred_at, event.expected_at)
    instance.due_at = rules.due_at(definition, instance.anchor_at)
    _refresh(load_states([instance])[0])
    audit.record(actor, "checklist.reschedule", entity="checklist_instance",
                 entity_id=instance.id, patient_id=instance.patient_id, at=now,
                 detail={"kind": instance.kind, "due_at": instance.due_at.isoformat()})


def _base_subject(patient: Patient, facility: Facility | None, at) -> dict:
    tz = ZoneInfo(facility.timezone if facility else "UTC")
    return {"sex": patient.sex, "age_years": age_on(patient.date_of_birth, at.astimezone(tz).date()),
            "facility_population": facility.population if facility else None,
            "legal_status": patient.legal_status}


# --- loading ---------------------------------------------------------------------

def load_states(instances: list[ChecklistInstance]) -> list[ChecklistState]:
    """States for several instances: two queries whatever their number."""
    if not instances:
        return []
    ids = [i.id for i in instances]
    answers: dict[int, dict[str, ChecklistAnswer]] = {i: {} for i in ids}
    for row in db.session.scalars(select(ChecklistAnswer).where(
            ChecklistAnswer.instance_id.in_(ids)).order_by(ChecklistAnswer.id)):
        answers[row.instance_id][row.item_id] = row  # the latest wins
    flags: dict[int, dict[str, bool]] = {}
    for episode_id, programme in db.session.execute(
            select(CommunityMedication.episode_id, CommunityMedication.programme).where(
                CommunityMedication.episode_id.in_({i.episode_id for i in instances}))):
        if programme in PROGRAMME_FLAGS:
            flags.setdefault(episode_id, {})[PROGRAMME_FLAGS[programme]] = True
    return [ChecklistState(
        instance=i, definition=rules.from_snapshot(i.definition),
        subject=rules.ChecklistSubject(**i.subject, **flags.get(i.episode_id, {})),
        answers=answers[i.id]) for i in instances]


def _refresh(state: ChecklistState) -> None:
    """Keep completed_at and next_due_at (the facility list's columns) in step."""
    outstanding = state.outstanding()
    instance = state.instance
    if outstanding:
        instance.completed_at = None
        instance.next_due_at = min(state.item_due_at(i) for i in outstanding)
    else:
        last = max((a.answered_at for a in state.answers.values()), default=instance.opened_at)
        instance.completed_at = instance.completed_at or last
        instance.next_due_at = None


def refresh_episode(episode_id: int) -> None:
    """Re-derive status after something known about the person changed."""
    instances = db.session.scalars(select(ChecklistInstance).where(
        ChecklistInstance.episode_id == episode_id)).all()
    for state in load_states(list(instances)):
        _refresh(state)


def episode_states(patient: Patient) -> list[ChecklistState]:
    episode = current_episode(patient)
    if episode is None:
        return []
    instances = db.session.scalars(select(ChecklistInstance).where(
        ChecklistInstance.episode_id == episode.id).order_by(ChecklistInstance.id)).all()
    return load_states(list(instances))


def read_checklists(actor, patient: Patient, *, now) -> list[ChecklistState]:
    """The current episode's checklists; a read of confidential answers is logged
    as such (the patient read itself is logged by read_patient)."""
    states = episode_states(patient)
    if states and can(actor, Permission.CONFIDENTIAL_READ):
        audit.record(actor, "checklist.read_confidential", entity="patient", entity_id=patient.id,
                     patient_id=patient.id, at=now,
                     detail={"checklists": [s.instance.id for s in states]})
    return states


def load_instance(actor, instance_id: int) -> ChecklistInstance:
    """An instance of a patient the user may see, else 404."""
    instance = db.session.get(ChecklistInstance, instance_id)
    if instance is None:
        raise NotFound("No such checklist.")
    try:
        ensure_patient_visible(actor, instance.patient)
    except NotFound:
        raise NotFound("No such checklist.") from None
    return instance


# --- answering -------------------------------------------------------------------

def _check(actor, state: ChecklistState, submitted: Mapping[str, tuple[object, str | None]]):
    """Validate answers in file order (so a follow-up may be answered together with
    its parent); return ({item_id: reasons}, {item_ids that do not apply})."""
    for item_id in submitted:
        try:
            item = state.definition.item(item_id)
        except KeyError:
            raise NotFound(f"No item {item_id} in this checklist.") from None
        if item.confidential and not can(actor, Permission.CONFIDENTIAL_READ):
            raise PermissionDenied("Your role does not allow confidential answers.")
    values = state.values
    problems: dict[str, list[str]] = {}
    not_applicable: set[str] = set()
    for item in state.definition.items:
        if item.id not in submitted:
            continue
        answer = submitted[item.id][0]
        if item not in rules.visible_items(state.definition, state.subject, values):
            not_applicable.add(item.id)
            problems[item.id] = [_why_hidden(state, item)]
            continue
        reasons = rules.validate_answer(item, answer, state.subject)
        if reasons:
            problems[item.id] = [r[:1].upper() + r[1:] + "." for r in reasons]
        else:
            values[item.id] = answer
    return problems, not_applicable


def _why_hidden(state, item) -> str:
    if item.follow_up_of and rules.applies(item, state.subject):
        return (f"This follow-up is asked only when {item.follow_up_of} is answered "
                f"{' or '.join(item.shown_when)}.")
    return "This item does not apply to this person."


def answer_items(actor, instance: ChecklistInstance,
                 submitted: Mapping[str, tuple[object, str | None]], *, now) -> ChecklistState:
    """Record several answers at once (a form page), all or none. Errors are keyed
    by item id."""
    state = load_states([instance])[0]
    problems, not_applicable = _check(actor, state, submitted)
    if problems:
        code = NOT_APPLICABLE if set(problems) == not_applicable else None
        raise ValidationFailed(problems, code=code)
    return _save(actor, state, submitted, now)


def answer_item(actor, instance: ChecklistInstance, item_id: str, answer, note=None, *,
                now) -> ChecklistState:
    """Record one answer (the API). A wrong answer is a 422 on `answer`; an item
    that does not apply to this person is a 422 on `item_id`."""
    state = load_states([instance])[0]
    problems, not_applicable = _check(actor, state, {item_id: (answer, note)})
    if item_id in not_applicable:
        raise ValidationFailed({"item_id": problems[item_id]}, code=NOT_APPLICABLE,
                               message=problems[item_id][0])
    if problems:
        raise ValidationFailed({"answer": problems[item_id]})
    return _save(actor, state, {item_id: (answer, note)}, now)


def _save(actor, state: ChecklistState, submitted, now) -> ChecklistState:
    instance = state.instance
    for item in state.definition.items:
        if item.id not in submitted:
            continue
        answer, note = submitted[item.id]
        current = state.answers.get(item.id)
        if current is not None and current.answer == answer and not note:
            continue  # the same answer again: nothing new to record
        row = ChecklistAnswer(instance_id=instance.id, item_id=item.id, answer=answer,
                              note=note or None, answered_by_id=getattr(actor, "id", None),
                              answered_at=now)
        db.session.add(row)
        state.answers[item.id] = row
        # The answer itself stays out of the log: the log is read by auditors.
        audit.record(actor, "checklist.answer", entity="checklist_instance",
                     entity_id=instance.id, patient_id=instance.patient_id, at=now,
                     detail={"kind": instance.kind, "item_id": item.id,
                             "confidential": item.confidential})
    _refresh(state)
    db.session.flush()
    return state


# --- the facility list -------------------------------------------------------------

def facility_checklists(actor, facility: Facility, *, overdue_only=False, limit=100, offset=0,
                        now) -> tuple[list[tuple[ChecklistInstance, Patient]], int]:
    """Open checklists of a facility, most urgent first: one indexed query (and a
    count), whatever the number of patients."""
    query = (select(ChecklistInstance, Patient)
             .join(Patient, ChecklistInstance.patient_id == Patient.id)
             .join(CustodyEpisode, ChecklistInstance.episode_id == CustodyEpisode.id)
             .where(ChecklistInstance.facility_id == facility.id,
                    ChecklistInstance.completed_at.is_(None),
                    CustodyEpisode.released_at.is_(None)))
    scope = patient_scope(actor, Patient)
    if scope is not None:
        query = query.where(scope)
    if overdue_only:
        query = query.where(ChecklistInstance.next_due_at < now)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(ChecklistInstance.next_due_at, ChecklistInstance.id)
                              .limit(limit).offset(offset)).all()
    audit.record(actor, "checklist.list", entity="facility", entity_id=facility.id, at=now,
                 detail={"overdue_only": overdue_only, "results": len(rows)})
    return [(r[0], r[1]) for r in rows], total


# --- what a user may see -----------------------------------------------------------

def present(state: ChecklistState, actor, now) -> dict:
    """The checklist as this user may see it (see the module docstring)."""
    instance, definition = state.instance, state.definition
    confidential = can(actor, Permission.CONFIDENTIAL_READ)
    overdue = state.overdue_ids(now)
    shown = [i for i in state.visible() if confidential or not i.confidential]
    out = {
        "id": instance.id, "patient_id": instance.patient_id, "kind": instance.kind,
        "title": definition.title, "definition_version": instance.definition_version,
        "opened_at": instance.opened_at, "due_at": instance.due_at,
        "completed_at": instance.completed_at,
        "trigger": {"event_type": instance.trigger_event.type, "event_id": instance.trigger_event_id},
        "status": {
            "complete": instance.completed_at is not None,
            "overdue": bool(overdue),
            "next_due_at": instance.next_due_at,
            "items_total": len(shown),
            "items_answered": sum(1 for i in shown if i.id in state.answers),
            "items_overdue": sum(1 for i in shown if i.id in overdue),
        },
    }
    if can(actor, Permission.CLINICAL_READ):
        visible_ids = {i.id for i in shown}
        stale = [i for i in definition.items if i.id in state.answers and i.id not in visible_ids
                 and (confidential or not i.confidential)]
        out["items"] = [_item_dict(state, i, True, i.id in overdue) for i in shown] + \
                       [_item_dict(state, i, False, False) for i in stale]
    return out


def _item_dict(state: ChecklistState, item, applies: bool, overdue: bool) -> dict:
    row = state.answers.get(item.id)
    return {
        "id": item.id, "section": item.section, "text": item.question,
        "rule_refs": list(item.rule_refs), "applies": applies, "answer_type": item.answer_type,
        "options": list(rules.answer_values(item)),
        "declinable": rules.is_declinable(item, state.subject),
        "confidential": item.confidential, "follow_up_of": item.follow_up_of,
        "due_at": state.item_due_at(item), "overdue": overdue,
        "answer": row.answer if row else None, "note": row.note if row else None,
        "answered_by": row.answered_by.username if row and row.answered_by else None,
        "answered_at": row.answered_at if row else None,
    }



def facility_for(actor, code: str | None) -> Facility:
    """The facility named (404 when unknown or not visible), or the user's only one."""
    if code:
        facility = facility_by_code(code)
        if facility is None or not can_see_facility(actor, facility.id):
            raise NotFound(f"No facility {code}.")
        return facility
    ids = visible_facility_ids(actor)
    if ids is not None and len(ids) == 1:
        return db.session.get(Facility, next(iter(ids)))
    raise ValidationFailed({"facility": ["Choose a facility."]})

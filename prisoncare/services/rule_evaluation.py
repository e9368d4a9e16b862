"""The sweep's rule evaluation: read the facts set-based (episodes, absences,
admissions, releases, planned movements, checklists), ask the pure rule functions
of `rules.alert_rules` which rules they meet, and raise one alert per condition.

Dedup keys name the condition, so each raises once whatever the cadence:
  ladders and pregnancy rules   <rule>:episode:<interruption episode id>
  not continued on admission    <rule>:custody-episode:<custody episode id>
  dose lost / release / planned <rule>:event:<custody event id>
  checklist overdue             <rule>:checklist:<checklist instance id>
  (and those of rule_conditions.py: transfers, missed in a window, tasks)
Every rung a ladder has reached is raised, and every rung below the highest one
reached is then resolved as "superseded by <rule>": the day-3 sweep after a
downtime raises days 1, 2 and 3 and resolves 1 and 2, as hourly sweeps would
have, so a late sweep ends in the same state as punctual ones and the worklist
shows one alert per ladder and episode, the current rung. A condition that ends
(a handover recorded, a task done) resolves its alert the same way. Custody staff
see only a rule's custody_message.
"""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, func, inspect, or_, select

from ..models.alerts import Alert
from ..models.intake import ChecklistInstance, CommunityMedication
from ..models.interruptions import DoseMark, InterruptionEpisode
from ..models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ..models.patients import CustodyEpisode, CustodyEvent, Patient
from ..rules import alert_rules as ar
from . import rule_conditions as conditions
from .alert_closing import close_alerts
from .alerts import AlertDraft, AlertSpec, raise_alerts
from .dose_marks import _chunks
from .facility_time import LocalStamp
from .release_facts import release_plan_facts, release_was_planned
from .sweep_watermark import ladder_inputs_changed

LABELS = {"ost": "OST", "art": "ART", "tb": "TB treatment", "hcv": "HCV treatment",
          "prep": "PrEP", "methadone": "Methadone", "buprenorphine": "Buprenorphine"}
WHERE = {"court": "at court", "transfer": "in transfer", "hospital": "in hospital"}
MAX_LADDER_DAYS = 400


def _label(programme, family=None) -> str:
    return LABELS.get(family) or LABELS.get(programme, programme.upper())


def _spec(rule: ar.AlertRule, message: str) -> AlertSpec:
    return AlertSpec(rule_code=rule.id, severity=rule.severity, role=rule.role,
                     programme=rule.programme, message=message, action=rule.action,
                     custody_message=rule.custody_message)


def pregnant_patient_ids(session, patient_ids) -> set[int]:
    """Ongoing pregnancies from the SRH record (issue 6); none until its table exists."""
    try:
        from ..models.srh import Pregnancy
    except ImportError:
        return set()
    if not patient_ids or not inspect(session.get_bind()).has_table(Pregnancy.__tablename__):
        return set()
    out = set()
    for chunk in _chunks(patient_ids):
        out.update(session.scalars(select(Pregnancy.patient_id).where(
            Pregnancy.patient_id.in_(chunk), Pregnancy.status == "ongoing")))
    return out


def _steps(rules, kinds, programme, family, top) -> list[int]:
    """The counts at which a rung can first be reached (the rungs' mins, up to `top`):
    evaluating only those finds the same rungs as counting every day up to `top`."""
    return sorted({r.params["min"] for r in rules if r.kind in kinds
                   and r.applies_to(programme, family) and r.params["min"] <= top})


def ladder_hits(rules, programme, family, missed_days, length_days, pregnant,
                phase=None) -> list[ar.RuleHit]:
    """Every rung reached on the way to these counts, each with the count that first
    reached it (pure). `phase`: the TB treatment phase, for the rungs that name one."""
    rules = tuple(rules)
    found: dict[str, ar.RuleHit] = {}
    for k in _steps(rules, ("missed_consecutive_days", "pregnant_missed"), programme, family,
                    min(missed_days, MAX_LADDER_DAYS)):
        for hit in ar.evaluate_streak(programme, family, k, pregnant, rules, interruption_days=0):
            found.setdefault(hit.rule_id, hit)
    for days in _steps(rules, ("consecutive_interruption_days",), programme, family,
                       min(length_days, MAX_LADDER_DAYS)):
        for hit in ar.evaluate_streak(programme, family, 0, False, rules, interruption_days=days,
                                      phase=phase):
            found.setdefault(hit.rule_id, hit)
    return list(found.values())


def tb_phases(session, episodes) -> dict[int, str]:
    """episode id -> the phase of the TB order in force when the interruption began
    (the latest version started by then; else her first one). Unknown: intensive,
    whose rules are the stricter."""
    tb = [ep for ep in episodes if ep.programme == "tb"]
    orders = defaultdict(list)
    for chunk in _chunks({ep.patient_id for ep in tb}):
        for pid, start_at, phase in session.execute(
                select(MedicationOrder.patient_id, MedicationOrder.start_at, MedicationOrder.phase)
                .where(MedicationOrder.patient_id.in_(chunk), MedicationOrder.programme == "tb")
                .order_by(MedicationOrder.start_at, MedicationOrder.id)):
            orders[pid].append((start_at.date(), phase))
    out = {}
    for ep in tb:
        versions = orders.get(ep.patient_id) or [(None, None)]
        before = [phase for day, phase in versions if day is not None and day <= ep.start_on]
        out[ep.id] = (before[-1] if before else versions[0][1]) or "intensive"
    return out


def _ladder_message(hit, ep) -> str:
    label = _label(ep.programme, ep.drug_family)
    since = f"interruption since {ep.start_on.isoformat()}"
    if hit.rule.kind == "consecutive_interruption_days":
        return f"{label} interrupted for {hit.observed} days ({since})."
    prefix = "Pregnant: " if hit.rule.kind == "pregnant_missed" else ""
    return f"{prefix}{label}: {hit.observed} consecutive day(s) without a dose ({since})."


EPISODE_COLUMNS = (InterruptionEpisode.id, InterruptionEpisode.patient_id,
                   InterruptionEpisode.facility_id, InterruptionEpisode.programme,
                   InterruptionEpisode.drug_family, InterruptionEpisode.start_on,
                   InterruptionEpisode.missed_days, InterruptionEpisode.length_days)


def _episodes(session, window_start, since):
    """The episodes of the window (as rows, not ORM objects): all of them for a full
    pass (`since` None), else those whose rungs may have changed since `since`."""
    recent = or_(InterruptionEpisode.end_on.is_(None), InterruptionEpisode.end_on >= window_start)
    if since is None:
        return session.execute(select(*EPISODE_COLUMNS).where(recent)).all()
    episode_ids, patient_ids = ladder_inputs_changed(session, since)
    rows = {}
    for column, ids in ((InterruptionEpisode.id, episode_ids),
                        (InterruptionEpisode.patient_id, patient_ids)):
        for chunk in _chunks(ids):
            rows.update((r.id, r) for r in session.execute(
                select(*EPISODE_COLUMNS).where(recent, column.in_(chunk))))
    return list(rows.values())


def _ladders(session, rules, window_start, since=None):
    """One alert per rung reached per episode, the lower rungs of each ladder resolved
    as superseded. The message names no cause and the alert no cause event: an
    episode's cause can change as it grows (a hospital day outranks an unrecorded
    one), and the episode, not the alert, says it. The rungs are derived once per
    distinct (programme, family, counts, pregnant, phase): a few dozen for thousands
    of episodes."""
    rows = _episodes(session, window_start, since)
    pregnant = pregnant_patient_ids(session, {ep.patient_id for ep in rows})
    phases = tb_phases(session, rows)
    derived = {}
    drafts, superseded = [], {}
    for ep in rows:
        key = (ep.programme, ep.drug_family, ep.missed_days, ep.length_days,
               ep.patient_id in pregnant, phases.get(ep.id))
        if key not in derived:
            hits = ladder_hits(rules, *key)
            derived[key] = (hits, [(low.rule_id, top.rule_id) for low, top in ar.superseded(hits)])
        hits, lower = derived[key]
        drafts += [AlertDraft(_spec(hit.rule, _ladder_message(hit, ep)), ep.patient_id,
                              ep.facility_id, f"{hit.rule_id}:episode:{ep.id}") for hit in hits]
        superseded.update({f"{low}:episode:{ep.id}": f"superseded by {top}" for low, top in lower})
    return drafts, superseded


def _not_continued(session, rules, now, lookback):
    meds = session.execute(
        select(CommunityMedication.patient_id, CommunityMedication.programme,
               CustodyEpisode.id, CustodyEpisode.admitted_at, Patient.facility_id)
        .distinct()
        .join(CustodyEpisode, CommunityMedication.episode_id == CustodyEpisode.id)
        .join(Patient, CommunityMedication.patient_id == Patient.id)
        .where(CustodyEpisode.released_at.is_(None), CustodyEpisode.admitted_at >= now - lookback,
               CommunityMedication.programme.in_(("ost", "art")))).all()
    if not meds:
        return
    first_given, admissions = {}, {}
    for chunk in _chunks({m[0] for m in meds}):
        for pid, prog, episode_id, at in session.execute(
                select(ScheduledDose.patient_id, MedicationOrder.programme, CustodyEpisode.id,
                       func.min(DoseAdministration.administered_at))
                .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
                .join(DoseAdministration, and_(DoseAdministration.dose_id == ScheduledDose.id,
                                               DoseAdministration.voided_at.is_(None),
                                               DoseAdministration.outcome == "given"))
                .join(CustodyEpisode, and_(CustodyEpisode.patient_id == ScheduledDose.patient_id,
                                           CustodyEpisode.released_at.is_(None),
                                           DoseAdministration.administered_at
                                           >= CustodyEpisode.admitted_at))
                .where(ScheduledDose.patient_id.in_(chunk))
                .group_by(ScheduledDose.patient_id, MedicationOrder.programme, CustodyEpisode.id)):
            first_given[(pid, prog, episode_id)] = at
        admissions.update(session.execute(
            select(CustodyEvent.episode_id, CustodyEvent.id).where(
                CustodyEvent.patient_id.in_(chunk), CustodyEvent.type == "admission")).all())
    for pid, prog, episode_id, admitted_at, fac_id in meds:
        given = first_given.get((pid, prog, episode_id))
        for hit in ar.evaluate_not_continued(prog, admitted_at, given, now, rules):
            message = (f"Community {_label(prog)} recorded at admission; "
                       + ("no dose given in custody yet" if given is None
                          else f"first dose given {hit.observed} h after admission")
                       + f" (target {hit.rule.params['hours']} h).")
            yield AlertDraft(_spec(hit.rule, message), pid, fac_id,
                             f"{hit.rule_id}:custody-episode:{episode_id}", "admission",
                             admissions.get(episode_id))


def _doses_lost(session, rules, now, lookback):
    rows = session.execute(
        select(ScheduledDose.patient_id, ScheduledDose.facility_id, MedicationOrder.programme,
               DoseMark.cause, DoseMark.custody_event_id, CustodyEvent.type,
               func.min(ScheduledDose.due_at))
        .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
        .join(DoseMark, DoseMark.dose_id == ScheduledDose.id)
        .join(CustodyEvent, DoseMark.custody_event_id == CustodyEvent.id)
        .where(ScheduledDose.status == "absent", DoseMark.cause.in_(tuple(WHERE)),
               ScheduledDose.due_at >= now - lookback)
        .group_by(ScheduledDose.patient_id, ScheduledDose.facility_id, MedicationOrder.programme,
                  DoseMark.cause, DoseMark.custody_event_id, CustodyEvent.type)).all()
    stamp = LocalStamp(session)
    for pid, fac_id, prog, cause, event_id, event_type, due_at in rows:
        for hit in ar.evaluate_custody_dose_loss(prog, cause, rules):
            message = (f"{_label(prog)} dose due {stamp(due_at, fac_id)} not given: "
                       f"she was {WHERE[cause]}.")
            yield AlertDraft(_spec(hit.rule, message), pid, fac_id,
                             f"{hit.rule_id}:event:{event_id}", event_type, event_id)


def _active_at(at):
    return and_(MedicationOrder.start_at <= at,
                or_(MedicationOrder.end_at.is_(None), MedicationOrder.end_at > at),
                or_(MedicationOrder.discontinued_at.is_(None),
                    MedicationOrder.discontinued_at > at),
                MedicationOrder.status != "superseded")


def _unplanned_releases(session, rules, now, lookback):
    # Unplanned: from court or hospital, or from the facility with neither a
    # release_scheduled nor the sentence's expected date near (bail, release by order).
    scheduled, expected = release_plan_facts(CustodyEvent.__table__)
    rows = session.execute(
        select(CustodyEvent.id, CustodyEvent.patient_id, CustodyEvent.release_from,
               Patient.facility_id, MedicationOrder.programme, CustodyEvent.occurred_at,
               scheduled, expected).distinct()
        .join(Patient, CustodyEvent.patient_id == Patient.id)
        .join(MedicationOrder, and_(MedicationOrder.patient_id == CustodyEvent.patient_id,
                                    _active_at(CustodyEvent.occurred_at)))
        .where(CustodyEvent.type == "release",
               CustodyEvent.occurred_at >= now - lookback, CustodyEvent.occurred_at <= now)).all()
    rows = [row[:5] for row in rows
            if row.release_from != "facility"
            or not release_was_planned(row.occurred_at, row.release_scheduled, row.sentence_expected_at)]
    for event_id, pid, where, fac_id, prog in rows:
        for hit in ar.evaluate_unplanned_release(prog, False, rules):
            message = (f"Unplanned release from {where} while on {_label(prog)}: no release "
                       "plan, bridging supply or letter was prepared.")
            yield AlertDraft(_spec(hit.rule, message), pid, fac_id,
                             f"{hit.rule_id}:event:{event_id}", "release", event_id)


def _planned_absences(session, rules, now, hours: dict):
    """Doses due while she will be away: one query joining the planned movements to
    the doses due from their departure (bounded by the longest absence), grouped
    per event and programme."""
    longest = timedelta(hours=max(hours.values()))
    rows = session.execute(
        select(CustodyEvent.id, CustodyEvent.patient_id, CustodyEvent.type,
               CustodyEvent.expected_at, Patient.facility_id, MedicationOrder.programme,
               ScheduledDose.due_at)
        .join(Patient, CustodyEvent.patient_id == Patient.id)
        .join(ScheduledDose, and_(ScheduledDose.patient_id == CustodyEvent.patient_id,
                                  ScheduledDose.due_at >= CustodyEvent.expected_at))
        .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
        .where(CustodyEvent.type.in_(tuple(hours)), CustodyEvent.expected_at > now,
               Patient.custody_status == "in_custody", ScheduledDose.status == "due",
               ScheduledDose.due_at > now, ScheduledDose.due_at <= now + longest
               + timedelta(days=2))).all()
    due = defaultdict(list)
    for event_id, pid, etype, departs, fac_id, prog, due_at in rows:
        due[(event_id, pid, etype, departs, fac_id, prog)].append(due_at)
    stamp = LocalStamp(session)
    for (event_id, pid, etype, departs, fac_id, prog), due_ats in due.items():
        returns = departs + timedelta(hours=hours[etype])
        for hit in ar.evaluate_planned_absence(prog, etype, departs, returns, due_ats, rules):
            message = (f"{hit.observed} {_label(prog)} dose(s) due while she is away "
                       f"({etype.replace('_scheduled', '')}, leaving "
                       f"{stamp(departs, fac_id)}).")
            yield AlertDraft(_spec(hit.rule, message), pid, fac_id,
                             f"{hit.rule_id}:event:{event_id}", etype, event_id)


def _checklists_overdue(session, now, spec: dict):
    rows = session.execute(
        select(ChecklistInstance.id, ChecklistInstance.patient_id, ChecklistInstance.facility_id,
               ChecklistInstance.kind, ChecklistInstance.next_due_at)
        .join(CustodyEpisode, ChecklistInstance.episode_id == CustodyEpisode.id)
        .where(ChecklistInstance.completed_at.is_(None), ChecklistInstance.next_due_at <= now,
               CustodyEpisode.released_at.is_(None))).all()
    stamp = LocalStamp(session)
    for instance_id, pid, fac_id, kind, due_at in rows:
        alert = AlertSpec(rule_code=spec["rule_code"], severity=spec["severity"], role=spec["role"],
                          programme=None, action=spec.get("action"),
                          custody_message=spec.get("custody_message"),
                          message=f"The {kind.replace('_', ' ')} checklist is overdue "
                                  f"(due {stamp(due_at, fac_id)}).")
        yield AlertDraft(alert, pid, fac_id, f"{spec['rule_code']}:checklist:{instance_id}")


def _open_alert_keys(session, rule_codes) -> list[tuple[str, int | None]]:
    """(dedup key, cause event) of the open or acknowledged alerts of these rules: few."""
    return session.execute(select(Alert.dedup_key, Alert.cause_event_id).where(
        Alert.rule_code.in_(tuple(rule_codes)),
        Alert.status.in_(("open", "acknowledged")))).all()


def _checklists_closed(session, spec: dict) -> dict[str, str]:
    """Checklist-overdue alerts whose checklist is now complete, or whose custody
    episode ended: resolved, with the reason."""
    keys = {int(key.rsplit(":", 1)[1]): key
            for key, _ in _open_alert_keys(session, (spec["rule_code"],)) if ":checklist:" in key}
    stamp, notes = LocalStamp(session), {}
    for chunk in _chunks(keys):
        for instance_id, fac_id, done_at, released_at in session.execute(
                select(ChecklistInstance.id, ChecklistInstance.facility_id,
                       ChecklistInstance.completed_at, CustodyEpisode.released_at)
                .join(CustodyEpisode, ChecklistInstance.episode_id == CustodyEpisode.id)
                .where(ChecklistInstance.id.in_(chunk))).all():
            if done_at is not None:
                notes[keys[instance_id]] = f"Done {stamp(done_at, fac_id)}."
            elif released_at is not None:
                notes[keys[instance_id]] = "Released before the checklist was completed."
    return notes


def _departures_passed(session, rules, now, hours: dict) -> dict[str, str]:
    """A before-departure task (give the dose early or send it with the escort) is moot
    once the planned absence is over: resolved. A dose she then lost is its own alert."""
    codes = {r.id for r in rules if r.kind == "dose_due_during_planned_absence"}
    open_ = _open_alert_keys(session, codes) if codes else []
    events = {e for _, e in open_ if e is not None}
    ends = {}
    for chunk in _chunks(events):
        for event_id, etype, expected_at in session.execute(
                select(CustodyEvent.id, CustodyEvent.type, CustodyEvent.expected_at)
                .where(CustodyEvent.id.in_(chunk))).all():
            if expected_at is not None:
                ends[event_id] = expected_at + timedelta(hours=hours.get(etype, 24))
    return {key: "The planned absence is over." for key, event_id in open_
            if event_id in ends and ends[event_id] <= now}


def evaluate_rules(session, now, rules: ar.RuleSet, settings: dict, since=None) -> dict:
    """Raise the alerts every rule calls for at `now`, then resolve those whose
    condition ended or whose rung was superseded; returns counts raised per source.
    `since`: the ladders and the missed-in-a-window rule read only what may have
    changed since then (the sweep's watermark, `evaluate_rules_job`); None reads all."""
    lookback = timedelta(days=settings["rules"]["lookback_days"])
    window_start = (now - timedelta(days=settings["interruptions"]["recompute_days"])).date()
    to_resolve: dict[str, str] = {}
    sources = {}
    for name, (drafts, resolved) in {
            "ladders": _ladders(session, rules, window_start, since),
            "transfers": conditions.transfers(session, rules, now),
            "window": conditions.missed_in_window(session, rules, now, lookback, since),
            "tasks": conditions.tasks_overdue(session, rules, now, lookback)}.items():
        sources[name], to_resolve = drafts, {**to_resolve, **resolved}
    sources.update({
        "admission": _not_continued(session, rules, now,
                                    timedelta(days=settings["interruptions"]["intake_lookback_days"])),
        "custody": _doses_lost(session, rules, now, lookback),
        "release": _unplanned_releases(session, rules, now, lookback),
        "planned": _planned_absences(session, rules, now,
                                     settings["rules"]["planned_absence_hours"]),
        "checklists": _checklists_overdue(session, now, settings["checklist_overdue"]),
    })
    raised = {name: raise_alerts(list(drafts), now=now, session=session)
              for name, drafts in sources.items()}
    to_resolve.update(_checklists_closed(session, settings["checklist_overdue"]))
    to_resolve.update(_departures_passed(session, rules, now,
                                         settings["rules"]["planned_absence_hours"]))
    close_alerts(session, to_resolve, now=now)
    return raised


def evaluate_rules_job(session, now, rules: ar.RuleSet, settings: dict) -> dict:
    """The evaluate-rules job: incremental from its watermark (a full pass on its first
    run, daily, and when the rules or settings change), the watermark written in the
    same transaction."""
    from . import sweep_watermark as wm
    key = wm.keyed("evaluate-rules", rules, settings)
    counts = evaluate_rules(session, now, rules, settings, wm.incremental_since(session, key, now))
    wm.finish(session, key, now)
    return counts

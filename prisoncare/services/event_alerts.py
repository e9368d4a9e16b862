"""The rules on custody events and their doses: community treatment not continued
after admission (OST-E-01, ART-06), a dose lost to court, transfer or hospital
(OST-E-02), an unplanned release (OST-R-03, ART-U-01) and doses due during a planned
absence (OST-PRE-01, ART-PRE-01), whose before-departure task is moot once the
absence is over.

Keys: not continued  <rule>:custody-episode:<custody episode id>
      the others     <rule>:event:<custody event id>
"""
from collections import defaultdict
from datetime import timedelta

from sqlalchemy import and_, func, or_, select

from ..models.intake import CommunityMedication
from ..models.interruptions import DoseMark
from ..models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ..models.patients import CustodyEpisode, CustodyEvent, Patient
from ..rules import alert_rules as ar
from .alerts import AlertDraft
from .dose_marks import _chunks
from .facility_time import LocalStamp
from .release_facts import release_plan_facts, release_was_planned
from .rule_drafts import open_alert_keys, programme_label, rule_spec


WHERE = {"court": "at court", "transfer": "in transfer", "hospital": "in hospital"}


def not_continued(session, rules, now, lookback):
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
            message = (f"Community {programme_label(prog)} recorded at admission; "
                       + ("no dose given in custody yet" if given is None
                          else f"first dose given {hit.observed} h after admission")
                       + f" (target {hit.rule.params['hours']} h).")
            yield AlertDraft(rule_spec(hit.rule, message), pid, fac_id,
                             f"{hit.rule_id}:custody-episode:{episode_id}", "admission",
                             admissions.get(episode_id))


def doses_lost(session, rules, now, lookback, changed_since=None):
    """A dose lost to court, transfer or hospital: one alert per custody event, the
    message naming its first dose. `changed_since` (the sweep's watermark, a
    sweep_watermark.Watermark): only the patients with a dose marked absent since
    are read (an event's alert is raised once, so nothing else can raise one), and
    those it re-derives in full."""
    query = (select(ScheduledDose.patient_id, ScheduledDose.facility_id,
                    MedicationOrder.programme, DoseMark.cause, DoseMark.custody_event_id,
                    CustodyEvent.type, func.min(ScheduledDose.due_at))
             .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
             .join(DoseMark, DoseMark.dose_id == ScheduledDose.id)
             .join(CustodyEvent, DoseMark.custody_event_id == CustodyEvent.id)
             .where(ScheduledDose.status == "absent", DoseMark.cause.in_(tuple(WHERE)),
                    ScheduledDose.due_at >= now - lookback)
             .group_by(ScheduledDose.patient_id, ScheduledDose.facility_id,
                       MedicationOrder.programme, DoseMark.cause, DoseMark.custody_event_id,
                       CustodyEvent.type))
    if changed_since is None:
        rows = session.execute(query).all()
    else:
        # by the status_at index, the status checked here (by the status index,
        # SQLite would read every dose ever marked absent)
        marked = {pid for pid, status in session.execute(
            select(ScheduledDose.patient_id, ScheduledDose.status).where(
                changed_since.changed(ScheduledDose.status_at, ScheduledDose.status_run)))
            if status == "absent"}
        rows = [row for chunk in _chunks(marked)
                for row in session.execute(query.where(ScheduledDose.patient_id.in_(chunk)))]
        rows += [row for row in _rechecked(session, query, changed_since, now - lookback)
                 if row.patient_id not in marked]
    stamp = LocalStamp(session)
    for pid, fac_id, prog, cause, event_id, event_type, due_at in rows:
        for hit in ar.evaluate_custody_dose_loss(prog, cause, rules):
            message = (f"{programme_label(prog)} dose due {stamp(due_at, fac_id)} not given: "
                       f"she was {WHERE[cause]}.")
            yield AlertDraft(rule_spec(hit.rule, message), pid, fac_id,
                             f"{hit.rule_id}:event:{event_id}", event_type, event_id)


def _rechecked(session, query, mark, since):
    """The rows of the patients this run re-derives in full (the safety net's slice).
    PostgreSQL filters the window's absent doses by the slice (8-11 ms at national
    scale); SQLite then walked far more of them (190 ms on a year of history), so it
    reads the slice's patients first, then their doses by the (patient, local day)
    index (15 ms)."""
    if not mark.recheck:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(query.where(mark.rechecked(ScheduledDose.patient_id))).all()
    ids = list(session.scalars(select(Patient.id).where(mark.rechecked(Patient.id))))
    first_day = since.date() - timedelta(days=1)   # a local day is within a day of UTC's
    return [row for chunk in _chunks(ids) for row in session.execute(
        query.where(ScheduledDose.patient_id.in_(chunk), ScheduledDose.local_date >= first_day))]


def _active_at(at):
    return and_(MedicationOrder.start_at <= at,
                or_(MedicationOrder.end_at.is_(None), MedicationOrder.end_at > at),
                or_(MedicationOrder.discontinued_at.is_(None),
                    MedicationOrder.discontinued_at > at),
                MedicationOrder.status != "superseded")


def unplanned_releases(session, rules, now, lookback):
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
            message = (f"Unplanned release from {where} while on {programme_label(prog)}: no release "
                       "plan, bridging supply or letter was prepared.")
            yield AlertDraft(rule_spec(hit.rule, message), pid, fac_id,
                             f"{hit.rule_id}:event:{event_id}", "release", event_id)


def planned_absences(session, rules, now, hours: dict):
    """Doses due while she will be away: the planned movements still ahead (few),
    then their patients' doses due from now to the longest absence after the last
    departure, read by the (patient, local day) index, matched in Python."""
    ahead = session.execute(   # by the expected instant's index: not a year of court traffic
        select(CustodyEvent.id, CustodyEvent.patient_id, CustodyEvent.type,
               CustodyEvent.expected_at)
        .where(CustodyEvent.type.in_(tuple(hours)), CustodyEvent.expected_at > now)).all()
    facility = {}
    for chunk in _chunks({e.patient_id for e in ahead}):
        facility.update(session.execute(select(Patient.id, Patient.facility_id).where(
            Patient.id.in_(chunk), Patient.custody_status == "in_custody")).all())
    events = [(*e, facility[e.patient_id]) for e in ahead if e.patient_id in facility]
    if not events:
        return
    until = max(departs + timedelta(hours=hours[etype]) for _, _, etype, departs, _ in events)
    doses = defaultdict(list)
    for chunk in _chunks(facility):
        for pid, prog, due_at in session.execute(
                select(ScheduledDose.patient_id, MedicationOrder.programme, ScheduledDose.due_at)
                .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
                .where(ScheduledDose.patient_id.in_(chunk),
                       # redundant with the instants: a local day is within 14 h of UTC
                       ScheduledDose.local_date.between((now - timedelta(days=1)).date(),
                                                        (until + timedelta(days=1)).date()),
                       ScheduledDose.status == "due", ScheduledDose.due_at > now,
                       ScheduledDose.due_at < until)):
            doses[pid].append((prog, due_at))
    stamp = LocalStamp(session)
    for event_id, pid, etype, departs, fac_id in events:
        returns = departs + timedelta(hours=hours[etype])
        by_programme = defaultdict(list)
        for prog, due_at in doses.get(pid, ()):
            by_programme[prog].append(due_at)
        for prog, due_ats in by_programme.items():
            for hit in ar.evaluate_planned_absence(prog, etype, departs, returns, due_ats, rules):
                message = (f"{hit.observed} {programme_label(prog)} dose(s) due while she is "
                           f"away ({etype.replace('_scheduled', '')}, leaving "
                           f"{stamp(departs, fac_id)}).")
                yield AlertDraft(rule_spec(hit.rule, message), pid, fac_id,
                                 f"{hit.rule_id}:event:{event_id}", etype, event_id)


def departures_passed(session, rules, now, hours: dict) -> dict[str, str]:
    """A before-departure task (give the dose early or send it with the escort) is moot
    once the planned absence is over: resolved. A dose she then lost is its own alert."""
    codes = {r.id for r in rules if r.kind == "dose_due_during_planned_absence"}
    open_ = open_alert_keys(session, codes) if codes else []
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

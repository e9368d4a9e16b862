"""One interruption episode's cause chain, for the auditor: the custody event the
cause was attributed to, the doses of the programme over the episode (what
happened to each, who recorded it and when, the scheduler's mark), and the alerts
raised for the patient about that programme (or about her custody) meanwhile,
with who acknowledged and resolved them and when. A few queries per episode,
never one per dose."""
from datetime import datetime, time, timedelta, timezone

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from ... import audit
from ...authz import can_see_facility
from ...errors import NotFound
from ...extensions import db
from ...models import Alert, StaffUser
from ...models.facilities import Facility
from ...models.interruptions import DoseMark, InterruptionEpisode
from ...models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ...models.patients import CustodyEvent


def cause_chain(actor, episode_id: int, *, now) -> dict:
    episode = db.session.get(InterruptionEpisode, episode_id)
    if episode is None or episode.facility_id is None or not can_see_facility(
            actor, episode.facility_id):
        raise NotFound("No such interruption episode.")
    last_day = episode.end_on or now.date()
    window = (datetime.combine(episode.start_on - timedelta(days=1), time(0), timezone.utc),
              datetime.combine(last_day + timedelta(days=2), time(0), timezone.utc))
    out = {
        "episode": {"id": episode.id, "patient": episode.patient_id,
                    "facility": db.session.get(Facility, episode.facility_id).code,
                    "programme": episode.programme, "cause": episode.cause,
                    "cause_days": dict(episode.cause_days or {}), "start_on": episode.start_on,
                    "end_on": episode.end_on, "length_days": episode.length_days,
                    "missed_days": episode.missed_days, "missed_doses": episode.missed_doses,
                    "held_days": episode.held_days},
        "cause_event": _event(episode.cause_event) if episode.cause_event else None,
        "custody_events": _custody_events(episode, window),
        "doses": _doses(episode, last_day),
        "alerts": _alerts(episode, window),
    }
    audit.record(actor, "report.cause_chain.read", entity="interruption_episode",
                 entity_id=episode.id, patient_id=episode.patient_id, at=now)
    return out


def _event(e: CustodyEvent) -> dict:
    return {"id": e.id, "type": e.type, "occurred_at": e.occurred_at,
            "recorded_at": e.recorded_at,
            "recorded_by": e.recorded_by.username if e.recorded_by else None,
            "status_after": e.status_after}


def _custody_events(episode, window) -> list[dict]:
    rows = db.session.scalars(
        select(CustodyEvent).where(CustodyEvent.patient_id == episode.patient_id,
                                   CustodyEvent.occurred_at >= window[0],
                                   CustodyEvent.occurred_at < window[1])
        .order_by(CustodyEvent.occurred_at, CustodyEvent.id)).all()
    return [_event(e) for e in rows]


def _doses(episode, last_day) -> list[dict]:
    recorder = aliased(StaffUser)
    rows = db.session.execute(
        select(ScheduledDose.id, ScheduledDose.due_at, ScheduledDose.local_date,
               ScheduledDose.status, DoseMark.mark, DoseMark.cause, DoseMark.marked_at,
               DoseAdministration.outcome, DoseAdministration.recorded_at, recorder.username)
        .join(MedicationOrder, MedicationOrder.id == ScheduledDose.order_id)
        .outerjoin(DoseMark, DoseMark.dose_id == ScheduledDose.id)
        .outerjoin(DoseAdministration, (DoseAdministration.dose_id == ScheduledDose.id)
                   & DoseAdministration.voided_at.is_(None))
        .outerjoin(recorder, recorder.id == DoseAdministration.recorded_by_id)
        .where(ScheduledDose.patient_id == episode.patient_id,
               MedicationOrder.programme == episode.programme,
               ScheduledDose.local_date >= episode.start_on - timedelta(days=1),
               ScheduledDose.local_date <= last_day + timedelta(days=1))
        .order_by(ScheduledDose.due_at, ScheduledDose.id)).all()
    return [{"id": r[0], "due_at": r[1], "local_date": r[2], "status": r[3],
             "in_episode": episode.start_on <= r[2] <= last_day,
             "mark": r[4], "mark_cause": r[5], "marked_at": r[6], "recorded_outcome": r[7],
             "recorded_at": r[8], "recorded_by": r[9]} for r in rows]


def _alerts(episode, window) -> list[dict]:
    acker, resolver = aliased(StaffUser), aliased(StaffUser)
    rows = db.session.execute(
        select(Alert, acker.username, resolver.username)
        .outerjoin(acker, acker.id == Alert.acknowledged_by_id)
        .outerjoin(resolver, resolver.id == Alert.resolved_by_id)
        .where(Alert.patient_id == episode.patient_id,
               or_(Alert.programme == episode.programme, Alert.programme.is_(None)),
               Alert.opened_at >= window[0], Alert.opened_at < window[1])
        .order_by(Alert.opened_at, Alert.id)).all()
    return [{"id": a.id, "rule": a.rule_code, "severity": a.severity, "role": a.role,
             "message": a.message, "status": a.status, "opened_at": a.opened_at,
             "escalation_level": a.escalation_level, "acknowledged_at": a.acknowledged_at,
             "acknowledged_by": ack, "resolved_at": a.resolved_at, "resolved_by": res}
            for a, ack, res in rows]

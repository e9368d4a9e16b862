"""The indicators' numerators and denominators, one set-based query each, by
sex (and facility when asked). Definitions: rules/data/indicators.toml.

Each function returns {group key: Measure}; a group key is (sex,) or
(sex, facility code)."""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, case, cast, exists, func, select
from sqlalchemy.orm import aliased

from ...extensions import db
from ...models.alerts import Alert
from ...models.facilities import Facility
from ...models.intake import ChecklistAnswer, ChecklistInstance, CommunityMedication
from ...models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ...models.patients import CustodyEpisode, CustodyEvent, Patient
from ...models.release import ReleaseFollowUp, ReleasePlan, ReleaseReferral
from ...models.staff import UserRole
from ...rules.reports import REPORT_PROGRAMMES
from .population import segments

DEPENDENCE = ("dependence_no_withdrawal", "withdrawal_treatment_started")
OFFERED = ("offered", "accepted", "declined")


@dataclass
class Measure:
    numerator: int = 0
    denominator: int = 0
    values: list = field(default_factory=list)      # for medians
    outstanding: int = 0     # for medians: those with no response / dose by the period end


def period_end(scope, zone: str, now) -> datetime:
    """The instant the period ends for a facility: the end of its last local day,
    or now when that is still to come. Outcomes later than this are not counted,
    so a past period's figures do not change."""
    end = datetime.combine(scope.last + timedelta(days=1), time(0), ZoneInfo(zone or "UTC"))
    return min(end.astimezone(timezone.utc), now)


def _key_cols(groups, facility_code):
    return [Patient.sex] + ([facility_code] if "facility" in groups else [])


def _in_period(d, scope, instant, zone):
    day = d.local_day(instant, zone)
    return and_(day >= d.day(scope.first), day <= d.day(scope.last))


def _scoped(query, scope, facility_id):
    return query if scope.facility_ids is None else query.where(facility_id.in_(scope.facility_ids))


def _sum_rows(rows, width) -> dict:
    return {tuple(r[:width]): Measure(int(r[width] or 0), int(r[width + 1] or 0)) for r in rows}


def _answered(item_id, values, instance_id):
    """The latest answer to `item_id` of checklist `instance_id` is one of `values`."""
    a, later = ChecklistAnswer, aliased(ChecklistAnswer)
    latest = (select(func.max(later.id)).where(later.instance_id == a.instance_id,
                                               later.item_id == item_id).scalar_subquery())
    return exists(select(a.id).where(
        a.instance_id == instance_id, a.item_id == item_id, a.id == latest,
        cast(a.answer, String).in_([f'"{v}"' for v in values])))


def intake_continuation(d, scope, groups, now):
    """Admissions x community OST/ART whose first 24 hours were over by the period
    end: first given dose within 24 h; and the hours to it for those dosed by the
    period end, the others counted as outstanding (never dosed by then)."""
    ce, cm = CustodyEpisode, CommunityMedication
    first_given = (select(func.min(DoseAdministration.administered_at))
                   .join(MedicationOrder, MedicationOrder.id == DoseAdministration.order_id)
                   .where(DoseAdministration.patient_id == ce.patient_id,
                          DoseAdministration.outcome == "given",
                          DoseAdministration.voided_at.is_(None),
                          MedicationOrder.programme == cm.programme,
                          DoseAdministration.administered_at >= ce.admitted_at,
                          func.coalesce(ce.released_at, DoseAdministration.administered_at)
                          >= DoseAdministration.administered_at)
                   .correlate(ce, cm).scalar_subquery())
    query = (select(*_key_cols(groups, Facility.code), Facility.timezone, ce.admitted_at,
                    first_given)
             .select_from(cm).join(ce, ce.id == cm.episode_id)
             .join(Patient, Patient.id == ce.patient_id).join(Facility, Facility.id == ce.facility_id)
             .where(cm.programme.in_(("ost", "art")),
                    _in_period(d, scope, ce.admitted_at, Facility.timezone))
             .group_by(*_key_cols(groups, Facility.code), Facility.timezone, ce.id, ce.admitted_at,
                       cm.programme, ce.patient_id, ce.released_at))
    share, hours = {}, {}
    for *key, zone, admitted_at, given_at in db.session.execute(
            _scoped(query, scope, ce.facility_id)):
        key = tuple(key)
        end = period_end(scope, zone, now)
        if admitted_at + timedelta(hours=24) > end:
            continue            # her 24 hours were not over by the period end: not judged yet
        share.setdefault(key, Measure()).denominator += 1
        hours.setdefault(key, Measure())
        if given_at is not None and given_at <= end:
            waited = (given_at - admitted_at).total_seconds() / 3600
            hours[key].values.append(waited)
            share[key].numerator += waited <= 24
        else:
            hours[key].outstanding += 1
    return share, hours


def verified_hold(dose_id):
    """The dose's live record is a hold recorded by a clinician (the prescriber's
    decision, with its reason); a hold recorded by anyone else is not verified."""
    da, role = DoseAdministration, UserRole
    return exists(select(da.id).join(role, role.user_id == da.recorded_by_id).where(
        da.dose_id == dose_id, da.outcome == "held", da.voided_at.is_(None),
        role.role == "clinician"))


def dose_coverage(d, scope, groups):
    """Doses of the treatment programmes (OST, ART, TB, HCV; not PrEP or other),
    summed per patient (and facility) first: one pass over the period's doses,
    then a join of a few thousand rows to the patients. Verified holds and doses
    not yet recorded (due) are left out; any other hold counts as not given."""
    sd, o = ScheduledDose, MedicationOrder
    counted = and_(sd.status != "due", ~and_(sd.status == "held", verified_hold(sd.id)))
    per_patient = (select(sd.patient_id, sd.facility_id,
                          func.sum(case((sd.status == "given", 1), else_=0)).label("given"),
                          func.sum(case((counted, 1), else_=0)).label("counted"))
                   .join(o, o.id == sd.order_id)
                   .where(sd.local_date >= scope.first, sd.local_date <= scope.last,
                          o.programme.in_(REPORT_PROGRAMMES))
                   .group_by(sd.patient_id, sd.facility_id))
    per_patient = _scoped(per_patient, scope, sd.facility_id).subquery("per_patient")
    keys = _key_cols(groups, Facility.code)
    query = (select(*keys, func.sum(per_patient.c.given), func.sum(per_patient.c.counted))
             .select_from(per_patient).join(Patient, Patient.id == per_patient.c.patient_id)
             .join(Facility, Facility.id == per_patient.c.facility_id)
             .group_by(*keys))
    return _sum_rows(db.session.execute(query), len(groups))


def _intake_checklists(d, scope, groups, *measures):
    ci = ChecklistInstance
    query = (select(*_key_cols(groups, Facility.code), *[func.sum(case((m, 1), else_=0))
                                                         for m in measures])
             .select_from(ci).join(Patient, Patient.id == ci.patient_id)
             .join(Facility, Facility.id == ci.facility_id)
             .where(ci.kind == "intake", _in_period(d, scope, ci.anchor_at, Facility.timezone))
             .group_by(*_key_cols(groups, Facility.code)))
    return db.session.execute(_scoped(query, scope, ci.facility_id)).all()


def intake_within_24h(d, scope, groups, now):
    ci = ChecklistInstance
    rows = _intake_checklists(d, scope, groups,
                              and_(ci.due_at <= now, ci.completed_at.is_not(None),
                                   ci.completed_at <= ci.due_at),
                              ci.due_at <= now)
    return _sum_rows(rows, len(groups))


def hiv_testing(d, scope, groups):
    ci = ChecklistInstance
    rows = _intake_checklists(d, scope, groups, _answered("IN-09", OFFERED, ci.id),
                              _answered("IN-09", ("accepted",), ci.id), ci.id.is_not(None))
    width = len(groups)
    offered = {tuple(r[:width]): Measure(int(r[width] or 0), int(r[width + 2] or 0)) for r in rows}
    accepted = {tuple(r[:width]): Measure(int(r[width + 1] or 0), int(r[width + 2] or 0))
                for r in rows}
    return offered, accepted


def alert_response(d, scope, groups, now):
    """Alerts opened in the period: the hours to the first response of a person
    (acknowledgement, or resolution without one) of those answered by the period end;
    the others are counted as outstanding. An alert the sweep closed itself (its
    condition ended, a higher rung superseded it) before anyone answered it was not
    answered: outstanding."""
    a = Alert
    by_person = case((a.resolved_by_id.is_not(None), a.resolved_at), else_=None)
    response = func.coalesce(a.acknowledged_at, by_person)
    query = (select(*_key_cols(groups, Facility.code), Facility.timezone, a.opened_at, response)
             .select_from(a).join(Patient, Patient.id == a.patient_id)
             .join(Facility, Facility.id == a.facility_id)
             .where(_in_period(d, scope, a.opened_at, Facility.timezone)))
    out = {}
    for *key, zone, opened_at, answered_at in db.session.execute(
            _scoped(query, scope, a.facility_id)):
        m = out.setdefault(tuple(key), Measure())
        if answered_at is not None and answered_at <= period_end(scope, zone, now):
            m.values.append((answered_at - opened_at).total_seconds() / 3600)
        else:
            m.outstanding += 1
    return out


def coverage(d, scope, groups, programme: str, evidence):
    """People in custody on the last day with `evidence` (a clause on the segment):
    how many had an active order of `programme` that day."""
    seg = segments(d, scope.last, scope.last, scope.facility_ids)
    day_start = datetime.combine(scope.last, time(0), timezone.utc)
    o = MedicationOrder
    active = exists(select(o.id).where(
        o.patient_id == seg.c.patient_id, o.programme == programme,
        o.start_at < day_start + timedelta(days=1),
        (o.end_at.is_(None)) | (o.end_at >= day_start)))
    has = evidence(seg)
    query = (select(*_key_cols(groups, Facility.code),
                    func.sum(case((and_(has, active), 1), else_=0)),
                    func.sum(case((has, 1), else_=0)))
             .select_from(seg).join(Patient, Patient.id == seg.c.patient_id)
             .join(Facility, Facility.id == seg.c.facility_id)
             .group_by(*_key_cols(groups, Facility.code)))
    return _sum_rows(db.session.execute(query), len(groups))


def _episode_evidence(seg, programme, item_id, values):
    ci, cm, o = ChecklistInstance, CommunityMedication, MedicationOrder
    admitted_at = (select(CustodyEpisode.admitted_at)
                   .where(CustodyEpisode.id == seg.c.episode_id).correlate(seg).scalar_subquery())
    return (exists(select(ci.id).where(ci.episode_id == seg.c.episode_id, ci.kind == "intake",
                                       _answered(item_id, values, ci.id)))
            | exists(select(cm.id).where(cm.episode_id == seg.c.episode_id,
                                         cm.programme == programme))
            | exists(select(o.id).where(o.patient_id == seg.c.patient_id,
                                        o.programme == programme,
                                        o.start_at >= admitted_at)))


def ost_coverage(d, scope, groups):
    return coverage(d, scope, groups, "ost",
                    lambda seg: _episode_evidence(seg, "ost", "IN-16", DEPENDENCE))


def art_coverage(d, scope, groups):
    return coverage(d, scope, groups, "art",
                    lambda seg: _episode_evidence(seg, "art", "IN-09a", ("positive",)))


def releases(d, scope, groups):
    """One row per release in the period: key, released_at, the plan's finalized_at,
    checks, circumstances, and whether she was on OST or reported community OST."""
    ev, plan, o, cm = CustodyEvent, ReleasePlan, MedicationOrder, CommunityMedication
    ce = CustodyEpisode
    on_ost = (exists(select(o.id).where(o.patient_id == ev.patient_id, o.programme == "ost",
                                        o.start_at >= ce.admitted_at, o.start_at <= ev.occurred_at))
              | exists(select(cm.id).where(cm.episode_id == ev.episode_id, cm.programme == "ost")))
    query = (select(*_key_cols(groups, Facility.code), ev.occurred_at, plan.id,
                    plan.finalized_at, plan.checks, plan.circumstances, on_ost)
             .select_from(ev).join(ce, ce.id == ev.episode_id)
             .join(Patient, Patient.id == ev.patient_id)
             .join(Facility, Facility.id == ev.facility_id)
             .outerjoin(plan, plan.episode_id == ev.episode_id)
             .where(ev.type == "release", _in_period(d, scope, ev.occurred_at, Facility.timezone)))
    return db.session.execute(_scoped(query, scope, ev.facility_id)).all()


APPOINTMENT_FOLLOW_UP = timedelta(days=7)


def appointments(d, scope, groups, now):
    """Referrals with a first appointment in the plans of the period's releases,
    and whether the latest follow-up with that provider says attended; only the
    appointments whose follow-up window (7 days after the appointment) was over
    by the period end (its last day, or now): the others cannot be judged yet."""
    ev, plan, ref, fu = CustodyEvent, ReleasePlan, ReleaseReferral, ReleaseFollowUp
    later = aliased(ReleaseFollowUp)
    latest = (select(func.max(later.id)).where(later.plan_id == ref.plan_id,
                                               later.provider_id == ref.provider_id)
              .correlate(ref).scalar_subquery())
    attended = exists(select(fu.id).where(fu.id == latest, fu.attended.is_(True)))
    query = (select(*_key_cols(groups, Facility.code),
                    func.sum(case((attended, 1), else_=0)), func.count(ref.id))
             .select_from(ref).join(plan, plan.id == ref.plan_id)
             .join(ev, (ev.episode_id == plan.episode_id) & (ev.type == "release"))
             .join(Patient, Patient.id == ev.patient_id)
             .join(Facility, Facility.id == ev.facility_id)
             .where(ref.appointment_at.is_not(None),
                    d.local_day(ref.appointment_at, Facility.timezone)
                    <= d.day(scope.last - APPOINTMENT_FOLLOW_UP),
                    ref.appointment_at <= now - APPOINTMENT_FOLLOW_UP,
                    _in_period(d, scope, ev.occurred_at, Facility.timezone))
             .group_by(*_key_cols(groups, Facility.code)))
    return _sum_rows(db.session.execute(_scoped(query, scope, ev.facility_id)), len(groups))

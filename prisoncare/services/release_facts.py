"""What the release rules need to know about plans, read for many plans at once.

`plan_facts(plans, now)` answers, for any number of plans, with a fixed number of
queries (orders, community treatment at admission; referrals and providers when
the caller did not load them): the programmes at release, who she is
(`PlanSubject`), what the plan holds (`PlanState`) and each item's status. The
plan page (one plan), the release board (a facility's month) and the scheduler's
release rules (every plan near release) all read it here, so they agree.
"""
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models.intake import CommunityMedication
from ..models.patients import CustodyEvent
from ..models.medication import MedicationOrder
from ..models.release import ReleasePlan, ReleaseReferral
from ..rules import release as rules

CHUNK = 1000


def definition() -> rules.PlanDefinition:
    return rules.load_definition()


def thresholds() -> rules.Thresholds:
    overrides = current_app.config.get("RELEASE_THRESHOLDS") if has_app_context() else None
    return definition().thresholds.merged(overrides)


def tz_of(plan_or_patient) -> ZoneInfo:
    facility = plan_or_patient.facility
    return ZoneInfo(facility.timezone if facility else "UTC")


def local_date(instant, plan) -> date | None:
    return instant.astimezone(tz_of(plan)).date() if instant else None


@dataclass
class PlanFacts:
    orders: dict          # programme -> the order's latest version (active at release)
    subject: rules.PlanSubject
    state: rules.PlanState
    statuses: list        # rules.ItemStatus, the applicable items
    missing: list         # the required items not done


def plan_options():
    """Loader options a caller adds to its plan query so `plan_facts` needs no more."""
    return (selectinload(ReleasePlan.referrals).selectinload(ReleaseReferral.provider),
            selectinload(ReleasePlan.episode), selectinload(ReleasePlan.facility),
            selectinload(ReleasePlan.patient))


def _chunks(values):
    values = sorted(values)
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def _orders_by_patient(patient_ids) -> dict[int, list[MedicationOrder]]:
    out: dict[int, list[MedicationOrder]] = {}
    for chunk in _chunks(patient_ids):
        for order in db.session.scalars(select(MedicationOrder).where(
                MedicationOrder.patient_id.in_(chunk),
                MedicationOrder.programme.in_(rules.PROGRAMMES)).order_by(MedicationOrder.id)):
            out.setdefault(order.patient_id, []).append(order)
    return out


def _community_ost_episodes(episode_ids) -> set[int]:
    out = set()
    for chunk in _chunks(episode_ids):
        out.update(db.session.scalars(select(CommunityMedication.episode_id).where(
            CommunityMedication.episode_id.in_(chunk), CommunityMedication.programme == "ost")))
    return out


def orders_at_release(plan: ReleasePlan, orders: list[MedicationOrder], now) -> dict:
    """Programmes with an order active at release (or now, before it), each with
    the latest version of its order."""
    at = plan.episode.released_at - timedelta(seconds=1) if plan.episode.released_at else now
    active = {o.programme for o in orders
              if o.start_at <= at and (o.end_at is None or o.end_at > at)}
    latest = {}
    for order in orders:  # by id: the last version wins
        if order.programme in active:
            latest[order.programme] = order
    return latest


def subject_of(plan: ReleasePlan, programmes, community_ost: bool) -> rules.PlanSubject:
    c = plan.circumstances or {}
    patient = plan.patient
    return rules.PlanSubject(
        sex=patient.sex, programmes=frozenset(programmes),
        opioid_use=bool("ost" in programmes or c.get("opioid_use") or community_ost),
        pregnant=c.get("pregnant"), breastfeeding=c.get("breastfeeding"),
        children_outside=c.get("children_outside"), child_with_her=c.get("child_with_her"),
        legal_status=patient.legal_status, kind=plan.kind)


def state_of(plan: ReleasePlan, orders: dict) -> rules.PlanState:
    return rules.PlanState(
        referrals={r.need: rules.Referral(provider=r.provider.code if r.provider else None,
                                          appointment_on=local_date(r.appointment_at, plan),
                                          supply_days=r.supply_days) for r in plan.referrals},
        checks=dict(plan.checks or {}),
        social={k: v.get("outcome") for k, v in (plan.social_needs or {}).items()},
        release_on=plan.release_on,
        course_end_on={p: local_date(o.end_at, plan) for p, o in orders.items() if o.end_at})


def plan_facts(plans, now) -> dict[int, PlanFacts]:
    """Facts per plan id, with two queries whatever the number of plans."""
    plans = list(plans)
    orders = _orders_by_patient({p.patient_id for p in plans})
    community_ost = _community_ost_episodes({p.episode_id for p in plans})
    definition_, thresholds_ = definition(), thresholds()
    out = {}
    for plan in plans:
        active = orders_at_release(plan, orders.get(plan.patient_id, []), now)
        subject = subject_of(plan, set(active), plan.episode_id in community_ost)
        state = state_of(plan, active)
        statuses = rules.evaluate(definition_, subject, state, thresholds_)
        out[plan.id] = PlanFacts(active, subject, state, statuses, rules.missing(statuses))
    return out



# A release from the facility is planned when a release_scheduled preceded it in the
# episode, or when it comes no more than this many days before the expected release
# the sentence set (the plan opened 30 days before that date). Earlier, or with neither,
# it is unplanned (bail, release by order): an emergency plan and critical alerts.
# Design value, not from a source.
PLANNED_RELEASE_TOLERANCE_DAYS = 7


def release_plan_facts(release_event):
    """SQL columns for the release `release_event` (a CustodyEvent table or alias):
    was a release_scheduled recorded before it, and the sentence's expected release."""
    earlier = CustodyEvent.__table__.alias("earlier")
    same_episode = and_(earlier.c.episode_id == release_event.c.episode_id,
                        earlier.c.occurred_at <= release_event.c.occurred_at)
    scheduled = select(earlier.c.id).where(
        same_episode, earlier.c.type == "release_scheduled").exists()
    expected = select(func.max(earlier.c.expected_at)).where(
        same_episode, earlier.c.type == "sentenced").scalar_subquery()
    return scheduled.label("release_scheduled"), expected.label("sentence_expected_at")


def release_was_planned(released_at, scheduled: bool, sentence_expected_at) -> bool:
    return bool(scheduled) or (
        sentence_expected_at is not None
        and released_at >= sentence_expected_at - timedelta(days=PLANNED_RELEASE_TOLERANCE_DAYS))

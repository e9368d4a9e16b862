"""The release officers' follow-up worklist: for each community appointment of
the people a facility released, the checks 3, 7 and 30 days after release (did
she attend?), with what is due, overdue or already known.

Set-based: one query for the appointments, one for their follow-ups.
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, selectinload

from .. import audit
from ..authz import patient_scope
from ..extensions import db
from ..models import CustodyEpisode, Patient
from ..models.release import ReleaseFollowUp, ReleasePlan, ReleaseReferral
from .release_followup import FOLLOW_UP_DAYS

# A check not recorded this many days after its date is overdue.
OVERDUE_AFTER_DAYS = 2
# Releases this far back are listed (the 30-day check and some time to chase it).
LOOKBACK_DAYS = 60
RECORDED = ("attended", "not_attended", "unknown")
STATUSES = ("upcoming", "due", "overdue") + RECORDED
FILTERS = {"open": ("due", "overdue"), "due": ("due",), "overdue": ("overdue",),
           "recorded": RECORDED, "upcoming": ("upcoming",), "all": STATUSES}


def check_status(today, due_on, follow_up) -> str:
    """Pure: one check's status on `today`."""
    if follow_up is not None:
        return {True: "attended", False: "not_attended", None: "unknown"}[follow_up.attended]
    if today < due_on:
        return "upcoming"
    return "due" if (today - due_on).days <= OVERDUE_AFTER_DAYS else "overdue"


def _referrals(actor, facility, now):
    query = (select(ReleaseReferral)
             .join(ReleasePlan, ReleaseReferral.plan_id == ReleasePlan.id)
             .join(CustodyEpisode, ReleasePlan.episode_id == CustodyEpisode.id)
             .join(Patient, ReleasePlan.patient_id == Patient.id)
             .where(ReleasePlan.facility_id == facility.id, ReleaseReferral.provider_id.is_not(None),
                    CustodyEpisode.released_at.is_not(None),
                    CustodyEpisode.released_at >= now - timedelta(days=LOOKBACK_DAYS))
             .options(contains_eager(ReleaseReferral.plan).contains_eager(ReleasePlan.episode),
                      contains_eager(ReleaseReferral.plan).contains_eager(ReleasePlan.patient),
                      selectinload(ReleaseReferral.provider))
             .order_by(CustodyEpisode.released_at, ReleaseReferral.id))
    scope = patient_scope(actor, Patient)
    if scope is not None:
        query = query.where(scope)
    return db.session.scalars(query).unique().all()


def _follow_ups(plan_ids) -> dict:
    """(plan, provider, need or None, day) -> the latest follow-up."""
    out = {}
    ids = sorted(plan_ids)
    for i in range(0, len(ids), 1000):
        for row in db.session.scalars(select(ReleaseFollowUp).where(
                ReleaseFollowUp.plan_id.in_(ids[i:i + 1000])).order_by(ReleaseFollowUp.id)):
            out[(row.plan_id, row.provider_id, row.need, row.checkpoint_day)] = row
    return out


def follow_up_worklist(actor, facility, *, now, status: str = "open", limit=100, offset=0
                       ) -> tuple[list[dict], int]:
    """One item per appointment and check, soonest first."""
    referrals = _referrals(actor, facility, now)
    follow_ups = _follow_ups({r.plan_id for r in referrals})
    tz = ZoneInfo(facility.timezone)
    today = now.astimezone(tz).date()
    wanted = FILTERS[status]
    items = []
    for referral in referrals:
        plan = referral.plan
        released_on = plan.episode.released_at.astimezone(tz).date()
        for day in FOLLOW_UP_DAYS:
            row = (follow_ups.get((plan.id, referral.provider_id, referral.need, day))
                   or follow_ups.get((plan.id, referral.provider_id, None, day)))
            due_on = released_on + timedelta(days=day)
            state = check_status(today, due_on, row)
            if state not in wanted:
                continue
            items.append({
                "plan": plan.id, "patient": plan.patient, "need": referral.need,
                "provider": referral.provider, "appointment_at": referral.appointment_at,
                "released_at": plan.episode.released_at, "day": day, "due_on": due_on,
                "status": state, "days_overdue": max((today - due_on).days, 0),
                "checked_at": row.checked_at if row else None, "note": row.note if row else None})
    items.sort(key=lambda i: (i["due_on"], i["patient"].prison_number, i["need"]))
    audit.record(actor, "release_follow_up.list", entity="facility", entity_id=facility.id, at=now,
                 detail={"status": status, "results": len(items)})
    return items[offset:offset + limit], len(items)


def item_dict(item: dict) -> dict:
    patient, provider = item["patient"], item["provider"]
    return {**item, "patient": {"id": patient.id, "prison_number": patient.prison_number,
                                "name": patient.name},
            "provider": {"code": provider.code, "name": provider.name, "phone": provider.phone}}

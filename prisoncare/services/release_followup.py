"""After release: did she reach each provider? Follow-ups at 3, 7 and 30 days,
and an alert when the first OST or ART appointment has no outcome 72 hours after
it was due (a scheduler job), resolved as soon as the outcome is recorded."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import exists, select

from .. import audit
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import Alert, Facility, Patient
from ..models.release import CommunityProvider, ReleaseFollowUp, ReleasePlan, ReleaseReferral
from .alerts import AlertDraft, AlertSpec, raise_alerts
from .providers import provider_by_code

FOLLOW_UP_DAYS = (3, 7, 30)
OUTCOME_WAIT = timedelta(hours=72)
FIRST_APPOINTMENT_NEEDS = ("ost", "art")
CLOCK_SKEW = timedelta(minutes=2)
OUTCOME_KEY = "release-outcome:{}"
RESOLVED_NOTE = "The appointment's outcome was recorded."


def follow_ups_of(plan: ReleasePlan) -> list[dict]:
    rows = db.session.scalars(select(ReleaseFollowUp).where(ReleaseFollowUp.plan_id == plan.id)
                              .order_by(ReleaseFollowUp.checked_at, ReleaseFollowUp.id))
    return [{"provider": r.provider.code, "attended": r.attended, "checked_at": r.checked_at,
             "note": r.note, "need": r.need, "day": r.checkpoint_day} for r in rows]


def checkpoint_for(released_at, checked_at) -> int:
    """The check a follow-up answers when none is named: the latest one due by
    the time it was made (the first one if made earlier)."""
    due = [d for d in FOLLOW_UP_DAYS if released_at + timedelta(days=d) <= checked_at]
    return due[-1] if due else FOLLOW_UP_DAYS[0]


def record_follow_up(actor, plan: ReleasePlan, data: dict, *, now) -> ReleaseFollowUp:
    errors = {}
    provider = provider_by_code(data["provider"])
    referred = {r.provider_id for r in plan.referrals if r.provider_id}
    referred |= {p for p in _social_providers(plan)}
    if provider is None or provider.id not in referred:
        errors["provider"] = ["Not a provider of this plan."]
    elif data.get("need") and not any(r.need == data["need"] and r.provider_id == provider.id
                                      for r in plan.referrals):
        errors["need"] = [f"No {data['need']} referral to {provider.name} in this plan."]
    if data.get("day") is not None and data["day"] not in FOLLOW_UP_DAYS:
        errors["day"] = [f"One of {', '.join(map(str, FOLLOW_UP_DAYS))}."]
    if data["checked_at"] > now + CLOCK_SKEW:
        errors["checked_at"] = ["Cannot be in the future."]
    if errors:
        raise ValidationFailed(errors)
    released_at = plan.episode.released_at
    if released_at is None:
        raise Conflict("She has not been released yet: follow-up starts after release.",
                       code="not_released")
    need = data.get("need")
    if need is None:  # the provider's only appointment, when it has one
        needs = [r.need for r in plan.referrals if r.provider_id == provider.id]
        need = needs[0] if len(needs) == 1 else None
    day = data.get("day") or checkpoint_for(released_at, data["checked_at"])
    row = ReleaseFollowUp(plan_id=plan.id, provider=provider, attended=data.get("attended"),
                          checked_at=data["checked_at"], note=data.get("note"), recorded_at=now,
                          need=need, checkpoint_day=day, recorded_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "release_plan.follow_up", entity="release_follow_up", entity_id=row.id,
                 patient_id=plan.patient_id, at=now,
                 detail={"provider": provider.code, "attended": row.attended, "need": need,
                         "day": day})
    if row.attended is not None:
        _resolve_outcome_alerts([r.id for r in plan.referrals if r.provider_id == provider.id],
                                by=actor, now=now)
    return row


def _resolve_outcome_alerts(referral_ids, *, by, now) -> int:
    """Close the 72-hour alerts of these referrals (their outcome is known now)."""
    keys = [OUTCOME_KEY.format(i) for i in referral_ids]
    if not keys:
        return 0
    alerts = db.session.scalars(select(Alert).where(Alert.dedup_key.in_(keys),
                                                    Alert.status != "resolved")).all()
    for alert in alerts:
        alert.status, alert.resolved_at, alert.resolve_note = "resolved", now, RESOLVED_NOTE
        alert.resolved_by_id = getattr(by, "id", None)
    return len(alerts)


def _has_outcome():
    return exists().where(ReleaseFollowUp.plan_id == ReleaseReferral.plan_id,
                          ReleaseFollowUp.provider_id == ReleaseReferral.provider_id,
                          ReleaseFollowUp.attended.is_not(None))


def resolve_recorded_outcomes(*, now) -> int:
    """The 72-hour alerts still open although the outcome has been recorded since
    (e.g. recorded before this version resolved them on the write)."""
    keys = db.session.scalars(select(Alert.dedup_key).where(
        Alert.dedup_key.like("release-outcome:%"), Alert.status != "resolved")).all()
    ids = [int(k.split(":", 1)[1]) for k in keys if k.split(":", 1)[1].isdigit()]
    done = []
    for i in range(0, len(ids), 1000):
        done += db.session.scalars(select(ReleaseReferral.id).where(
            ReleaseReferral.id.in_(ids[i:i + 1000]), _has_outcome())).all()
    return _resolve_outcome_alerts(done, by=None, now=now)


def _social_providers(plan):
    codes = [v.get("provider") for v in (plan.social_needs or {}).values() if v.get("provider")]
    return {p.id for p in (provider_by_code(c) for c in codes) if p is not None}


def follow_ups_due(plan: ReleasePlan) -> list:
    """The follow-up dates (3, 7, 30 days after release)."""
    released = plan.episode.released_at
    return [released + timedelta(days=d) for d in FOLLOW_UP_DAYS] if released else []


def alert_missing_outcomes(*, now) -> int:
    """The scheduler's job: first OST/ART appointments 72 h past with no outcome
    (no follow-up saying attended or not) raise a high alert, once each, in one
    bulk insert."""
    resolve_recorded_outcomes(now=now)
    outcome = _has_outcome()
    rows = db.session.execute(
        select(ReleaseReferral.id, ReleaseReferral.need, ReleaseReferral.appointment_at,
               CommunityProvider.name, Patient.id, Patient.facility_id, Facility.timezone)
        .join(ReleasePlan, ReleaseReferral.plan_id == ReleasePlan.id)
        .join(Patient, ReleasePlan.patient_id == Patient.id)
        .outerjoin(Facility, Patient.facility_id == Facility.id)
        .join(CommunityProvider, ReleaseReferral.provider_id == CommunityProvider.id)
        .where(ReleaseReferral.need.in_(FIRST_APPOINTMENT_NEEDS),
               ReleaseReferral.appointment_at.is_not(None),
               ReleaseReferral.appointment_at <= now - OUTCOME_WAIT,
               Patient.custody_status == "released", ~outcome)).all()
    drafts = []
    for referral_id, need, appointment_at, provider_name, patient_id, facility_id, tz in rows:
        local = appointment_at.astimezone(ZoneInfo(tz or "UTC"))
        spec = AlertSpec(rule_code="OST-R-01" if need == "ost" else "ART-07", severity="high",
                         role="release_officer", programme=need,
                         message=(f"No outcome recorded for the first {need.upper()} "
                                  f"appointment at {provider_name}, due "
                                  f"{local:%Y-%m-%d %H:%M} ({tz or 'UTC'} time)."),
                         action="Call the provider and record whether she attended.")
        drafts.append(AlertDraft(spec, patient_id, facility_id, OUTCOME_KEY.format(referral_id)))
    return raise_alerts(drafts, now=now)

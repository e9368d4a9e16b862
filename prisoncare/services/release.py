"""Release plans: opened by custody events (and 30 days ahead by the scheduler),
edited by release officers and clinicians, finalized only when complete.

Every check runs before anything is written and all field errors are reported at
once; the plan's content is checked against the rules file (rules/release.py).
"""
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import CustodyEpisode, CustodyEvent, Patient
from ..models.medication import DoseAdministration, MedicationOrder
from ..models.release import ReleaseConsent, ReleasePlan, ReleaseReferral
from ..rules import release as rules
from .alerts import AlertSpec, raise_alert
from .custody import current_episode, on_custody_event
from .release_prefill import prefill_plans
from .release_checks import (NEED_SERVICES, check_consents, check_referrals,  # noqa: F401
                             check_social, plan_providers)
from .release_facts import (PlanFacts, definition, local_date, plan_facts, release_plan_facts,
                            release_was_planned,
                            thresholds, tz_of)

CIRCUMSTANCES = ("opioid_use", "pregnant", "breastfeeding", "children_outside", "child_with_her",
                 "violence_support_needed")
UNPLANNED_FROM = ("court", "hospital")
WINDOW_DAYS = 30


# --- the rules and what is known about her (release_facts: many plans at once) -------

_tz = tz_of


def last_doses(patient_id: int, now) -> dict[str, dict]:
    """The last dose given in custody per plan programme (OST, ART, TB, HCV), from
    the MAR: nothing else of the MAR reaches the plan."""
    out = {}
    rows = db.session.execute(
        select(MedicationOrder.programme, MedicationOrder.drug, MedicationOrder.unit,
               MedicationOrder.dose, DoseAdministration.dose_given,
               DoseAdministration.administered_at)
        .join(MedicationOrder, DoseAdministration.order_id == MedicationOrder.id)
        .where(DoseAdministration.patient_id == patient_id, DoseAdministration.outcome == "given",
               MedicationOrder.programme.in_(rules.PROGRAMMES),
               DoseAdministration.voided_at.is_(None), DoseAdministration.administered_at <= now)
        .order_by(DoseAdministration.administered_at))
    for programme, drug, unit, dose, given, at in rows:
        out[programme] = {"programme": programme, "drug": drug, "unit": unit,
                          "dose": float(given if given is not None else dose),
                          "administered_at": at}
    return out


class Evaluation:
    """A plan with everything derived from it, computed once per request."""

    def __init__(self, plan: ReleasePlan, now, facts: PlanFacts | None = None):
        self.plan = plan
        facts = facts or plan_facts([plan], now)[plan.id]
        self.orders, self.subject, self.state = facts.orders, facts.subject, facts.state
        self.thresholds = thresholds()
        self.statuses, self.missing = facts.statuses, facts.missing
        self.last_doses = last_doses(plan.patient_id, now)

    @property
    def needs(self) -> list[str]:
        return rules.needs_for(definition(), self.subject)


# --- opening --------------------------------------------------------------------------

def plan_for_episode(episode_id: int) -> ReleasePlan | None:
    return db.session.scalar(select(ReleasePlan).where(ReleasePlan.episode_id == episode_id))


def _new_plan(actor, patient, episode, *, trigger, now, kind="planned") -> ReleasePlan:
    return ReleasePlan(patient=patient, episode=episode, facility_id=patient.facility_id,
                       kind=kind, status="draft", trigger=trigger,
                       definition_version=definition().version,
                       release_on=patient.expected_release_on, circumstances={}, checks={},
                       social_needs={}, opened_at=now, updated_at=now,
                       opened_by_id=getattr(actor, "id", None))


def _opened(actor, plans, now) -> None:
    """Pre-fill new (flushed) plans from the record and audit their opening."""
    filled = prefill_plans(plans)
    for plan in plans:
        audit.record(actor, "release_plan.open", entity="release_plan", entity_id=plan.id,
                     patient_id=plan.patient_id, at=now,
                     detail={"trigger": plan.trigger, "kind": plan.kind,
                             "prefilled": filled.get(plan.id, [])})


def open_plan(actor, patient: Patient, episode: CustodyEpisode, *, trigger: str, now,
              kind: str = "planned") -> ReleasePlan:
    """The episode's plan, opened (and pre-filled) if it has none (idempotent)."""
    plan = plan_for_episode(episode.id)
    if plan is not None:
        return plan
    plan = _new_plan(actor, patient, episode, trigger=trigger, now=now, kind=kind)
    db.session.add(plan)
    db.session.flush()
    _opened(actor, [plan], now)
    db.session.flush()
    db.session.expire(plan, ["referrals"])
    return plan


@on_custody_event
def plan_on_custody_event(actor, patient: Patient, event: CustodyEvent, *, now) -> None:
    """Open (or update) the plan as the custody timeline moves."""
    episode = event.episode
    plan = plan_for_episode(episode.id)
    if event.type == "release_scheduled":
        plan = open_plan(actor, patient, episode, trigger="release_scheduled", now=now)
        plan.release_on = patient.expected_release_on
    elif event.type == "sentenced":
        today = now.astimezone(_tz(patient)).date()
        if plan is None and rules.opens_at_sentencing(patient.expected_release_on, today, WINDOW_DAYS):
            plan = open_plan(actor, patient, episode, trigger="sentenced", now=now)
        if plan is not None:
            plan.release_on = patient.expected_release_on
    elif event.type == "release":
        _on_release(actor, patient, episode, plan, event, now)


def was_planned(event) -> bool:
    """Was this release planned (see release_facts.release_was_planned)?"""
    release = CustodyEvent.__table__
    scheduled, expected = db.session.execute(
        select(*release_plan_facts(release)).where(release.c.id == event.id)).one()
    return release_was_planned(event.occurred_at, scheduled, expected)


def _on_release(actor, patient, episode, plan, event, now) -> None:
    # Unplanned: from court or hospital, or never planned (bail, release by order).
    unplanned = event.release_from in UNPLANNED_FROM or not was_planned(event)
    if plan is None:
        plan = open_plan(actor, patient, episode, trigger="release", now=now,
                         kind="emergency" if unplanned else "planned")
    elif unplanned:
        plan.kind = "emergency"
        if plan.status == "finalized":
            # Finalized for a planned release: the same-day notification (RL-16) is
            # still to do, so the plan is open again until it is recorded.
            plan.status, plan.finalized_at, plan.finalized_by_id = "draft", None, None
            audit.record(actor, "release_plan.reopen", entity="release_plan", entity_id=plan.id,
                         patient_id=patient.id, at=now, detail={"reason": "unplanned_release"})
    plan.release_on = local_date(event.occurred_at, plan)
    if not unplanned:
        return
    evaluation = Evaluation(plan, now)
    on_ost = "ost" in evaluation.orders
    treated = bool(evaluation.orders) or evaluation.subject.opioid_use
    spec = AlertSpec(
        # The sweep's rule table raises OST-R-03 for the prescriber; this is the
        # release officer's task: the emergency plan, today.
        rule_code="RL-16",
        severity="critical" if treated else "high", role="release_officer",
        programme="ost" if on_ost else None,
        message=(f"Unplanned release from {event.release_from}"
                 + (" (never scheduled)" if event.release_from not in UNPLANNED_FROM else "")
                 + ": emergency release plan opened. "
                 + ("Notify the community prescriber today with the last dose and time; "
                    "naloxone. " if on_ost else "")
                 + f"{len(evaluation.missing)} plan items are not done."),
        action="Complete the emergency release plan today.")
    raise_alert(spec, patient, dedup_key=f"release-unplanned:{episode.id}", now=now,
                cause_event=event)


def open_due_plans(*, now, window_days: int = WINDOW_DAYS) -> int:
    """The scheduler's job: open the plan of everyone in custody whose expected
    release is `window_days` away or sooner and who has none. Set-based: one query
    for who is due, one insert, the pre-fill for all of them at once."""
    horizon = (now + timedelta(days=window_days + 1)).date()
    rows = db.session.execute(
        select(Patient, CustodyEpisode)
        .join(CustodyEpisode, CustodyEpisode.patient_id == Patient.id)
        .outerjoin(ReleasePlan, ReleasePlan.episode_id == CustodyEpisode.id)
        .where(Patient.custody_status != "released", Patient.custody_status != "never_admitted",
               Patient.expected_release_on.is_not(None), Patient.expected_release_on <= horizon,
               CustodyEpisode.released_at.is_(None), ReleasePlan.id.is_(None))
        .options(selectinload(Patient.facility))
        .order_by(Patient.id, CustodyEpisode.admitted_at.desc(), CustodyEpisode.id.desc())).all()
    plans, seen = [], set()
    for patient, episode in rows:
        if patient.id in seen:  # only her latest open episode
            continue
        seen.add(patient.id)
        today = now.astimezone(_tz(patient)).date()
        if rules.due_to_open(patient.expected_release_on, today, window_days):
            plans.append(_new_plan(None, patient, episode, trigger="release_window", now=now))
    if plans:
        db.session.add_all(plans)
        db.session.flush()
        _opened(None, plans, now)
    return len(plans)


# --- reading ------------------------------------------------------------------------

def current_plan(patient: Patient) -> ReleasePlan | None:
    episode = current_episode(patient)
    return plan_for_episode(episode.id) if episode else None


def read_plan(actor, patient: Patient, *, now, purpose="release_plan.read") -> Evaluation:
    plan = current_plan(patient)
    if plan is None:
        raise NotFound("No release plan for this custody episode.", code="no_release_plan")
    audit.record(actor, purpose, entity="release_plan", entity_id=plan.id,
                 patient_id=patient.id, at=now)
    return Evaluation(plan, now)


# --- editing ------------------------------------------------------------------------

def update_plan(actor, patient: Patient, data: dict, *, now) -> Evaluation:
    """Apply a plan document (sections absent are left as they are), all or nothing.
    Editing a finalized plan returns it to draft: it must be finalized again."""
    plan = current_plan(patient)
    if plan is None:
        episode = current_episode(patient)
        if episode is None or episode.released_at is not None:
            raise Conflict("She is not in custody: there is no plan to open.",
                           code="not_in_custody")
        plan = open_plan(actor, patient, episode, trigger="manual", now=now)
    if data.get("version") is not None and data["version"] != plan.version:
        raise Conflict("The plan was changed by someone else; reload it.", code="stale_plan")
    errors: dict[str, list[str]] = {}
    checks = data.get("checks") or {}
    for key in checks:
        if key not in definition().check_keys:
            errors.setdefault(f"checks.{key}", []).append("Unknown check.")
    referrals = check_referrals(data.get("referrals"), patient, errors)
    social = check_social(data.get("social_needs"), errors)
    consents = check_consents(data.get("consents"), errors, plan_providers(plan, referrals, social))
    if errors:
        raise ValidationFailed(errors)
    if "circumstances" in data:
        plan.circumstances = {**(plan.circumstances or {}), **data["circumstances"]}
    if checks:
        plan.checks = {**(plan.checks or {}), **checks}
    if social:
        plan.social_needs = {**(plan.social_needs or {}), **social}
    _apply_referrals(plan, referrals)
    _apply_consents(actor, plan, consents, now)
    reopened = plan.status == "finalized"
    plan.status, plan.finalized_at, plan.finalized_by_id = "draft", None, None
    plan.updated_at = now
    try:
        db.session.flush()
    except StaleDataError:
        raise Conflict("The plan was changed by someone else; reload it.", code="stale_plan") from None
    audit.record(actor, "release_plan.update", entity="release_plan", entity_id=plan.id,
                 patient_id=patient.id, at=now,
                 detail={"sections": sorted(k for k in data if k != "version"), "reopened": reopened})
    return Evaluation(plan, now)


def _apply_referrals(plan, referrals) -> None:
    existing = {r.need: r for r in plan.referrals}
    for row, provider in referrals:
        referral = existing.get(row["need"])
        if referral is None:
            referral = ReleaseReferral(need=row["need"])
            plan.referrals.append(referral)
        referral.provider = provider
        for name in ("appointment_at", "supply_days", "note"):
            if name in row:
                setattr(referral, name, row[name])


def _apply_consents(actor, plan, consents, now) -> None:
    for provider, categories in consents:
        current = {c.category: c for c in plan.consents if c.provider_id == provider.id}
        for category, row in current.items():
            if category not in categories:
                plan.consents.remove(row)
        for category in categories:
            if category not in current:
                plan.consents.append(ReleaseConsent(provider=provider, category=category,
                                                    recorded_at=now,
                                                    recorded_by_id=getattr(actor, "id", None)))


def finalize_plan(actor, patient: Patient, *, now) -> Evaluation:
    evaluation = read_plan(actor, patient, now=now, purpose="release_plan.finalize_attempt")
    plan = evaluation.plan
    if evaluation.missing:
        names = [s.item.name for s in evaluation.missing]
        raise Conflict("The plan is not complete. Missing: " + "; ".join(names) + ".",
                       code="plan_incomplete",
                       fields={s.item.id: [f"{s.item.name}: {s.problem}."]
                               for s in evaluation.missing})
    if plan.status != "finalized":
        plan.status, plan.finalized_at, plan.finalized_by_id = "finalized", now, getattr(actor, "id", None)
        audit.record(actor, "release_plan.finalize", entity="release_plan", entity_id=plan.id,
                     patient_id=patient.id, at=now)
    return evaluation

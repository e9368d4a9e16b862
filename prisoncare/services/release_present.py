"""A release plan as the API and the pages show it (release officers see the
violence-support need's status, never the violence history)."""
from ..models.release import ReleasePlan
from ..rules import release as rules
from .release import CIRCUMSTANCES, Evaluation
from .providers import provider_dict
from .release_facts import definition
from .release_followup import follow_ups_of


# --- presenting ----------------------------------------------------------------------

# What release officers see of violence support: the need's status, never the history.
VIOLENCE_STATUS = {"referred": "referral_accepted", "arranged": "arranged", "declined": "declined",
                   "not_needed": "not_needed", "pending": "not_discussed"}


def violence_support_status(plan: ReleasePlan, confidential: bool = True) -> dict | None:
    """For women (or anyone known to need it): the plan's outcome, and whether it is
    known to be needed for readers of confidential data (clinical roles) only."""
    needed = bool((plan.circumstances or {}).get("violence_support_needed"))
    if plan.patient.sex != "female" and not (needed and confidential):
        return None
    outcome = ((plan.social_needs or {}).get("violence_support") or {}).get("outcome") or "pending"
    out = {"status": VIOLENCE_STATUS[outcome]}
    if confidential:
        out["needed"] = needed
    return out


def consents_by_provider(plan: ReleasePlan) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for consent in plan.consents:
        out.setdefault(consent.provider.code, set()).add(consent.category)
    return out


def plan_dict(e: Evaluation, user=None) -> dict:
    """The plan for `user` (None: the whole plan). Release officers (no confidential
    permission) see violence support as a social need with its status only, never
    "violence_support_needed" (violence history). Pregnancy and breastfeeding stay:
    the plan's antenatal and PMTCT items depend on them and the officer records them."""
    from ..authz import Permission, can
    plan = e.plan
    confidential = user is None or can(user, Permission.CONFIDENTIAL_READ)
    hidden = () if confidential else ("violence_support_needed",)
    return {
        "id": plan.id, "patient": plan.patient_id, "status": plan.status, "kind": plan.kind,
        "trigger": plan.trigger, "version": plan.version,
        "definition_version": plan.definition_version, "opened_at": plan.opened_at,
        "release_date": plan.release_on, "finalized_at": plan.finalized_at,
        "programmes": sorted(e.orders), "opioid_use": e.subject.opioid_use,
        "circumstances": {k: (plan.circumstances or {}).get(k) for k in CIRCUMSTANCES
                          if k not in hidden},
        "thresholds": {"appointment_within_days": e.thresholds.appointment_within_days,
                       "bridging_days": e.thresholds.bridging_days},
        "referrals": [{"need": r.need,
                       "provider": provider_dict(r.provider) if r.provider else None,
                       "appointment_at": r.appointment_at, "supply_days": r.supply_days,
                       "note": r.note} for r in plan.referrals],
        "checks": {k: bool((plan.checks or {}).get(k)) for k in definition().check_keys},
        "social_needs": {k: (plan.social_needs or {}).get(k) or {"outcome": "pending"}
                         for k in rules.SOCIAL_NEEDS},
        "consents": [{"provider": code, "categories": sorted(cats)}
                     for code, cats in sorted(consents_by_provider(plan).items())],
        "last_doses": list(e.last_doses.values()),
        "items": [{"id": s.item.id, "name": s.item.name, "section": s.item.section,
                   "rule_refs": list(s.item.rule_refs), "required": s.item.required,
                   "done": s.done, "problem": s.problem} for s in e.statuses],
        "missing": [s.item.name for s in e.missing],
        "follow_ups": follow_ups_of(plan),
        "violence_support": violence_support_status(plan, confidential),
    }

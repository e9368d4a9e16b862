"""What leaves the prison: the content of the patient copy, the referral letters
and the FHIR export, cut down to what she consented to share with each provider.

`shared_content(e, provider_code)` is the single filter: with no provider it is
the whole plan (her own copy, internal systems); with a provider, only that
provider's own referrals and social needs (and the medication of those
programmes), and of those only the categories she consented to for that
provider. Nothing is shared with a provider she gave no consent for.
"""
from .. import audit
from ..errors import Conflict, NotFound
from ..rules import release as rules
from .providers import provider_by_code, provider_dict
from .release import CIRCUMSTANCES, Evaluation
from .release_present import consents_by_provider

ALL_CATEGORIES = frozenset(rules.CONSENT_CATEGORIES)
CIRCUMSTANCE_CATEGORY = {"pregnant": "srh", "breastfeeding": "srh", "children_outside": "srh",
                         "child_with_her": "srh", "violence_support_needed": "violence",
                         "opioid_use": "ost"}
# A circumstance goes to a provider only when one of its own items needs it.
CIRCUMSTANCE_FOR = {"pregnant": {"antenatal", "paediatric", "art"},
                    "breastfeeding": {"antenatal", "paediatric", "art"},
                    "children_outside": {"child_custody"}, "child_with_her": {"paediatric"},
                    "violence_support_needed": {"violence_support"},
                    "opioid_use": {"ost", "women_harm_reduction"}}


def _own_items(plan, recipient) -> tuple[list, dict]:
    """The recipient's own referrals and social needs (all of them for her own copy)."""
    if recipient is None:
        return list(plan.referrals), dict(plan.social_needs or {})
    return ([r for r in plan.referrals if r.provider is not None and r.provider.code == recipient.code],
            {k: v for k, v in (plan.social_needs or {}).items()
             if v.get("provider") == recipient.code})


def shared_content(e: Evaluation, provider_code: str | None = None) -> dict:
    plan = e.plan
    if provider_code is None:
        allowed, recipient = ALL_CATEGORIES, None
    else:
        recipient = provider_by_code(provider_code)
        if recipient is None:
            raise NotFound(f"No provider {provider_code}.")
        allowed = frozenset(consents_by_provider(plan).get(recipient.code, ()))
        if not allowed:
            raise Conflict(f"She has not consented to share anything with {recipient.name}.",
                           code="no_consent")
    own_referrals, own_social = _own_items(plan, recipient)
    referrals = [r for r in own_referrals if rules.category_for(r.need) in allowed]
    social = {k: v for k, v in own_social.items() if rules.category_for(k, social=True) in allowed}
    # Medication only for the programmes referred to this recipient.
    programmes = {r.need for r in referrals} if recipient is not None else set(e.orders)
    doses = [d for p, d in e.last_doses.items()
             if p in programmes and rules.category_for(p) in allowed]
    medications = [{"programme": p, "drug": o.drug, "dose": float(o.dose), "unit": o.unit,
                    "last_dose": e.last_doses.get(p)}
                   for p, o in sorted(e.orders.items())
                   if p in programmes and rules.category_for(p) in allowed]
    items = {r.need for r in referrals} | set(social)
    circumstances = {k: v for k, v in (plan.circumstances or {}).items()
                     if k in CIRCUMSTANCES and CIRCUMSTANCE_CATEGORY.get(k, "general") in allowed
                     and (recipient is None or CIRCUMSTANCE_FOR.get(k, set()) & items)}
    consents = consents_by_provider(plan)
    if recipient is not None:
        consents = {recipient.code: consents.get(recipient.code, set())}
    naloxone = None
    if {"naloxone_issued", "naloxone_training"} & {s.item.id for s in e.statuses} and (
            recipient is None or ("ost" in allowed and ("ost" in items or "women_harm_reduction" in items))):
        naloxone = {"issued": bool((plan.checks or {}).get("naloxone_issued")),
                    "training": bool((plan.checks or {}).get("naloxone_training"))}
    return {"plan": plan, "patient": plan.patient, "recipient": recipient,
            "categories": sorted(allowed), "referrals": referrals, "last_doses": doses,
            "medications": medications, "social_needs": social, "circumstances": circumstances,
            "consents": consents, "naloxone": naloxone,
            "missing": [s.item.name for s in e.missing],
            "statuses": e.statuses}


def referral_recipients(e: Evaluation) -> list[dict]:
    """Providers of the plan with at least one consent: the letters that can be printed."""
    consents = consents_by_provider(e.plan)
    codes = dict.fromkeys([r.provider.code for r in e.plan.referrals if r.provider]
                          + [v.get("provider") for v in (e.plan.social_needs or {}).values()
                             if v.get("provider")])
    out = []
    for code in codes:
        provider = provider_by_code(code)
        if provider is not None:
            out.append({**provider_dict(provider), "categories": sorted(consents.get(code, ()))})
    return out


def log_disclosure(actor, e: Evaluation, *, what: str, provider: str | None, now) -> None:
    audit.record(actor, f"release_plan.{what}", entity="release_plan", entity_id=e.plan.id,
                 patient_id=e.plan.patient_id, at=now, detail={"provider": provider})


# --- documents ----------------------------------------------------------------------

NEED_TEXT = {"ost": "Opioid substitution therapy", "art": "HIV care (ART)", "tb": "TB treatment (DOT)",
             "hcv": "Hepatitis C treatment", "antenatal": "Antenatal / postnatal care",
             "paediatric": "Child health follow-up"}


def patient_copy_html(e: Evaluation) -> str:
    """Her copy, in her language: everything in the plan is hers to read."""
    from flask import render_template
    from flask_babel import force_locale

    from ..i18n import patient_locale
    content = shared_content(e, None)
    lang = patient_locale(e.plan.patient)
    social = {}
    for key, need in content["social_needs"].items():
        provider = provider_by_code(need.get("provider"))
        social[key] = {**need, "provider_name": provider.name if provider else None}
    with force_locale(lang):
        return render_template("release/patient_copy.html", lang=lang, plan=e.plan,
                               patient=e.plan.patient, referrals=content["referrals"],
                               last_doses=content["last_doses"], opioid_use=e.subject.opioid_use,
                               social=social)


def referral_letter_html(e: Evaluation, provider_code: str, *, today) -> str:
    from flask import render_template
    content = shared_content(e, provider_code)
    return render_template("release/referral_letter.html", need_text=NEED_TEXT, today=today,
                           facility=e.plan.facility, **content)

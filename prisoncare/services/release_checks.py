"""Checks of a release-plan edit, before anything is written: every field error
at once, in the contract's envelope (services.release.update_plan raises them)."""
from ..rules import release as rules
from .providers import provider_by_code

# The directory service a provider must offer to be chosen for a need.
NEED_SERVICES = {"ost": ("ost",), "art": ("art",), "tb": ("tb",), "hcv": ("hcv",),
                 "antenatal": ("antenatal", "srh"), "paediatric": ("paediatric",)}


def check_referrals(rows, patient, errors) -> list:
    out = []
    for n, row in enumerate(rows or []):
        where = f"referrals.{n}"
        if row["need"] not in rules.NEEDS:
            errors.setdefault(f"{where}.need", []).append(
                f"Must be one of {', '.join(rules.NEEDS)}.")
            continue
        provider = None
        if row.get("provider"):
            provider = provider_by_code(row["provider"])
            if provider is None or not provider.active:
                errors.setdefault(f"{where}.provider", []).append(
                    f"No active provider {row['provider']} in the directory.")
            elif not set(NEED_SERVICES[row["need"]]) & set(provider.services or []):
                errors.setdefault(f"{where}.provider", []).append(
                    f"{provider.name} does not offer {row['need']}.")
            elif provider.women_only and patient.sex != "female":
                errors.setdefault(f"{where}.provider", []).append(f"{provider.name} serves women only.")
        if row.get("supply_days") is not None and row["supply_days"] < 0:
            errors.setdefault(f"{where}.supply_days", []).append("Cannot be negative.")
        out.append((row, provider))
    needs = [row["need"] for row in rows or []]
    for need in {n for n in needs if needs.count(n) > 1}:
        errors.setdefault("referrals", []).append(f"{need} is listed twice.")
    return out


def check_social(social, errors) -> dict:
    out = {}
    for key, value in (social or {}).items():
        if key not in rules.SOCIAL_NEEDS:
            errors.setdefault(f"social_needs.{key}", []).append("Unknown social need.")
            continue
        provider = provider_by_code(value.get("provider")) if value.get("provider") else None
        if value.get("provider") and provider is None:
            errors.setdefault(f"social_needs.{key}.provider", []).append(
                f"No provider {value['provider']} in the directory.")
        if value.get("outcome") not in rules.SOCIAL_OUTCOMES:
            errors.setdefault(f"social_needs.{key}.outcome", []).append(
                f"Choose one of {', '.join(rules.SOCIAL_OUTCOMES)}.")
            continue
        out[key] = {"outcome": value["outcome"], "provider": provider.code if provider else None,
                    "note": value.get("note")}
    return out


def plan_providers(plan, referrals, social) -> set[str]:
    """The provider codes the plan will hold once this edit is applied."""
    incoming = {row["need"]: provider for row, provider in referrals}
    codes = {r.provider.code for r in plan.referrals
             if r.need not in incoming and r.provider is not None}
    codes |= {p.code for p in incoming.values() if p is not None}
    merged = {**(plan.social_needs or {}), **social}
    return codes | {v.get("provider") for v in merged.values() if v.get("provider")}


def check_consents(rows, errors, plan_providers: set[str]) -> list:
    out = []
    for n, row in enumerate(rows or []):
        provider = provider_by_code(row["provider"])
        if provider is None:
            errors.setdefault(f"consents.{n}.provider", []).append(
                f"No provider {row['provider']} in the directory.")
            continue
        unknown = sorted(set(row["categories"]) - set(rules.CONSENT_CATEGORIES))
        if unknown:
            errors.setdefault(f"consents.{n}.categories", []).append(
                f"Unknown categories: {', '.join(unknown)}.")
        if provider.code not in plan_providers:
            errors.setdefault(f"consents.{n}.provider", []).append(
                f"{provider.name} has no referral or support in this plan: "
                "nothing would be shared with it.")
        if unknown or provider.code not in plan_providers:
            continue
        out.append((provider, sorted(set(row["categories"]))))
    return out

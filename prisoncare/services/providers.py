"""The directory of community providers, kept by admins; officers choose from it."""
from sqlalchemy import func, or_, select

from .. import audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models.release import CommunityProvider

SERVICES = ("ost", "art", "hcv", "tb", "srh", "antenatal", "paediatric", "harm_reduction",
            "naloxone", "housing", "id_documents", "income", "health_insurance", "legal_aid",
            "child_custody", "violence_support", "peer_support", "mental_health")
FIELDS = ("name", "services", "address", "city", "phone", "hours", "women_only", "active")


def provider_by_code(code: str | None) -> CommunityProvider | None:
    if not code:
        return None
    return db.session.scalar(select(CommunityProvider).where(CommunityProvider.code == code))


def get_provider(code: str) -> CommunityProvider:
    provider = provider_by_code(code)
    if provider is None:
        raise NotFound(f"No provider {code}.")
    return provider


def list_providers(*, service=None, women_only=None, q=None, include_inactive=False,
                   limit=100, offset=0) -> tuple[list[CommunityProvider], int]:
    query = select(CommunityProvider)
    if not include_inactive:
        query = query.where(CommunityProvider.active.is_(True))
    if women_only is not None:
        query = query.where(CommunityProvider.women_only.is_(women_only))
    if q:
        like = f"%{q.lower()}%"
        query = query.where(or_(func.lower(CommunityProvider.name).like(like),
                                func.lower(CommunityProvider.city).like(like),
                                func.lower(CommunityProvider.code).like(like)))
    rows = db.session.scalars(query.order_by(CommunityProvider.name, CommunityProvider.id)).all()
    if service:  # a JSON list: filtered here, the directory is small
        rows = [p for p in rows if service in (p.services or [])]
    return rows[offset:offset + limit], len(rows)


def _check(data: dict, *, creating: bool) -> None:
    errors: dict[str, list[str]] = {}
    if creating and not (data.get("code") or "").strip():
        errors["code"] = ["Required."]
    if ("name" in data or creating) and not (data.get("name") or "").strip():
        errors["name"] = ["Required."]
    if "services" in data or creating:
        services = data.get("services") or []
        if not services:
            errors["services"] = ["Choose at least one service."]
        unknown = [s for s in services if s not in SERVICES]
        if unknown:
            errors.setdefault("services", []).append(f"Unknown: {', '.join(unknown)}.")
    if errors:
        raise ValidationFailed(errors)


def create_provider(actor, data: dict, *, now) -> CommunityProvider:
    _check(data, creating=True)
    code = data["code"].strip()
    if provider_by_code(code) is not None:
        raise Conflict(f"A provider {code} exists.", code="duplicate_provider",
                       fields={"code": ["Already in the directory."]})
    provider = CommunityProvider(code=code, created_at=now, updated_at=now,
                                 **{k: data[k] for k in FIELDS if k in data})
    provider.services = list(dict.fromkeys(provider.services))
    db.session.add(provider)
    db.session.flush()
    audit.record(actor, "provider.create", entity="community_provider", entity_id=provider.id,
                 at=now, detail={"code": code})
    return provider


def update_provider(actor, provider: CommunityProvider, data: dict, *, now) -> CommunityProvider:
    _check(data, creating=False)
    changed = sorted(k for k in FIELDS if k in data and getattr(provider, k) != data[k])
    for name in changed:
        setattr(provider, name, data[name])
    provider.updated_at = now
    audit.record(actor, "provider.update", entity="community_provider", entity_id=provider.id,
                 at=now, detail={"changed": changed})
    return provider


def provider_dict(p: CommunityProvider) -> dict:
    return {"code": p.code, "name": p.name, "services": list(p.services or []),
            "address": p.address, "city": p.city, "phone": p.phone, "hours": p.hours,
            "women_only": p.women_only, "active": p.active}

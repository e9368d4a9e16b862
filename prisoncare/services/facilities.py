"""Facilities and their wards."""
from functools import lru_cache
from zoneinfo import available_timezones

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .. import audit
from ..authz import can_see_facility, visible_facility_ids
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Facility, Ward


def visible_facilities(user, *, with_wards: bool = False) -> list[Facility]:
    """The facilities `user` may see, by code. `with_wards` (the switcher, on every
    page) loads their wards in the same statement for staff of a few facilities; for
    staff of all facilities only the chosen one's wards are read, when asked."""
    ids = visible_facility_ids(user)
    query = _facilities_statement(None if ids is None else frozenset(ids), with_wards)
    return db.session.scalars(query).unique().all()


@lru_cache(maxsize=256)
def _facilities_statement(ids: frozenset | None, with_wards: bool):
    """Built once per set of facilities (every page asks: building it and its cache
    key cost about half a millisecond)."""
    query = select(Facility).order_by(Facility.code)
    if ids is not None:
        query = query.where(Facility.id.in_(sorted(ids)))
        if with_wards:
            query = query.options(joinedload(Facility.wards))
    return query


def create_facility(actor, *, code, name, kind, population, timezone, wards, now) -> Facility:
    errors = {}
    if timezone not in available_timezones():
        errors["timezone"] = [f"{timezone!r} is not an IANA time zone (e.g. Europe/Kyiv)."]
    codes = [w["code"] for w in wards]
    if len(codes) != len(set(codes)):
        errors["wards"] = ["Ward codes must be unique within the facility."]
    if errors:
        raise ValidationFailed(errors)
    if db.session.scalar(select(Facility.id).where(Facility.code == code)):
        raise Conflict(f"A facility with code {code} exists.", code="duplicate_facility_code",
                       fields={"code": ["Already used."]})
    facility = Facility(code=code, name=name, kind=kind, population=population,
                        timezone=timezone, wards=[Ward(code=w["code"], name=w["name"]) for w in wards])
    db.session.add(facility)
    db.session.flush()
    audit.record(actor, "facility.create", entity="facility", entity_id=facility.id, at=now,
                 detail={"code": code})
    return facility


def visible_facility(user, code: str) -> Facility:
    """The facility `code` if the user may see it; 404 otherwise (whether or not it exists)."""
    facility = facility_by_code(code)
    if facility is None or not can_see_facility(user, facility.id):
        raise NotFound(f"No facility {code}.")
    return facility


def facility_by_code(code: str) -> Facility | None:
    return db.session.scalar(select(Facility).where(Facility.code == code))

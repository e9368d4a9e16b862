"""Small helpers shared by the SRH services: facility-local days, ISO output,
collected field errors, and `Woman`, the row a woman in care is read as for lists
and the sweep."""
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ...errors import ValidationFailed
from ...extensions import db

NOT_ENABLED = "srh_not_enabled"
BIRTH_OUTCOMES = ("live_birth", "stillbirth")


@dataclass(frozen=True, slots=True)
class Woman:
    """A woman in care as the SRH worklist and the srh-alerts sweep read her: a row
    (services.srh.due.women_in_care), not an ORM Patient with its relationships.
    Anything here that takes a patient takes a Woman as well."""
    id: int
    facility_id: int | None
    date_of_birth: date
    timezone: str                    # her facility's ("UTC" without one)
    prison_number: str
    name: str
    ward_code: str | None


@lru_cache(maxsize=None)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def tz_name(patient) -> str:
    if isinstance(patient, Woman):
        return patient.timezone
    return patient.facility.timezone if patient.facility else "UTC"


def tz_of(patient) -> ZoneInfo:
    return zone(tz_name(patient))


def local_today(patient, now) -> date:
    return now.astimezone(tz_of(patient)).date()


@lru_cache(maxsize=None)
def midnight_in(name: str):
    """day -> the UTC instant of that day's local midnight in time zone `name`."""
    tz = zone(name)
    return lambda day: datetime.combine(day, time(0), tz).astimezone(timezone.utc)


def local_midnight(patient):
    return midnight_in(tz_name(patient))


def iso(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _err(errors, name, message):
    errors.setdefault(name, []).append(message)


def _raise(errors):
    if errors:
        raise ValidationFailed(errors)


def _entry_base(row) -> dict:
    return {"id": row.id, "recorded_at": iso(row.recorded_at),
            "recorded_by": _username(row.recorded_by_id)}



def _username(user_id):
    if user_id is None:
        return None
    from ...models import StaffUser
    user = db.session.get(StaffUser, user_id)
    return user.username if user else None


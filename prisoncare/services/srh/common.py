"""Small helpers shared by the SRH services: facility-local days, ISO output,
collected field errors."""
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from ...errors import ValidationFailed
from ...extensions import db

NOT_ENABLED = "srh_not_enabled"
BIRTH_OUTCOMES = ("live_birth", "stillbirth")


def tz_of(patient) -> ZoneInfo:
    return ZoneInfo(patient.facility.timezone if patient.facility else "UTC")


def local_today(patient, now) -> date:
    return now.astimezone(tz_of(patient)).date()


def local_midnight(patient):
    tz = tz_of(patient)
    return lambda day: datetime.combine(day, time(0), tz).astimezone(timezone.utc)


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


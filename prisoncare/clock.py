"""The only place that reads the time.

Everything asks `now()` for an aware UTC instant. Tests and `flask sweep --now`
set the clock with `frozen(instant)`.
"""
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

_frozen: datetime | None = None


def now() -> datetime:
    return _frozen if _frozen is not None else datetime.now(timezone.utc)


def set_now(instant: datetime | None) -> None:
    """Freeze the clock at `instant` (aware), or unfreeze it with None."""
    global _frozen
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock needs an aware instant")
    _frozen = instant.astimezone(timezone.utc) if instant else None


@contextmanager
def frozen(instant: datetime):
    previous = _frozen
    set_now(instant)
    try:
        yield instant
    finally:
        set_now(previous)


def local_today(tz: str, at: datetime | None = None) -> date:
    return (at or now()).astimezone(ZoneInfo(tz)).date()


def local_day_start(day: date, tz: str) -> datetime:
    """The UTC instant at which local `day` begins in `tz`."""
    return datetime.combine(day, time(0), ZoneInfo(tz)).astimezone(timezone.utc)


def local_day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    return local_day_start(day, tz), local_day_start(day + timedelta(days=1), tz)

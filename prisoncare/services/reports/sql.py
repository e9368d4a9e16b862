"""The few expressions SQLite and PostgreSQL spell differently, for the report
queries: a facility-local day of an instant, day arithmetic, greatest/least.

SQLite has no time zones: `pc_local_day(instant, zone)` is registered on the
connection (a Python function, so it uses the same zoneinfo as the rest of the
application)."""
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, case, cast, func, literal

from ...extensions import db


@lru_cache(maxsize=64)
def _zone(name):
    return ZoneInfo(name or "UTC")


def _local_day(stamp, zone):
    if stamp is None:
        return None
    at = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)
    return at.astimezone(_zone(zone)).date().isoformat()


class Dialect:
    def __init__(self, session=None):
        session = session or db.session
        self.name = session.get_bind().dialect.name
        if self.name == "sqlite":
            raw = session.connection().connection.driver_connection
            raw.create_function("pc_local_day", 2, _local_day, deterministic=True)

    def local_day(self, instant, zone):
        """The calendar day of `instant` in the time zone named by `zone`."""
        if self.name == "sqlite":
            return func.pc_local_day(instant, zone, type_=Date)
        return cast(func.timezone(zone, instant), Date)

    def day(self, value: date):
        return literal(value, Date)

    def add_days(self, day, n: int):
        if self.name == "sqlite":
            return func.date(day, f"{n:+d} days", type_=Date)
        return cast(day + timedelta(days=n), Date)

    def days_inclusive(self, first, last):
        """Days from `first` to `last`, both counted."""
        if self.name == "sqlite":
            return cast(func.julianday(last) - func.julianday(first), Integer) + 1
        return cast(last - first, Integer) + 1

    def greatest(self, *values):
        return (func.max if self.name == "sqlite" else func.greatest)(*values, type_=Date)

    def least(self, *values):
        return (func.min if self.name == "sqlite" else func.least)(*values, type_=Date)

    def month(self, day):
        """`YYYY-MM` of a date column."""
        if self.name == "sqlite":
            return func.strftime("%Y-%m", day)
        return func.to_char(day, "YYYY-MM")


def age_band_expr(born, on: date, bands):
    """SQL CASE giving the age band label of someone born `born` on the day `on`."""
    whens = []
    for low, _high, label in sorted(bands, key=lambda b: -b[0]):
        whens.append((born <= _years_before(on, low), label))
    return case(*whens, else_="unknown")


def _years_before(on: date, years: int) -> date:
    try:
        return on.replace(year=on.year - years)
    except ValueError:          # 29 February
        return on.replace(year=on.year - years, day=28)

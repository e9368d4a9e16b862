"""Instants written into alert texts in the facility's own time: the nurse reading
"leaving 07:00" at the hatch must not have to convert from UTC."""
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ..models import Facility


class LocalStamp:
    """stamp(instant, facility_id) -> "2026-03-10 07:00 Kyiv time" (UTC when unknown).
    Reads the facilities' time zones once (one query), for a whole sweep job."""

    def __init__(self, session):
        self.zones = {fid: ZoneInfo(tz) for fid, tz in
                      session.execute(select(Facility.id, Facility.timezone)).all()}

    def __call__(self, instant, facility_id) -> str:
        zone = self.zones.get(facility_id)
        if zone is None:
            return f"{instant:%Y-%m-%d %H:%M} UTC"
        place = str(zone).rsplit("/", 1)[-1].replace("_", " ")
        return f"{instant.astimezone(zone):%Y-%m-%d %H:%M} {place} time"

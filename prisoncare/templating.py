"""Template globals and filters: authorization checks and local times."""
from zoneinfo import ZoneInfo

from . import clock
from .authz import Permission, can


def localtime(instant, facility=None, fmt="%Y-%m-%d %H:%M"):
    """An instant in the facility's own time (UTC when none is known)."""
    if instant is None:
        return ""
    tz = ZoneInfo(facility.timezone) if facility is not None else ZoneInfo("UTC")
    return instant.astimezone(tz).strftime(fmt) + ("" if facility is not None else " UTC")


def facility_option(f):
    return (f.code, f"{f.code} · {f.name}")


def event_option(event_type):
    return (event_type, event_type.replace("_", " "))


def init_templating(app):
    app.jinja_env.globals.update(can=can, Permission=Permission, now=clock.now)
    app.jinja_env.filters.update(localtime=localtime, facility_option=facility_option,
                                 event_option=event_option)

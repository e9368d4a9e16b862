"""Reading HTML forms through the same marshmallow schemas as the API, so a
page and the API accept and refuse exactly the same things."""
from datetime import datetime
from zoneinfo import ZoneInfo

from marshmallow import ValidationError

from ..error_pages import flatten


def load_form(schema, form, *, local_tz: str | None = None, instant_fields=()):
    """Return (data, errors). Empty inputs are left out; `datetime-local` inputs
    (no offset) are read in the facility's time zone."""
    raw = {k: v.strip() for k, v in form.items() if k != "csrf_token" and v.strip() != ""}
    tz = ZoneInfo(local_tz or "UTC")
    for name in instant_fields:
        if name in raw:
            try:
                value = datetime.fromisoformat(raw[name])
            except ValueError:
                continue  # the schema reports it
            if value.tzinfo is None:
                raw[name] = value.replace(tzinfo=tz).isoformat()
    try:
        return schema.load(raw), {}
    except ValidationError as err:
        return None, flatten(err.messages)

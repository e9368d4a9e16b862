"""The access log page for auditors: who read or changed what, when, from where."""
from datetime import datetime, time, timedelta, timezone

from flask import Blueprint, render_template, request
from flask_login import current_user

from .. import clock
from ..authz import Permission, require
from ..extensions import db
from ..services import audit_log

bp = Blueprint("audit", __name__)

PAGE_SIZE = 100


def _day(name):
    """A `YYYY-MM-DD` filter as the start of that UTC day, or None."""
    try:
        return datetime.combine(datetime.strptime(request.args[name], "%Y-%m-%d").date(), time(0),
                                timezone.utc)
    except (KeyError, ValueError):
        return None


@bp.route("/audit")
@require(Permission.AUDIT_READ)
def index():
    start, end = _day("from"), _day("to")
    offset = max(request.args.get("offset", 0, type=int), 0)
    rows, total = audit_log.search(
        current_user, patient_id=request.args.get("patient", type=int),
        username=request.args.get("user") or None, start=start,
        end=end + timedelta(days=1) if end else None, limit=PAGE_SIZE, offset=offset,
        now=clock.now())
    page = render_template("audit/index.html", rows=rows, total=total, offset=offset,
                           page_size=PAGE_SIZE, args=request.args)
    db.session.commit()
    return page

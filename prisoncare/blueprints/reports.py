"""The auditor's dashboard (issue 8): the interruption report and the indicators
as server-drawn SVG charts, each with its table and CSV link; the episodes behind
a figure and one episode's cause chain. Same service calls as the API."""
from datetime import date

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, require
from ..errors import ValidationFailed
from ..extensions import db
from ..rules.reports import REPORT_GROUPS
from ..services import reports as service
from ..services.facilities import visible_facilities
from ..services.reports.cause_chain import cause_chain
from ..services.reports.svg import bar_chart

bp = Blueprint("reports", __name__, url_prefix="/reports")
PAGE_SIZE = 100


def _day(name):
    try:
        return date.fromisoformat(request.args[name])
    except (KeyError, ValueError):
        return None


def _args():
    args = {"from_": _day("from"), "to": _day("to"),
            "facility": request.args.get("facility") or None,
            "group_by": ",".join(request.args.getlist("group_by")) or "sex"}
    for name in service.FILTERS:
        if request.args.get(name):
            args[name] = request.args[name]
    if request.args.get("figure") in ("interruptions", "missed_doses"):
        args["figure"] = request.args["figure"]
    return args


def _charts(report, indicators):
    groups = report["group_by"]
    label = (lambda r: " · ".join(str(r[g]) for g in groups)) if groups else (lambda r: "all")
    if "cause" in groups:     # no rate per cause: every cause shares the person-days
        rate = bar_chart("Interruptions", [(label(r), r["interruptions"]) for r in report["items"]])
    else:
        rate = bar_chart("Interruptions per 100 person-days",
                         [(label(r), r["rate_per_100_person_days"]) for r in report["items"]])
    out = {}
    for item in indicators["items"]:
        bars = [(" · ".join(str(r[g]) for g in indicators["group_by"]), r["value"])
                for r in item["rows"]] + [("all", item["total"]["value"])]
        percent = item["unit"] == "percent"
        bands = (item["bands"]["low_below"], item["bands"]["high_above"]) if item["bands"] else None
        out[item["id"]] = bar_chart(item["name"], bars, unit=" %" if percent else "",
                                    scale_max=100 if percent else None, bands=bands)
    return rate, out


@bp.route("")
@require(Permission.REPORT_READ)
def dashboard():
    now = clock.now()
    args = _args()
    try:
        report = service.read_interruptions(current_user, args, now=now)
        indicators = service.read_indicators(
            current_user, {**args, "group_by": "facility" if "facility" in args["group_by"] else ""},
            now=now)
    except ValidationFailed as failed:
        db.session.rollback()
        page = render_template("reports/dashboard.html", errors=failed.fields, report=None,
                               indicators=None, args=request.args, groups=REPORT_GROUPS,
                               chosen=args["group_by"].split(","),
                               facilities=visible_facilities(current_user))
        return page, 422
    rate_chart, indicator_charts = _charts(report, indicators)
    page = render_template("reports/dashboard.html", errors={}, report=report,
                           indicators=indicators, rate_chart=rate_chart,
                           indicator_charts=indicator_charts, args=request.args,
                           groups=REPORT_GROUPS, chosen=report["group_by"],
                           facilities=visible_facilities(current_user))
    db.session.commit()
    return page


@bp.route("/episodes")
@require(Permission.REPORT_READ)
def episodes():
    offset = max(request.args.get("offset", 0, type=int), 0)
    rows, total = service.read_episodes(current_user, _args(), limit=PAGE_SIZE, offset=offset,
                                        now=clock.now())
    back = {k: v for k, v in request.args.items() if k in ("from", "to", "facility")}
    csv_args = {k: v for k, v in request.args.items() if k != "offset"}
    page = render_template("reports/episodes.html", rows=rows, total=total, offset=offset,
                           page_size=PAGE_SIZE, args=request.args, back=back,
                           csv_url=url_for("api_reports.episodes", format="csv", **csv_args))
    db.session.commit()
    return page


@bp.route("/episodes/<int:episode_id>")
@require(Permission.REPORT_READ)
def episode(episode_id):
    chain = cause_chain(current_user, episode_id, now=clock.now())
    page = render_template("reports/episode.html", chain=chain)
    db.session.commit()
    return page

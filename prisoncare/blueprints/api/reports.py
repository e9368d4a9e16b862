"""Auditor reports (issue 8): interruptions, their episodes and cause chains, and
the indicators. JSON, or CSV with `Accept: text/csv` or `?format=csv`."""
from flask import Response, request
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...schemas.common import page_of
from ...schemas.reports import (CauseChainSchema, EpisodeArgs, EpisodeRowSchema, IndicatorArgs,
                                IndicatorReportSchema, InterruptionReportSchema, ReportArgs)
from ...services import reports as service
from ...services.reports import export
from ...services.reports.cause_chain import cause_chain
from .docs import errors

blp = Blueprint("api_reports", __name__, description="Reports for auditors (issue 8).")

EpisodePage = page_of(EpisodeRowSchema, "ReportEpisodePage")


def wants_csv(args) -> bool:
    if args.get("format"):
        return args["format"] == "csv"
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"


def csv_response(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}.csv"'})


@blp.route("/reports/interruptions", methods=["GET"])
@require(Permission.REPORT_READ)
@blp.arguments(ReportArgs, location="query")
@blp.response(200, InterruptionReportSchema)
@errors(blp, 401, 403, 404, 422)
def interruptions(args):
    """Interruptions, missed doses, person-days on treatment and the rate per 100
    person-days, grouped (definitions in the README, "Interruption report")."""
    report = service.read_interruptions(current_user, args, now=clock.now())
    db.session.commit()
    if wants_csv(args):
        return csv_response(export.interruptions_csv(report), "interruptions")
    return report


@blp.route("/reports/interruptions/episodes", methods=["GET"])
@require(Permission.REPORT_READ)
@blp.arguments(EpisodeArgs, location="query")
@blp.response(200, EpisodePage)
@errors(blp, 401, 403, 404, 422)
def episodes(args):
    """The episodes behind one figure of the report: the same period and facility,
    and one value for any of the groups; `figure=missed_doses` for the missed
    doses' episodes. CSV (every row, unpaged) with `format=csv` or Accept."""
    as_csv = wants_csv(args)
    rows, total = service.read_episodes(current_user, args,
                                        limit=None if as_csv else args["limit"],
                                        offset=0 if as_csv else args["offset"], now=clock.now())
    db.session.commit()
    if as_csv:
        return csv_response(export.episodes_csv(rows), "episodes")
    return {"items": rows, "total": total}


@blp.route("/reports/interruptions/episodes/<int:episode_id>", methods=["GET"])
@require(Permission.REPORT_READ)
@blp.response(200, CauseChainSchema)
@errors(blp, 401, 403, 404)
def episode_chain(episode_id):
    """One episode's cause chain: custody event, doses, alerts, who acted and when."""
    chain = cause_chain(current_user, episode_id, now=clock.now())
    db.session.commit()
    return chain


@blp.route("/reports/indicators", methods=["GET"])
@require(Permission.REPORT_READ)
@blp.arguments(IndicatorArgs, location="query")
@blp.response(200, IndicatorReportSchema)
@errors(blp, 401, 403, 404, 422)
def indicators(args):
    """Every indicator with its definition, by sex (and facility), with the
    technical guide's low / medium / high level where it gives one."""
    report = service.read_indicators(current_user, args, now=clock.now())
    db.session.commit()
    if wants_csv(args):
        return csv_response(export.indicators_csv(report, only=args.get("indicator")), "indicators")
    return report

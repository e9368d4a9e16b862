"""Orders, the MAR and the pill-pass pages (issue 4).

The pill pass works with JavaScript off (one form around the table, each row's
Record button posts that row, redirect back to the row); with it,
static/pillpass.js posts the row to the JSON API and updates it in place. Both go
through the same services.
"""
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import clock
from ..authz import CLINICAL_ROLES, Permission, can, require
from ..errors import DomainError, NotFound, ValidationFailed
from ..extensions import db
from ..panels import register_panel
from ..rules import schedule as schedule_rules
from ..schemas.medication import (AdministrationCreateSchema, OrderCreateSchema,
                                  ReviewCreateSchema)
from ..services import administration, doses, orders, reviews
from ..services import pass_alerts
from ..services import pill_pass as pill_pass_rows
from ..services.patients import read_patient
from .api.mar import late_limit
from .auth import safe_next
from .forms import load_form
from .home import current_place
from .pill_pass_markup import row_form, rows_markup

try:   # the SRH helper's set-based gestation (issue 6); absent before that branch is merged
    from ..services.srh.gestation import gestation_by_patient
except ImportError:  # pragma: no cover - depends on the merge order
    gestation_by_patient = None

bp = Blueprint("mar", __name__, url_prefix="/mar")



def _day_arg(tz) -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return schedule_rules.local_day(clock.now(), tz)


@bp.route("/pill-pass")
@require(Permission.MAR_READ)
def pill_pass():
    facilities, facility, ward = current_place()
    if facility is None:
        return render_template("mar/pill_pass.html", facilities=facilities, facility=None,
                               ward=None, rows=[], rounds=[])
    day = _day_arg(facility.timezone)
    round_code = request.args.get("round") or ""
    times, errs = schedule_rules.parse_times([round_code]) if round_code else ([], {})
    round_at = (schedule_rules.local_instant(day, times[0], facility.timezone)
                if times and not errs else None)
    ward_id = ward.id if ward else None
    rows = pill_pass_rows.ward_rows(facility, ward_id, day, round_at=round_at)
    rounds = pill_pass_rows.ward_rounds(facility, ward_id, day)
    # Only a ward-day without any dose asks why: the scheduler makes them ahead.
    gap = not rounds and pill_pass_rows.scheduler_gap(facility, ward_id)
    find = (request.args.get("find") or "").strip()
    if find:
        hit = next((r for r in rows if r.prison_number.lower() == find.lower()), None)
        if hit is not None:
            return redirect(_back_url(day, round_code) + f"#dose-{hit.id}")
        flash(f"No dose for prison number {find} on this list.", "error")
    may_record = can(current_user, Permission.MAR_RECORD)
    alerts = None
    if rows and _sees_hatch_alerts(current_user):
        alerts = pass_alerts.ward_alerts(current_user, facility, ward_id, day, round_at=round_at)
    if rows and gestation_by_patient is not None and can(current_user,
                                                          Permission.CONFIDENTIAL_READ):
        _add_gestation(rows, day)
    pill_pass_rows.log_ward_read(current_user, facility, ward.code if ward else None, day,
                                 round_code=round_code if round_at else None, doses=len(rows),
                                 now=clock.now(), via="pill_pass")
    urls = _row_urls()
    table = rows_markup(rows, urls, show_ward=ward is None, may_record=may_record,
                        witness=current_user.username, alerts=alerts)
    html = render_template(
        "mar/pill_pass.html", facilities=facilities, facility=facility, ward=ward, rows=rows,
        table=table, back=_back_url(day, round_code), api_url=urls["api"],
        day=day, round_code=round_code, rounds=rounds, scheduler_gap=gap,
        may_record=may_record, csrf=generate_csrf(),
        prev_day=day - timedelta(days=1), next_day=day + timedelta(days=1))
    db.session.commit()
    return html


def _add_gestation(rows, day) -> None:
    """Her gestation on the row, for nurses and clinicians (one query for the list)."""
    weeks = gestation_by_patient({r.patient_id for r in rows}, day)
    for r in rows:
        if r.patient_id in weeks:
            r.gestation = f"pregnant {weeks[r.patient_id]}"


def _sees_hatch_alerts(user) -> bool:
    """Alerts at the hatch: for the clinical roles that may read alerts (a release
    officer's pill pass shows none: their alerts are release tasks)."""
    return can(user, Permission.ALERT_READ) and bool(user.roles & CLINICAL_ROLES)


def _row_urls() -> dict[str, tuple[str, str]]:
    """(prefix, suffix) around the id of the per-row links, so the template joins
    strings instead of calling url_for 600 times."""
    def around(endpoint, **kw):
        key, = kw
        url = url_for(endpoint, **{key: 987654321})
        head, tail = url.split("987654321")
        return head, tail
    return {"patient": around("patients.show", patient_id=0),
            "api": around("api_mar.record", dose_id=0),
            "photo": around("photos.show", patient_id=0)}


@bp.route("/pill-pass/generate", methods=["POST"])
@require(Permission.MAR_RECORD)
def generate_day():
    """The explicit fallback when the scheduler has not made a day's doses."""
    now = clock.now()
    _, facility, ward = current_place()
    if facility is None:
        raise NotFound("No facility.")
    try:
        day = date.fromisoformat(request.form.get("date", ""))
    except ValueError:
        raise ValidationFailed({"date": ["Use YYYY-MM-DD."]}) from None
    today = schedule_rules.local_day(now, facility.timezone)
    if not (today - late_limit() <= day <= today + timedelta(days=1)):
        raise ValidationFailed({"date": [f"Only from {late_limit().days} days back to tomorrow."]})
    made = pill_pass_rows.generate_day(current_user, facility, day, now=now)
    db.session.commit()
    flash(f"{made} doses made for {day.isoformat()}. Tell whoever runs prisoncare that the "
          "scheduler did not make them.", "ok")
    return redirect(_back_url(day, request.form.get("round") or ""))


def _local_time(dose) -> str:
    return dose.due_at.astimezone(ZoneInfo(dose.facility.timezone)).strftime("%H:%M")


def _back_url(day, round_code) -> str:
    args = {"date": day.isoformat()}
    if round_code:
        args["round"] = round_code
    return url_for("mar.pill_pass", **args)


@bp.route("/doses/<int:dose_id>/administration", methods=["POST"])
@require(Permission.MAR_RECORD)
def record(dose_id):
    """One dose's plain form (the page before the one-form table; kept for links
    and scripts that post it)."""
    return _record(dose_id, {k: v for k, v in request.form.items()
                             if k not in ("back", "csrf_token")})


@bp.route("/pill-pass/record", methods=["POST"])
@require(Permission.MAR_RECORD)
def record_from_pass():
    """The pill pass's one form: the pressed Record button names the dose
    (dose=<id>); that row's fields are o<id>, w<id>, r<id>, g<id>."""
    try:
        dose_id = int(request.form.get("dose", ""))
    except ValueError:
        raise ValidationFailed({"dose": ["Press the Record button of a dose."]}) from None
    if not 0 < dose_id < 2**31:
        raise NotFound("No such dose.")
    return _record(dose_id, row_form(request.form, dose_id))


def _record(dose_id: int, form: dict):
    now = clock.now()
    dose = doses.load_dose(current_user, dose_id)
    back = safe_next(request.form.get("back") or url_for("mar.pill_pass"))
    anchor = f"{back}#dose-{dose.id}"
    data, errors = load_form(AdministrationCreateSchema(), form,
                             local_tz=dose.facility.timezone, instant_fields=("administered_at",))
    try:
        if errors:
            raise ValidationFailed(errors)
        administration.record_administration(current_user, dose, data, now=now,
                                             late_limit=late_limit())
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.status not in (409, 422):
            raise
        flash(f"{dose.patient.prison_number}: {err.message}", "error")
        for field, reasons in (err.fields or {}).items():
            flash(f"{field.replace('_', ' ')}: {'; '.join(reasons)}", "error")
        return redirect(anchor)
    flash(f"{dose.patient.prison_number} {dose.patient.name}: "
          f"{data['outcome'].replace('_', ' ')} recorded.", "ok")
    return redirect(anchor)


@bp.route("/patients/<int:patient_id>")
@require(Permission.MAR_READ)
def patient_mar(patient_id):
    """The patient's MAR: days x doses per programme, one printable page per week."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="mar.read")
    tz = patient.facility.timezone if patient.facility else "UTC"
    try:
        anchor = date.fromisoformat(request.args.get("week", ""))
    except ValueError:
        anchor = schedule_rules.local_day(now, tz)
    weeks = min(max(request.args.get("weeks", 2, type=int), 1), 8)
    last_monday = anchor - timedelta(days=anchor.weekday())
    first = last_monday - timedelta(weeks=weeks - 1)
    rows = doses.patient_doses(patient, first, last_monday + timedelta(days=6), now=now)
    html = render_template("mar/patient_mar.html", patient=patient,
                           weeks=_grid(rows, first, weeks), anchor=anchor, n_weeks=weeks,
                           prev_week=anchor - timedelta(weeks=1),
                           next_week=anchor + timedelta(weeks=1))
    db.session.commit()
    return html


def _grid(rows, first: date, weeks: int) -> list[dict]:
    """[{days: [date...], programmes: [(programme, [(line label, {day: [dose...]})])]}]"""
    out = []
    for w in range(weeks):
        start = first + timedelta(weeks=w)
        days = [start + timedelta(days=i) for i in range(7)]
        lines: dict[tuple, dict] = {}
        for d in rows:
            if days[0] <= d.local_date <= days[-1]:
                o = d.order
                key = (o.programme, o.drug, _local_time(d))
                label = f"{o.drug} {o.dose.normalize():f} {o.unit} {o.route} · {_local_time(d)}"
                lines.setdefault(key, {"label": label, "cells": {}})["cells"] \
                    .setdefault(d.local_date, []).append(d)
        programmes: dict[str, list] = {}
        for key in sorted(lines):
            programmes.setdefault(key[0], []).append(lines[key])
        out.append({"days": days, "programmes": sorted(programmes.items())})
    return out


# -- orders and reviews from the patient page --------------------------------------------

@bp.route("/patients/<int:patient_id>/orders", methods=["POST"])
@require(Permission.ORDER_WRITE)
def create_order(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="order.write")
    tz = patient.facility.timezone if patient.facility else "UTC"
    form = {k: v for k, v in request.form.items() if k not in ("times", "every_days")}
    schema = OrderCreateSchema(exclude=("schedule",))
    data, errors = load_form(schema, form, local_tz=tz, instant_fields=("start_at", "end_at"))
    if errors:
        raise ValidationFailed(errors)
    times = [t.strip() for t in request.form.get("times", "").replace(";", ",").split(",") if t.strip()]
    data["schedule"] = {"times": times, "every_days": request.form.get("every_days", 1, type=int)}
    order = orders.create_order(current_user, patient, data, now=now)
    db.session.commit()
    flash(f"Prescribed {order.drug} {order.dose.normalize():f} {order.unit}.", "ok")
    return redirect(url_for("patients.show", patient_id=patient.id) + "#medication")


@bp.route("/orders/<int:order_id>/discontinue", methods=["POST"])
@require(Permission.ORDER_WRITE)
def discontinue_order(order_id):
    order = orders.load_order(current_user, order_id)
    patient_id = order.patient_id
    try:
        orders.discontinue_order(current_user, order, request.form.get("reason", ""),
                                 now=clock.now(), reason_code=request.form.get("reason_code") or None)
    except ValidationFailed as err:  # the patient page again, the errors by the form's fields
        db.session.rollback()
        from .patients import show
        return show(patient_id, errors={f"dc-{order_id}-{k}": v for k, v in err.fields.items()},
                    status=422)
    db.session.commit()
    flash(f"Discontinued {order.drug}.", "ok")
    return redirect(url_for("patients.show", patient_id=order.patient_id) + "#medication")


@bp.route("/patients/<int:patient_id>/reviews", methods=["POST"])
@require(Permission.REVIEW_WRITE)
def create_review(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="review.write")
    data, errors = load_form(ReviewCreateSchema(), request.form)
    if errors:
        raise ValidationFailed(errors)
    reviews.record_review(current_user, patient, data, now=now)
    db.session.commit()
    flash("Review recorded.", "ok")
    return redirect(url_for("patients.show", patient_id=patient.id) + "#medication")


# -- the patient-page panel ----------------------------------------------------------------

def _panel(user, patient, now):
    if not can(user, Permission.MAR_READ):
        return None
    rows = orders.patient_orders(patient, include_inactive=False)
    tz = patient.facility.timezone if patient.facility else "UTC"
    from ..schemas.medication import PREGNANCY_OST_STOP_REASONS
    return "mar/_panel.html", {
        "orders": rows, "run_out": {o.id: orders.run_out_on(o, tz) for o in rows},
        "pregnant": orders.is_pregnant(patient.id, now),
        "stop_reasons": PREGNANCY_OST_STOP_REASONS,
        "programmes": ("ost", "art", "tb", "hcv", "prep", "other"),
        "modes": ("witnessed", "nurse_administered", "keep_on_person"),
    }


register_panel("mar", 30, _panel)

"""Release planning pages (issue 7): the release board, the plan editor, the
printable plan, the provider directory (admins) and the patient-page panel."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, can, require
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..panels import register_panel
from ..pdf import render_pdf
from ..rules import release as rules
from ..services import providers as provider_service
from ..services import release as service
from ..services import release_present as present
from ..services import release_docs as docs
from ..services.patients import read_patient
from ..models.release import ReleasePlan
from ..services.release_board import BOARD_DAYS, release_board
from ..services.release_followup import record_follow_up
from ..services.release_worklist import FILTERS, follow_up_worklist
from .home import current_place

bp = Blueprint("release", __name__)

YES_NO = (("yes", "yes"), ("no", "no"))
@bp.route("/release-board")
@require(Permission.RELEASE_READ)
def board():
    """Releases of the next 30 days in the chosen facility, with each plan's readiness."""
    facilities, facility, _ward = current_place()
    rows = release_board(current_user, facility, now=clock.now()) if facility is not None else []
    page = render_template("release/board.html", rows=rows, facility=facility,
                           facilities=facilities, days=BOARD_DAYS)
    db.session.commit()
    return page


def _plan_page(patient_id, errors=None, status=200):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.read_patient")
    plan = service.current_plan(patient)
    evaluation = service.read_plan(current_user, patient, now=now) if plan else None
    choices = {}
    if evaluation is not None:
        for need in evaluation.needs:
            services = service.NEED_SERVICES[need]
            choices[need] = [p for p in provider_service.list_providers(limit=1000)[0]
                             if set(services) & set(p.services or [])
                             and (patient.sex == "female" or not p.women_only)]
    all_providers = provider_service.list_providers(limit=1000)[0]
    db.session.commit()
    return render_template(
        "release/plan.html", patient=patient, e=evaluation,
        view=present.plan_dict(evaluation, current_user) if evaluation else None, choices=choices,
        all_providers=all_providers, errors=errors or {},
        recipients=docs.referral_recipients(evaluation) if evaluation else [],
        categories=rules.CONSENT_CATEGORIES, outcomes=rules.SOCIAL_OUTCOMES,
        definition=service.definition()), status


@bp.route("/patients/<int:patient_id>/release-plan")
@require(Permission.RELEASE_READ)
def plan_page(patient_id):
    return _plan_page(patient_id)


@bp.route("/patients/<int:patient_id>/release-plan", methods=["POST"])
@require(Permission.RELEASE_WRITE)
def save_plan(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.write_patient")
    plan = service.current_plan(patient)
    evaluation = service.Evaluation(plan, now) if plan is not None else None
    try:
        data = _parse_form(request.form, patient, evaluation)
        service.update_plan(current_user, patient, data, now=now)
    except ValidationFailed as err:
        db.session.rollback()
        return _plan_page(patient_id, errors=err.fields, status=422)
    db.session.commit()
    flash("Release plan saved.", "ok")
    return redirect(url_for("release.plan_page", patient_id=patient_id))


def _parse_form(form, patient, evaluation) -> dict:
    """The editor's fields -> the API's plan document (same service, same checks).
    An unticked box sends nothing, so the checks and consents shown are the ones
    the plan offers (what the page rendered), not what the form lists."""
    errors, data = {}, {}
    if form.get("section") in ("all", None):
        data["circumstances"] = {k: {"yes": True, "no": False}.get(form.get(f"c-{k}"))
                                 for k in service.CIRCUMSTANCES if f"c-{k}" in form}
    tz = ZoneInfo(patient.facility.timezone if patient.facility else "UTC")
    referrals = []
    for need in rules.NEEDS:
        if f"r-{need}-provider" not in form:
            continue
        row = {"need": need, "provider": form.get(f"r-{need}-provider") or None}
        raw_at = form.get(f"r-{need}-appointment_at", "").strip()
        row["appointment_at"] = None
        if raw_at:
            try:
                row["appointment_at"] = datetime.fromisoformat(raw_at).replace(tzinfo=tz)
            except ValueError:
                errors[f"r-{need}-appointment_at"] = ["Not a valid date and time."]
        raw_days = form.get(f"r-{need}-supply_days", "").strip()
        row["supply_days"] = None
        if raw_days:
            if raw_days.isdigit():
                row["supply_days"] = int(raw_days)
            else:
                errors[f"r-{need}-supply_days"] = ["A whole number of days."]
        referrals.append(row)
    data["referrals"] = referrals
    if evaluation is None or form.get("section") != "all":
        return data if not errors else _raise(errors)
    data["checks"] = {s.item.key: form.get(f"k-{s.item.key}") == "on"
                      for s in evaluation.statuses if s.item.kind == "check"}
    data["social_needs"] = {k: {"outcome": form.get(f"s-{k}-outcome") or "pending",
                                "provider": form.get(f"s-{k}-provider") or None}
                            for k in rules.SOCIAL_NEEDS if f"s-{k}-outcome" in form}
    data["consents"] = [{"provider": p["code"], "categories": form.getlist(f"consent-{p['code']}")}
                        for p in docs.referral_recipients(evaluation)]
    return data if not errors else _raise(errors)


def _raise(errors):
    raise ValidationFailed(errors)


@bp.route("/patients/<int:patient_id>/release-plan/finalize", methods=["POST"])
@require(Permission.RELEASE_WRITE)
def finalize(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.write_patient")
    try:
        service.finalize_plan(current_user, patient, now=now)
    except Conflict as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(url_for("release.plan_page", patient_id=patient_id))
    db.session.commit()
    flash("Release plan finalized.", "ok")
    return redirect(url_for("release.plan_page", patient_id=patient_id))


@bp.route("/patients/<int:patient_id>/release-plan/print")
@require(Permission.RELEASE_READ)
def print_view(patient_id):
    """The whole plan for staff, laid out for printing."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.read_patient")
    evaluation = service.read_plan(current_user, patient, now=now)
    view = present.plan_dict(evaluation, current_user)
    db.session.commit()
    return render_template("release/print.html", patient=patient, view=view, e=evaluation,
                           definition=service.definition())


@bp.route("/patients/<int:patient_id>/release-plan/letter/<provider_code>")
@require(Permission.RELEASE_READ)
def letter(patient_id, provider_code):
    """The referral letter to one provider as PDF (only consented content)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.read_patient")
    evaluation = service.read_plan(current_user, patient, now=now)
    pdf = render_pdf(docs.referral_letter_html(evaluation, provider_code, today=now.date().isoformat()))
    docs.log_disclosure(current_user, evaluation, what="referral_letter", provider=provider_code, now=now)
    db.session.commit()
    return Response(pdf, mimetype="application/pdf")


# --- the provider directory (admins) -----------------------------------------------

@bp.route("/admin/providers", methods=["GET", "POST"])
@require(Permission.PROVIDER_MANAGE)
def providers():
    errors, form = {}, request.form
    if request.method == "POST":
        data = {"code": form.get("code", "").strip(), "name": form.get("name", "").strip(),
                "services": form.getlist("services"), "address": form.get("address") or None,
                "city": form.get("city") or None, "phone": form.get("phone") or None,
                "hours": form.get("hours") or None, "women_only": form.get("women_only") == "on"}
        try:
            provider = provider_service.create_provider(current_user, data, now=clock.now())
            db.session.commit()
            flash(f"Added {provider.name}.", "ok")
            return redirect(url_for("release.providers"))
        except (ValidationFailed, Conflict) as err:
            db.session.rollback()
            errors = err.fields or {"code": [err.message]}
    rows, _total = provider_service.list_providers(include_inactive=True, limit=1000)
    return render_template("release/providers.html", providers=rows, errors=errors, form=form,
                           services=provider_service.SERVICES), (422 if errors else 200)


@bp.route("/admin/providers/<code>/active", methods=["POST"])
@require(Permission.PROVIDER_MANAGE)
def toggle_provider(code):
    provider = provider_service.get_provider(code)
    provider_service.update_provider(current_user, provider, {"active": not provider.active},
                                     now=clock.now())
    db.session.commit()
    flash(f"{provider.name} is now {'active' if provider.active else 'inactive'}.", "ok")
    return redirect(url_for("release.providers"))


# --- the patient-page panel ----------------------------------------------------------

def build_panel(user, patient, now):
    if not can(user, Permission.RELEASE_READ):
        return None
    plan = service.current_plan(patient)
    if plan is None:
        return None
    done, total = rules.readiness(service.Evaluation(plan, now).statuses)
    return "release/_panel.html", {"plan": plan, "done": done, "total": total}


register_panel("release", 40, build_panel)


# --- after release: the follow-up worklist -------------------------------------------

ATTENDED = {"yes": True, "no": False, "unknown": None}


@bp.route("/release-follow-ups")
@require(Permission.RELEASE_READ)
def follow_ups():
    """Checks of each appointment 3, 7 and 30 days after release, due and overdue first."""
    facilities, facility, _ward = current_place()
    status = request.args.get("status", "open")
    if status not in FILTERS:
        status = "open"
    items, total = ([], 0) if facility is None else follow_up_worklist(
        current_user, facility, now=clock.now(), status=status, limit=500)
    page = render_template("release/follow_ups.html", items=items, total=total, status=status,
                           filters=FILTERS, facility=facility, facilities=facilities)
    db.session.commit()
    return page


@bp.route("/release-follow-ups", methods=["POST"])
@require(Permission.RELEASE_WRITE)
def record_follow_up_from_list():
    """Record one check from the worklist (same service as the API)."""
    now = clock.now()
    form = request.form
    plan = db.session.get(ReleasePlan, int(form["plan"])) if form.get("plan", "").isdigit() else None
    if plan is None:
        raise NotFound("No such release plan.")
    read_patient(current_user, plan.patient_id, now=now, purpose="release_plan.write_patient")
    data = {"provider": form.get("provider", ""), "need": form.get("need") or None,
            "attended": ATTENDED.get(form.get("attended")), "checked_at": now,
            "note": form.get("note") or None}
    if form.get("day", "").isdigit():
        data["day"] = int(form["day"])
    try:
        if form.get("attended") not in ATTENDED:
            raise ValidationFailed({"attended": ["Choose attended, not attended or unknown."]})
        record_follow_up(current_user, plan, data, now=now)
    except (ValidationFailed, Conflict) as err:
        db.session.rollback()
        flash(err.message if not getattr(err, "fields", None) else
              "; ".join(f"{k}: {' '.join(v)}" for k, v in err.fields.items()), "error")
        return redirect(url_for("release.follow_ups", status=form.get("status", "open")))
    db.session.commit()
    flash("Follow-up recorded.", "ok")
    return redirect(url_for("release.follow_ups", status=form.get("status", "open")))

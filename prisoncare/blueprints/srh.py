"""Sexual and reproductive health pages (issue 6): her SRH page with a form for
each record kind, the separate (audited) violence page, and two patient-page
panels: the SRH summary for clinical roles, and the Bangkok Rules 22/24
protection flags for everyone who reads patients, custody staff included,
without any diagnosis."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from marshmallow import ValidationError

from .. import clock
from ..authz import Permission, can, ensure, require
from ..error_pages import flatten
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import srh as m
from ..panels import register_panel
from ..schemas import srh as s
from ..services import srh as service
from ..services import srh_care as care
from ..services.patients import read_patient
from ..services.srh.worklist import srh_worklist
from .home import current_place

bp = Blueprint("srh", __name__)


def _opts(values):
    return [(v, v.replace("_", " ")) for v in values]


YES_NO = [("yes", "yes"), ("no", "no")]

# kind -> (title, schema, service function, fields, permission); a field is
# (name, label, input type or option list, required).
FORMS = {
    "pregnancy_test": ("Pregnancy test", s.PregnancyTestCreateSchema, service.record_pregnancy_test, [
        ("status", "Test", _opts(m.PREGNANCY_TEST_STATUSES), True),
        ("result", "Result (test done)", _opts(m.PREGNANCY_TEST_RESULTS), False),
        ("occurred_at", "When (facility time)", "datetime-local", False),
        ("note", "Note", "text", False)]),
    "pregnancy": ("Record a pregnancy", s.PregnancyCreateSchema, service.record_pregnancy, [
        ("dating_method", "Dated by", [("lmp", "last menstrual period"), ("scan", "scan")], True),
        ("lmp_on", "First day of last menstrual period", "date", False),
        ("scan_on", "Scan date", "date", False),
        ("scan_gestation_weeks", "Gestation at scan: weeks", "number", False),
        ("scan_gestation_days", "Gestation at scan: days", "number", False),
        ("drug_dependent", "Dependent on drugs (booking within 24 hours)", YES_NO, False)]),
    "pregnancy_correction": ("Correct the pregnancy (re-date, drug dependence)",
                             s.PregnancyCorrectionSchema, service.correct_pregnancy, [
        ("reason", "Why (e.g. dating scan)", "text", True),
        ("dating_method", "New dating by", [("lmp", "last menstrual period"), ("scan", "scan")], False),
        ("lmp_on", "First day of last menstrual period", "date", False),
        ("scan_on", "Scan date", "date", False),
        ("scan_gestation_weeks", "Gestation at scan: weeks", "number", False),
        ("scan_gestation_days", "Gestation at scan: days", "number", False),
        ("drug_dependent", "Dependent on drugs", YES_NO, False)]),
    "contact": ("Antenatal or postnatal contact", s.ContactCreateSchema, service.record_contact, [
        ("kind", "Contact", _opts(m.CONTACT_KINDS), True),
        ("contact_on", "Date", "date", True),
        ("by_whom", "Seen by (midwife, obstetrician, clinic)", "text", False),
        ("note", "Note", "text", False)]),
    "birth_plan": ("Birth plan", s.BirthPlanSchema, service.set_birth_plan, [
        ("hospital", "Hospital", "text", True),
        ("escort", "Escort arrangements", "text", False),
        ("who_is_told", "Who is told (comma-separated)", "text", False),
        ("feeding_intention", "Feeding intention", _opts(m.FEEDING), False)]),
    "outcome": ("Pregnancy outcome", s.OutcomeSchema, service.record_outcome, [
        ("outcome", "Outcome", _opts(m.OUTCOMES), True),
        ("ended_on", "Date", "date", True),
        ("note", "Note", "text", False)]),
    "breastfeeding": ("Breastfeeding", s.BreastfeedingSchema, service.record_breastfeeding, [
        ("status", "Status", _opts(m.BREASTFEEDING_STATUSES), True),
        ("since_on", "Since", "date", False)]),
    "child": ("A child living with her", s.ChildCreateSchema, care.record_child, [
        ("name", "Child's name", "text", True),
        ("sex", "Sex", _opts(("female", "male", "intersex", "unknown")), False),
        ("born_at", "Born (facility time)", "datetime-local", True),
        ("arrived_at", "Came to live with her (if later)", "datetime-local", False),
        ("hiv_exposed", "HIV-exposed infant (empty: from her ART record)", YES_NO, False),
        ("feeding", "Feeding", _opts(m.FEEDING), False),
        ("from_pregnancy", "Born of her recorded pregnancy", YES_NO, False)]),
    "child_update": ("Correct a child's record, or record that the child left",
                     s.ChildUpdateFormSchema, care.update_child, [
        ("child_id", "Child", "child", True),
        ("feeding", "Feeding", _opts(m.FEEDING), False),
        ("hiv_exposed", "HIV-exposed infant", YES_NO, False),
        ("left_at", "Left her mother (facility time)", "datetime-local", False),
        ("left_to", "Where the child went, or to whom", "text", False)]),
    "child_care": ("Child care given", s.ChildCareCreateSchema, care.record_child_care, [
        ("child_id", "Child", "child", True),
        ("kind", "What", _opts(m.CHILD_CARE_KINDS), True),
        ("code", "Immunisation or test code", "text", False),
        ("done_on", "Date", "date", True),
        ("result", "Result", "text", False),
        ("note", "Note", "text", False)]),
    "preventive": ("Preventive care", s.PreventiveCreateSchema, care.record_preventive, [
        ("kind", "What", _opts(m.PREVENTIVE_KINDS), True),
        ("done_on", "Date", "date", True),
        ("result", "Result", _opts(m.PREVENTIVE_RESULTS), False),
        ("detail", "Detail (test, method, materials)", "text", False)]),
    "violence": ("Violence history or disclosure", s.ViolenceCreateSchema, care.record_violence, [
        ("period", "When", _opts(m.VIOLENCE_PERIODS), True),
        ("disclosure", "What she disclosed", "textarea", True),
        ("informed_of_recourse", "Told of her right to recourse (Rule 7)", YES_NO, True),
        ("support_accepted", "Support accepted", "checkboxes", False),
        ("referral", "Referral", "text", False)]),
}
LIST_FIELDS = {"who_is_told", "support_accepted"}
INSTANT_FIELDS = ("occurred_at", "born_at", "arrived_at", "escorted_at", "left_at")


def _load(schema, form, tz: str):
    """Form -> (data, errors) through the API's schema (instants in facility time)."""
    raw = {k: v.strip() for k, v in form.items()
           if k not in ("csrf_token", "form") and k not in LIST_FIELDS and v.strip() != ""}
    for name in INSTANT_FIELDS:
        if name in raw:
            try:
                value = datetime.fromisoformat(raw[name])
            except ValueError:
                continue
            if value.tzinfo is None:
                raw[name] = value.replace(tzinfo=ZoneInfo(tz)).isoformat()
    if form.get("who_is_told", "").strip():
        raw["who_is_told"] = [p.strip() for p in form["who_is_told"].split(",") if p.strip()]
    if "support_accepted" in form:
        raw["support_accepted"] = form.getlist("support_accepted")
    try:
        return schema().load(raw), {}
    except ValidationError as err:
        return None, flatten(err.messages)


@bp.route("/patients/<int:patient_id>/srh")
@require(Permission.SRH_READ)
def show(patient_id, errors=None, failed=None, status=200):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="srh.read")
    record = service.summary(current_user, patient, now=now)
    db.session.commit()
    forms = {k: v for k, v in FORMS.items() if k != "violence"}
    return render_template("srh/show.html", patient=patient, record=record, forms=forms,
                           errors=errors or {}, failed=failed,
                           form=request.form if errors else {}, support_kinds=m.SUPPORT_KINDS,
                           gestation=service.gestation_of(patient, now)), status


@bp.route("/patients/<int:patient_id>/srh", methods=["POST"])
@require(Permission.SRH_WRITE)
def save(patient_id):
    kind = request.form.get("form", "")
    if kind not in FORMS:
        raise NotFound("No such SRH form.")
    if kind == "violence":
        ensure(current_user, Permission.CONFIDENTIAL_READ)
    title, schema, fn, _fields = FORMS[kind]
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="srh.write")
    tz = patient.facility.timezone if patient.facility else "UTC"
    data, errors = _load(schema, request.form, tz)
    if not errors:
        try:
            fn(current_user, patient, data, now=now)
            db.session.commit()
            flash(f"Saved: {title.lower()}.", "ok")
            target = "srh.violence" if kind == "violence" else "srh.show"
            return redirect(url_for(target, patient_id=patient.id) + f"#form-{kind}")
        except ValidationFailed as err:
            errors = err.fields
    db.session.rollback()
    if kind == "violence":
        return violence(patient_id, errors=errors, status=422)
    return show(patient_id, errors=errors, failed=kind, status=422)


def _enablement_action(patient_id, fn, purpose, verb):
    """Enable or revoke her SRH record from the page (clinicians; a reason; audited)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose=purpose)
    try:
        fn(current_user, patient, request.form.get("reason", ""), now=now)
    except ValidationFailed as err:
        db.session.rollback()
        return show(patient_id, errors=err.fields, failed=verb, status=422)
    db.session.commit()
    flash(f"SRH record {verb}d.", "ok")
    return redirect(url_for("srh.show", patient_id=patient_id))


@bp.route("/patients/<int:patient_id>/srh/enable", methods=["POST"])
@require(Permission.SRH_ENABLE)
def enable(patient_id):
    return _enablement_action(patient_id, service.enable_srh, "srh.enable", "enable")


@bp.route("/patients/<int:patient_id>/srh/revoke", methods=["POST"])
@require(Permission.SRH_ENABLE)
def revoke(patient_id):
    return _enablement_action(patient_id, service.revoke_srh, "srh.revoke", "revoke")


@bp.route("/srh/worklist")
@require(Permission.SRH_READ)
def worklist():
    """The chosen facility's due and overdue SRH items, most overdue first."""
    facilities, facility, _ward = current_place()
    status = request.args.get("status") if request.args.get("status") in ("due", "overdue") else None
    rows, total = [], 0
    if facility is not None:
        rows, total = srh_worklist(current_user, facility, now=clock.now(), status=status, limit=500)
    page = render_template("srh/worklist.html", rows=rows, total=total, facility=facility,
                           facilities=facilities, status=status)
    db.session.commit()
    return page


@bp.route("/patients/<int:patient_id>/srh/violence")
@require(Permission.CONFIDENTIAL_READ)
def violence(patient_id, errors=None, status=200):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="srh.violence.open")
    rows = care.read_violence(current_user, patient, now=now)
    db.session.commit()
    return render_template("srh/violence.html", patient=patient, rows=rows,
                           spec=FORMS["violence"], errors=errors or {},
                           form=request.form if errors else {}, support_kinds=m.SUPPORT_KINDS,
                           can_write=can(current_user, Permission.SRH_WRITE)), status


@bp.route("/patients/<int:patient_id>/hospital-escorts", methods=["POST"])
@require(Permission.CUSTODY_WRITE)
def escort(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="patient.escort_write")
    tz = patient.facility.timezone if patient.facility else "UTC"
    data, errors = _load(s.EscortCreateSchema, request.form, tz)
    if not errors:
        try:
            row = care.record_escort(current_user, patient, data, now=now)
            db.session.commit()
            flash("Hospital escort recorded." + (" Restraint reported: the director is alerted."
                                                 if row.restraint_used and row.rule24_applied else ""),
                  "error" if row.restraint_used and row.rule24_applied else "ok")
            return redirect(url_for("patients.show", patient_id=patient.id) + "#protection")
        except ValidationFailed as err:
            errors = err.fields
    db.session.rollback()
    flash("Escort not recorded: " + "; ".join(f"{k.replace('_', ' ')}: {' '.join(v)}"
                                              for k, v in errors.items()), "error")
    return redirect(url_for("patients.show", patient_id=patient.id) + "#protection")


# --- patient-page panels ----------------------------------------------------------------

def build_protection_panel(user, patient, now):
    if not can(user, Permission.PROTECTION_FLAGS_READ):
        return None
    flags = service.protection_flags(patient, now)
    if not flags:
        return None
    return "srh/_protection.html", {"flags": flags,
                                    "can_escort": can(user, Permission.CUSTODY_WRITE)}


def build_panel(user, patient, now):
    if not can(user, Permission.SRH_READ):
        return None
    facts = service.panel_summary(patient, now)
    if facts is None:  # not a woman, not enabled: a clinician may open one
        if can(user, Permission.SRH_ENABLE):
            return "srh/_panel.html", {"not_enabled": True, "prominent": False}
        return None
    return "srh/_panel.html", {**facts, "prominent": _in_womens_facility(patient)}


def _in_womens_facility(patient) -> bool:
    return patient.facility is not None and patient.facility.population == "women"


def _panel_order(patient) -> int:
    """First among the clinical panels in a women's facility (before alerts, intake and
    medication); elsewhere in the normal order, after the intake."""
    return 1 if _in_womens_facility(patient) else 25


register_panel("srh_protection", 5, build_protection_panel)
register_panel("srh", 25, build_panel, order_for=_panel_order)


"""Patient pages: search and list, registration, the patient page with the
custody timeline, and the custody event form."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, can, require
from ..errors import ValidationFailed
from ..extensions import db
from ..panels import panels_for
from ..presenters import custody_of
from ..rules.custody_transitions import allowed_events
from ..schemas.patients import CustodyEventCreateSchema, PatientCreateSchema
from ..services import custody as custody_service
from ..services import patients as service
from ..services.facilities import facility_by_code, visible_facilities
from ..services.srh.gestation import gestation_for
from .forms import load_form
from .home import current_place

bp = Blueprint("patients", __name__, url_prefix="/patients")

PAGE_SIZE = 50


@bp.route("/")
@require(Permission.PATIENT_READ)
def index():
    facilities, facility, ward = current_place()
    q = request.args.get("q", "").strip()
    status = request.args.get("status") or None
    offset = max(request.args.get("offset", 0, type=int), 0)
    # A typed or scanned number or name is looked for in all the user's
    # facilities; without one, the list is the chosen facility and ward.
    everywhere = request.args.get("scope") == "all" or bool(q)
    rows, total = service.search_patients(
        current_user, q=q or None, status=status,
        facility=None if everywhere or facility is None else facility.code,
        ward=None if everywhere or ward is None else ward.code,
        limit=PAGE_SIZE, offset=offset, now=clock.now())
    db.session.commit()
    if q and total == 1 and offset == 0:  # a scanned prison number goes straight to her page
        return redirect(url_for("patients.show", patient_id=rows[0].id))
    gestations = gestation_for(current_user, rows, clock.now())
    return render_template("patients/index.html", rows=rows, total=total, q=q, status=status,
                           gestations=gestations,
                           offset=offset, page_size=PAGE_SIZE, facilities=facilities,
                           facility=facility, ward=ward, everywhere=everywhere)


@bp.route("/new", methods=["GET", "POST"])
@require(Permission.PATIENT_CREATE)
def new():
    facilities = visible_facilities(current_user)
    errors, form = {}, request.form
    if request.method == "POST":
        data, errors = load_form(PatientCreateSchema(), request.form)
        if not errors:
            try:
                patient = service.create_patient(current_user, data, now=clock.now())
                db.session.commit()
                flash(f"Registered {patient.name} ({patient.prison_number}).", "ok")
                return redirect(url_for("patients.show", patient_id=patient.id))
            except ValidationFailed as err:
                db.session.rollback()
                errors = err.fields
    return render_template("patients/new.html", errors=errors, form=form,
                           facilities=facilities), (422 if errors else 200)


@bp.route("/<int:patient_id>")
@require(Permission.PATIENT_READ)
def show(patient_id, errors=None, status=200):
    now = clock.now()
    patient = service.read_patient(current_user, patient_id, now=now)
    events = custody_service.timeline(patient)
    panels = panels_for(current_user, patient, now)
    db.session.commit()
    return render_template(
        "patients/show.html", patient=patient, custody=custody_of(patient), events=events,
        panels=panels,
        allowed=allowed_events(patient.custody_status) if can(current_user, Permission.CUSTODY_WRITE) else [],
        facilities=visible_facilities(current_user), errors=errors or {},
        form=request.form if errors else {}, age=service.age_on(patient.date_of_birth, clock.now().date()),
    ), status


@bp.route("/<int:patient_id>/custody-events", methods=["POST"])
@require(Permission.CUSTODY_WRITE)
def record_event(patient_id):
    now = clock.now()
    patient = service.read_patient(current_user, patient_id, now=now, purpose="patient.custody_write")
    named = facility_by_code(request.form.get("facility", "")) if request.form.get("facility") else None
    place = named or patient.facility  # an admission elsewhere is timed in that facility's zone
    tz = place.timezone if place else "UTC"
    data, errors = load_form(CustodyEventCreateSchema(), request.form, local_tz=tz,
                             instant_fields=("occurred_at", "expected_at"))
    if not errors:
        try:
            event = custody_service.record_event(current_user, patient, data, now=now)
            db.session.commit()
            flash(f"Recorded: {event.type.replace('_', ' ')}.", "ok")
            return redirect(url_for("patients.show", patient_id=patient.id) + "#timeline")
        except ValidationFailed as err:
            db.session.rollback()
            errors = err.fields
    db.session.rollback()
    return show(patient_id, errors=errors, status=422)

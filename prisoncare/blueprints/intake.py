"""Checklist pages: a patient's checklist form (one page, grouped sections, works
without JavaScript), the facility list of open and overdue checklists, and the
patient-page panel with checklist status and the "continuation pending" banner."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, can, require
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..panels import register_panel
from ..rules.checklists import load_all
from ..rules.checklists.vocabulary import CUSTODY_STATUSES
from ..schemas.intake import CommunityMedicationCreateSchema
from ..services import checklists as service
from ..services import community_medication, continuation
from ..services.patients import read_patient
from .forms import load_form
from .home import current_place

bp = Blueprint("intake", __name__)

PAGE_SIZE = 100
BLANK_CHILD_ROWS = 2
CHILD_KEYS = ("name", "age_years", "with_her", "location", "carer", "custody_status")


@bp.route("/checklists")
@require(Permission.CHECKLIST_STATUS_READ)
def facility_list():
    now = clock.now()
    facilities, facility, _ward = current_place()
    overdue_only = request.args.get("status") == "overdue"
    rows, total = [], 0
    if facility is not None:
        rows, total = service.facility_checklists(current_user, facility, overdue_only=overdue_only,
                                                  limit=PAGE_SIZE, now=now)
        db.session.commit()
    return render_template("intake/list.html", rows=rows, total=total, facility=facility,
                           facilities=facilities, overdue_only=overdue_only, now=now,
                           titles=_titles())


def _titles():
    return {kind: d.title for kind, d in load_all().items()}


@bp.route("/patients/<int:patient_id>/checklists")
@require(Permission.CHECKLIST_ANSWER)
def form(patient_id, errors=None, submitted=None, med_errors=None, status=200):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="checklist.read")
    states = service.read_checklists(current_user, patient, now=now)
    chosen = _choose(states, request.values.get("checklist", type=int))
    views = [service.present(s, current_user, now) for s in states]
    medications = continuation.medications_with_continuation(patient, now=now)
    db.session.commit()
    current = next((v for v in views if chosen and v["id"] == chosen.instance.id), None)
    return render_template(
        "intake/form.html", patient=patient, views=views, current=current,
        sections=_sections(chosen, current), errors=errors or {}, submitted=submitted,
        medications=medications, med_errors=med_errors or {},
        med_form=request.form if med_errors else {}, now=now,
        child_rows=lambda item: _child_rows(item, submitted),
        custody_statuses=CUSTODY_STATUSES), status


def _choose(states, wanted: int | None):
    if wanted is not None:
        for state in states:
            if state.instance.id == wanted:
                return state
        raise NotFound("No such checklist for this patient.")
    open_states = [s for s in states if s.instance.completed_at is None]
    return (open_states or states or [None])[0]


def _sections(state, view):
    if state is None or view is None:
        return []
    items = [i for i in view["items"] if i["applies"]]
    return [(s, [i for i in items if i["section"] == s.id]) for s in state.definition.sections
            if any(i["section"] == s.id for i in items)]


@bp.route("/patients/<int:patient_id>/checklists", methods=["POST"])
@require(Permission.CHECKLIST_ANSWER)
def save(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="checklist.answer")
    instance = service.load_instance(current_user, request.form.get("checklist", type=int) or 0)
    if instance.patient_id != patient.id:
        raise NotFound("No such checklist for this patient.")
    state = service.load_states([instance])[0]
    view = service.present(state, current_user, now)
    submitted = _parse(view, request.form)
    try:
        service.answer_items(current_user, instance, submitted, now=now)
    except ValidationFailed as err:
        db.session.rollback()
        return form(patient_id, errors=err.fields, submitted=request.form, status=422)
    db.session.commit()
    changed = len(submitted)
    flash(f"Saved {changed} answer{'s' if changed != 1 else ''}." if changed else "Nothing changed.", "ok")
    anchor = f"#s-{request.form['save']}" if request.form.get("save", "all") != "all" else ""
    return redirect(url_for("intake.form", patient_id=patient.id, checklist=instance.id) + anchor)


def _parse(view, form) -> dict:
    """Form fields -> {item_id: (answer, note)} for the items whose answer or note
    changed. Numbers stay text when they are not numbers, so the rules say why."""
    out = {}
    for item in view["items"]:
        if not item["applies"]:
            continue
        key = item["id"]
        answer = _children(item, form) if item["answer_type"] == "children" else \
            _typed(item["answer_type"], form.get(f"a-{key}", "").strip())
        note = form.get(f"n-{key}", "").strip() or None
        if answer is None and note and item["answer"] is not None:
            answer = item["answer"]  # a note added to the current answer
        if answer is None or (answer == item["answer"] and not note):
            continue
        out[key] = (answer, note)
    return out


def _typed(answer_type: str, raw: str):
    if raw == "":
        return None
    if answer_type == "number":
        for cast in (int, float):
            try:
                return cast(raw)
            except ValueError:
                pass
    return raw


def _children(item, form):
    key = item["id"]
    marker = form.get(f"a-{key}", "")
    if marker == "none":
        return []
    if marker in ("not_applicable", "declined"):
        return marker
    children = []
    for row in _form_child_rows(key, form):
        child = {}
        for name in CHILD_KEYS:
            value = row.get(name, "")
            if value == "":
                continue
            if name == "age_years":
                value = _typed("number", value)
            elif name == "with_her":
                value = {"yes": True, "no": False}.get(value, value)
            child[name] = value
        if child:
            children.append(child)
    return children or None


def _form_child_rows(key, form) -> list[dict]:
    rows, n = [], 0
    while f"c-{key}-{n}-name" in form:
        rows.append({name: form.get(f"c-{key}-{n}-{name}", "").strip() for name in CHILD_KEYS})
        n += 1
    return rows


def _child_rows(item, submitted) -> list[dict]:
    """Rows for the children table: what was typed (after an error), else the
    current answer, plus blank rows for more."""
    if submitted is not None:
        rows = _form_child_rows(item["id"], submitted)
    else:
        rows = []
        for child in item["answer"] if isinstance(item["answer"], list) else []:
            row = {k: ("" if child.get(k) is None else child.get(k)) for k in CHILD_KEYS}
            row["with_her"] = {True: "yes", False: "no"}.get(child.get("with_her"), "")
            rows.append(row)
    return rows + [dict.fromkeys(CHILD_KEYS, "") for _ in range(BLANK_CHILD_ROWS)]


@bp.route("/patients/<int:patient_id>/community-medications", methods=["POST"])
@require(Permission.COMMUNITY_MED_WRITE)
def record_medication(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="community_medication.write")
    tz = patient.facility.timezone if patient.facility else "UTC"
    raw = {k: v for k, v in request.form.items() if k != "checklist"}
    data, errors = load_form(CommunityMedicationCreateSchema(), raw, local_tz=tz,
                             instant_fields=("last_dose_at",))
    if not errors:
        try:
            medication = community_medication.record_community_medication(
                current_user, patient, data, now=now)
            db.session.commit()
            flash(f"Recorded community {medication.programme.upper()}: {medication.drug}.", "ok")
            return redirect(url_for("intake.form", patient_id=patient.id,
                                    checklist=request.form.get("checklist") or None) + "#community")
        except ValidationFailed as err:
            errors = err.fields
    db.session.rollback()
    return form(patient_id, med_errors=errors, status=422)


# --- the patient-page panel ---------------------------------------------------------

def build_panel(user, patient, now):
    if not can(user, Permission.CHECKLIST_STATUS_READ):
        return None
    views = [service.present(s, user, now) for s in service.episode_states(patient)]
    pending = continuation.pending_continuations(patient, now=now) \
        if can(user, Permission.CLINICAL_READ) else []
    if not views and not pending:
        return None
    return "intake/_panel.html", {"views": views, "pending": pending, "now": now}


register_panel("intake", 20, build_panel)

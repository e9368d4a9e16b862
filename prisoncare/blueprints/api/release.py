"""Release planning API (issue 7): the provider directory, the plan, its
documents (PDF, FHIR) and follow-up after release."""
from functools import wraps

from flask import Response
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, can, ensure, require
from ...errors import PermissionDenied
from ...extensions import db
from ...fhir_export import build_bundle
from ...pdf import render_pdf
from ...schemas.common import page_of
from ...schemas.release import (
    FhirArgs, FollowUpSchema, PlanSchema, PlanUpdateSchema, ProviderArgs, ProviderCreateSchema,
    ProviderSchema, ProviderUpdateSchema, WorklistArgs, FollowUpWorklistItemSchema,
)
from ...services import providers as provider_service
from ...services import release as service
from ...services import release_present as present
from ...services import release_docs as docs
from ...services.checklists import facility_for
from ...services.release_followup import record_follow_up
from ...services.release_worklist import follow_up_worklist, item_dict
from ...services.patients import read_patient
from .docs import errors

blp = Blueprint("api_release", __name__, description="Release planning and linkage (issue 7).")

ProviderPage = page_of(ProviderSchema, "ProviderPage")
WorklistPage = page_of(FollowUpWorklistItemSchema, "ReleaseFollowUpPage")


def require_any(*permissions):
    """401 when not logged in, 403 unless the user has one of `permissions`."""
    def decorator(view):
        view.required_permission = permissions[0]

        @wraps(view)
        def wrapped(*args, **kwargs):
            if not any(can(current_user, p) for p in permissions):
                ensure(current_user, permissions[0])  # 401 or 403
            return view(*args, **kwargs)
        return wrapped
    return decorator


# --- the provider directory ------------------------------------------------------------

@blp.route("/providers", methods=["GET"])
@require_any(Permission.RELEASE_READ, Permission.PROVIDER_MANAGE)
@blp.arguments(ProviderArgs, location="query")
@blp.response(200, ProviderPage)
@errors(blp, 401, 403, 422)
def list_providers(args):
    """Community providers, by service offered (`?service=art`) or women-only."""
    if args["include_inactive"] and not can(current_user, Permission.PROVIDER_MANAGE):
        raise PermissionDenied("Only administrators see inactive providers.")
    rows, total = provider_service.list_providers(
        service=args.get("service"), women_only=args.get("women_only"), q=args.get("q"),
        include_inactive=args["include_inactive"], limit=args["limit"], offset=args["offset"])
    return {"items": [provider_service.provider_dict(p) for p in rows], "total": total}


@blp.route("/providers", methods=["POST"])
@require(Permission.PROVIDER_MANAGE)
@blp.arguments(ProviderCreateSchema)
@blp.response(201, ProviderSchema)
@errors(blp, 400, 401, 403, 409, 422)
def create_provider(data):
    """Add a provider to the directory (administrators)."""
    provider = provider_service.create_provider(current_user, data, now=clock.now())
    db.session.commit()
    return provider_service.provider_dict(provider)


@blp.route("/providers/<code>", methods=["PATCH"])
@require(Permission.PROVIDER_MANAGE)
@blp.arguments(ProviderUpdateSchema)
@blp.response(200, ProviderSchema)
@errors(blp, 400, 401, 403, 404, 422)
def update_provider(data, code):
    """Change a provider; `active: false` takes it out of the choices (never deleted)."""
    provider = provider_service.get_provider(code)
    provider_service.update_provider(current_user, provider, data, now=clock.now())
    db.session.commit()
    return provider_service.provider_dict(provider)


# --- the plan ------------------------------------------------------------------------

@blp.route("/patients/<int:patient_id>/release-plan", methods=["GET"])
@require(Permission.RELEASE_READ)
@blp.response(200, PlanSchema)
@errors(blp, 401, 403, 404)
def get_plan(patient_id):
    """The release plan of her current custody episode, with every item and what is missing."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.read_patient")
    out = present.plan_dict(service.read_plan(current_user, patient, now=now), current_user)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/release-plan", methods=["PUT"])
@require(Permission.RELEASE_WRITE)
@blp.arguments(PlanUpdateSchema)
@blp.response(200, PlanSchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def put_plan(data, patient_id):
    """Providers per need, appointments, bridging supply, checks (naloxone...), social
    needs and consents. Sections left out are unchanged; opens the plan if she has
    none yet. Editing a finalized plan returns it to draft."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.write_patient")
    out = present.plan_dict(service.update_plan(current_user, patient, data, now=now), current_user)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/release-plan/finalize", methods=["POST"])
@require(Permission.RELEASE_WRITE)
@blp.response(200, PlanSchema)
@errors(blp, 401, 403, 404, 409)
def finalize(patient_id):
    """Finalize: 409 `plan_incomplete` names every missing item (message and `fields`)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.write_patient")
    out = present.plan_dict(service.finalize_plan(current_user, patient, now=now), current_user)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/release-plan/follow-up", methods=["POST"])
@require(Permission.RELEASE_WRITE)
@blp.arguments(FollowUpSchema)
@blp.response(201, PlanSchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def follow_up(data, patient_id):
    """After release: did she attend (true, false, or null = unknown)?"""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.write_patient")
    evaluation = service.read_plan(current_user, patient, now=now)
    record_follow_up(current_user, evaluation.plan, data, now=now)
    out = present.plan_dict(evaluation, current_user)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/release-plan/fhir", methods=["GET"])
@require(Permission.RELEASE_READ)
@blp.arguments(FhirArgs, location="query")
@blp.response(200, description="A FHIR R4 Bundle (collection)")
@errors(blp, 401, 403, 404, 409, 422)
def fhir(args, patient_id):
    """The plan as a FHIR R4 Bundle; `?provider=CODE` keeps only what she consented
    to share with that provider (409 `no_consent` if nothing)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.read_patient")
    evaluation = service.read_plan(current_user, patient, now=now)
    bundle = build_bundle(docs.shared_content(evaluation, args.get("provider")), now=now)
    docs.log_disclosure(current_user, evaluation, what="fhir_export", provider=args.get("provider"), now=now)
    db.session.commit()
    return bundle


@blp.route("/patients/<int:patient_id>/release-plan.pdf", methods=["GET"])
@require(Permission.RELEASE_READ)
@blp.response(200, description="The patient's copy (PDF), in her language where available")
@errors(blp, 401, 403, 404)
def patient_copy(patient_id):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.read_patient")
    evaluation = service.read_plan(current_user, patient, now=now)
    pdf = render_pdf(docs.patient_copy_html(evaluation))
    docs.log_disclosure(current_user, evaluation, what="patient_copy", provider=None, now=now)
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="release-plan-{patient.prison_number}.pdf"'})


@blp.route("/patients/<int:patient_id>/release-plan/referrals/<provider_code>.pdf", methods=["GET"])
@require(Permission.RELEASE_READ)
@blp.response(200, description="A referral letter (PDF) with only the consented content")
@errors(blp, 401, 403, 404, 409)
def referral_letter(patient_id, provider_code):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="release_plan.read_patient")
    evaluation = service.read_plan(current_user, patient, now=now)
    pdf = render_pdf(docs.referral_letter_html(evaluation, provider_code, today=now.date().isoformat()))
    docs.log_disclosure(current_user, evaluation, what="referral_letter", provider=provider_code, now=now)
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="referral-{provider_code}-{patient.prison_number}.pdf"'})


# --- after release: the follow-up worklist ------------------------------------------

@blp.route("/release-follow-ups", methods=["GET"])
@require(Permission.RELEASE_READ)
@blp.arguments(WorklistArgs, location="query")
@blp.response(200, WorklistPage)
@errors(blp, 401, 403, 404, 422)
def follow_up_list(args):
    """A facility's follow-ups of appointments after release (3, 7 and 30 days):
    `?status=open` (due or overdue, the default), `due`, `overdue`, `recorded`,
    `upcoming` or `all`. Record one with `POST .../release-plan/follow-up`."""
    now = clock.now()
    facility = facility_for(current_user, args.get("facility"))
    items, total = follow_up_worklist(current_user, facility, now=now, status=args["status"],
                                      limit=args["limit"], offset=args["offset"])
    db.session.commit()
    return {"items": [item_dict(i) for i in items], "total": total}

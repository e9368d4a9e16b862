"""Sexual and reproductive health API (issue 6).

`/patients/{id}/srh` is her SRH record (nurses and clinicians); each record kind
is a sub-resource that answers with the updated record. A patient not recorded
as female has no SRH record until a clinician enables one: GET .../srh answers
`{"enabled": false}` and every sub-resource 409 `srh_not_enabled`. Violence
records are a separate, audited read. Protection flags (Bangkok Rules 22/24)
are readable by everyone who reads patients, custody staff included, and say
nothing about why they apply.
"""
from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, ensure, require
from ...extensions import db
from ...schemas import srh as s
from ...schemas.common import ListArgs
from ...services import srh as service
from ...services import srh_care as care
from ...services.facilities import visible_facility
from ...services.patients import read_patient
from ...services.srh.worklist import srh_worklist
from .docs import errors

blp = Blueprint("api_srh", __name__, description="Sexual and reproductive health (issue 6).")

BASE = "/patients/<int:patient_id>/srh"


def _write(patient_id, purpose, fn, data):
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose=purpose)
    fn(current_user, patient, data, now=now)
    out = service.summary(current_user, patient, now=now)
    db.session.commit()
    return out


@blp.route(BASE, methods=["GET"])
@require(Permission.SRH_READ)
@blp.response(200, s.SrhSummarySchema)
@errors(blp, 401, 403, 404)
def get_srh(patient_id):
    """Her SRH record: pregnancy (gestation, due date, contacts due), tests, breastfeeding,
    children, preventive care and screening due dates, hospital escorts, protection flags."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="srh.read")
    out = service.summary(current_user, patient, now=now)
    db.session.commit()
    return out


@blp.route(BASE + "/enable", methods=["POST"])
@require(Permission.SRH_ENABLE)
@blp.arguments(s.EnableSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def enable(data, patient_id):
    """Open an SRH record for a patient not recorded as female (clinicians only), with a
    reason; audited. 409 `srh_already_enabled` when she or he has one."""
    return _write(patient_id, "srh.enable", lambda a, p, d, now: service.enable_srh(
        a, p, d["reason"], now=now), data)


@blp.route(BASE + "/revoke", methods=["POST"])
@require(Permission.SRH_ENABLE)
@blp.arguments(s.RevokeSchema)
@blp.response(200, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def revoke(data, patient_id):
    """Close an SRH record a clinician enabled (clinicians only), with a reason; audited.
    What was recorded is kept and shown again if the record is enabled again. A woman's
    record cannot be closed: 409 `srh_not_revocable`."""
    return _write(patient_id, "srh.revoke", lambda a, p, d, now: service.revoke_srh(
        a, p, d["reason"], now=now), data)


@blp.route("/srh/worklist", methods=["GET"])
@require(Permission.SRH_READ)
@blp.arguments(s.WorklistArgs, location="query")
@blp.response(200, s.WorklistPage)
@errors(blp, 401, 403, 404, 422)
def worklist(args):
    """The facility's due and overdue antenatal and postnatal contacts, child checks,
    immunisations, infant HIV tests, screenings and PMTCT viral loads, most overdue first
    (nurses and clinicians; never any violence record; the read is audited)."""
    facility = visible_facility(current_user, args["facility"])
    rows, total = srh_worklist(current_user, facility, now=clock.now(), status=args.get("status"),
                               limit=args["limit"], offset=args["offset"])
    db.session.commit()
    return {"items": rows, "total": total}


@blp.route(BASE + "/pregnancy-tests", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.PregnancyTestCreateSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def pregnancy_test(data, patient_id):
    """A pregnancy test offered, declined (Rule 8) or done with its result."""
    return _write(patient_id, "srh.write", service.record_pregnancy_test, data)


@blp.route(BASE + "/pregnancies", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.PregnancyCreateSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def pregnancy(data, patient_id):
    """Record a pregnancy dated by last menstrual period or scan; 409 `pregnancy_ongoing`
    while one is open."""
    return _write(patient_id, "srh.write", service.record_pregnancy, data)


@blp.route(BASE + "/pregnancy", methods=["PATCH"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.PregnancyCorrectionSchema)
@blp.response(200, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def correct_pregnancy(data, patient_id):
    """Correct the current pregnancy: re-date it (scan dating, corrected LMP) and/or
    whether she is drug-dependent, with a reason; audited with before and after. The
    antenatal schedule, the worklist and the alerts follow. 409 `no_current_pregnancy`."""
    return _write(patient_id, "srh.write", service.correct_pregnancy, data)


@blp.route(BASE + "/contacts", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.ContactCreateSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def contact(data, patient_id):
    """An antenatal contact (current pregnancy) or a postnatal one (after the outcome)."""
    return _write(patient_id, "srh.write", service.record_contact, data)


@blp.route(BASE + "/birth-plan", methods=["PUT"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.BirthPlanSchema)
@blp.response(200, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def birth_plan(data, patient_id):
    """The current pregnancy's birth plan: hospital, escort, who is told, feeding intention."""
    return _write(patient_id, "srh.write", service.set_birth_plan, data)


@blp.route(BASE + "/pregnancy-outcome", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.OutcomeSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def outcome(data, patient_id):
    """End the current pregnancy with its outcome; postnatal contacts follow a birth."""
    return _write(patient_id, "srh.write", service.record_outcome, data)


@blp.route(BASE + "/breastfeeding", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.BreastfeedingSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def breastfeeding(data, patient_id):
    """Her breastfeeding status from a date (the latest counts)."""
    return _write(patient_id, "srh.write", service.record_breastfeeding, data)


@blp.route(BASE + "/children", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.ChildCreateSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def child(data, patient_id):
    """A child living with her: health screening due within 7 days, immunisations, and
    for an HIV-exposed infant the prophylaxis and testing schedule."""
    return _write(patient_id, "srh.write", care.record_child, data)


@blp.route(BASE + "/children/<int:child_id>", methods=["PATCH"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.ChildUpdateSchema)
@blp.response(200, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def update_child(data, patient_id, child_id):
    """Correct a child's feeding or HIV exposure, or record that the child left her
    (left_at, with left_to: where or to whom); audited with before and after. A child
    who has left owes no more checks here: her due items and open alerts are resolved,
    and the Rule 22 flag she brought stops (unless another reason applies)."""
    return _write(patient_id, "srh.write", care.update_child, {**data, "child_id": child_id})


@blp.route(BASE + "/child-care", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.ChildCareCreateSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def child_care(data, patient_id):
    """Care given to one of her children: health screen, immunisation, prophylaxis, HIV test."""
    return _write(patient_id, "srh.write", care.record_child_care, data)


@blp.route(BASE + "/preventive-care", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.PreventiveCreateSchema)
@blp.response(201, s.SrhSummarySchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def preventive(data, patient_id):
    """Screening results, STI tests and treatment, contraception, hygiene materials (Rules 5, 18)."""
    return _write(patient_id, "srh.write", care.record_preventive, data)


@blp.route(BASE + "/violence", methods=["GET"])
@require(Permission.CONFIDENTIAL_READ)
@blp.arguments(ListArgs, location="query")
@blp.response(200, s.ViolencePage)
@errors(blp, 401, 403, 404, 409, 422)
def list_violence(args, patient_id):
    """Her violence history and disclosures, newest first, as {items, total} with
    limit/offset (clinical roles only; every read is audited with the records shown)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="srh.violence.open")
    rows, total = care.read_violence_page(current_user, patient, now=now, limit=args["limit"],
                                          offset=args["offset"])
    db.session.commit()
    return {"items": rows, "total": total}


@blp.route(BASE + "/violence", methods=["POST"])
@require(Permission.SRH_WRITE)
@blp.arguments(s.ViolenceCreateSchema)
@blp.response(201, s.ViolenceSchema)
@errors(blp, 400, 401, 403, 404, 409, 422)
def create_violence(data, patient_id):
    """Record violence history or a disclosure, that she was told of her right to recourse
    (Rule 7), and the support and referral she accepted."""
    ensure(current_user, Permission.CONFIDENTIAL_READ)
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="srh.violence.write")
    row = care.record_violence(current_user, patient, data, now=now)
    out = {"id": row.id, "recorded_at": service.iso(row.recorded_at), "recorded_by": current_user.username,
           "period": row.period, "disclosure": row.disclosure,
           "informed_of_recourse": row.informed_of_recourse,
           "support_accepted": row.support_accepted, "referral": row.referral}
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/protection-flags", methods=["GET"])
@require(Permission.PROTECTION_FLAGS_READ)
@blp.response(200, s.ProtectionFlagsSchema)
@errors(blp, 401, 403, 404)
def protection_flags(patient_id):
    """Bangkok Rules 22 and 24 protections in force for her, for custody staff: the rule
    only, never a diagnosis or any SRH detail."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="patient.protection_flags")
    out = service.read_protection_flags(current_user, patient, now=now)
    db.session.commit()
    return out


@blp.route("/patients/<int:patient_id>/hospital-escorts", methods=["POST"])
@require(Permission.CUSTODY_WRITE)
@blp.arguments(s.EscortCreateSchema)
@blp.response(201, s.EscortSchema)
@errors(blp, 400, 401, 403, 404, 422)
def hospital_escort(data, patient_id):
    """A custody officer records a hospital escort, its purpose and whether restraint was
    used. Restraint while Rule 24 applies (late pregnancy or after a birth, or any escort
    for labour and birth: preterm labour too) raises a critical alert (BR-05)."""
    now = clock.now()
    patient = read_patient(current_user, patient_id, now=now, purpose="patient.escort_write")
    row = care.record_escort(current_user, patient, data, now=now)
    out = {"id": row.id, "recorded_at": service.iso(row.recorded_at), "recorded_by": current_user.username,
           "escorted_at": service.iso(row.escorted_at), "hospital": row.hospital,
           "restraint_used": row.restraint_used, "restraint_note": row.restraint_note,
           "rule24_applied": row.rule24_applied, "purpose": row.purpose}
    db.session.commit()
    return out

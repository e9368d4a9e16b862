from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...presenters import patient_dict
from ...schemas.common import page_of
from ...schemas.patients import PatientCreateSchema, PatientListArgs, PatientSchema
from ...services import patients as service
from .docs import errors

blp = Blueprint("api_patients", __name__, description="Patients")

PatientPage = page_of(PatientSchema, "PatientPage")


@blp.route("/patients", methods=["POST"])
@require(Permission.PATIENT_CREATE)
@blp.arguments(PatientCreateSchema)
@blp.response(201, PatientSchema)
@errors(blp, 401, 403, 409, 422)
def create_patient(data):
    """Register a patient (custody, clinician, nurse)."""
    patient = service.create_patient(current_user, data, now=clock.now())
    db.session.commit()
    return patient_dict(patient)


@blp.route("/patients", methods=["GET"])
@require(Permission.PATIENT_READ)
@blp.arguments(PatientListArgs, location="query")
@blp.response(200, PatientPage)
@errors(blp, 401, 403, 404, 422)
def list_patients(args):
    """Find patients in the facilities you can see."""
    rows, total = service.search_patients(current_user, **args, now=clock.now())
    db.session.commit()
    return {"items": [patient_dict(p) for p in rows], "total": total}


@blp.route("/patients/<int:patient_id>", methods=["GET"])
@require(Permission.PATIENT_READ)
@blp.response(200, PatientSchema)
@errors(blp, 401, 403, 404)
def get_patient(patient_id):
    """One patient with their current custody status."""
    patient = service.read_patient(current_user, patient_id, now=clock.now())
    db.session.commit()
    return patient_dict(patient)

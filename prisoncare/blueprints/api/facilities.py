from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...schemas.facilities import FacilitySchema
from ...services import facilities as service
from .docs import errors

blp = Blueprint("api_facilities", __name__, description="Facilities and wards")


@blp.route("/facilities", methods=["GET"])
@require(Permission.FACILITY_READ)
@blp.response(200, FacilitySchema(many=True))
@errors(blp, 401, 403)
def list_facilities():
    """The facilities you can see."""
    return service.visible_facilities(current_user)


@blp.route("/facilities", methods=["POST"])
@require(Permission.FACILITY_MANAGE)
@blp.arguments(FacilitySchema)
@blp.response(201, FacilitySchema)
@errors(blp, 401, 403, 409, 422)
def create_facility(data):
    """Create a facility with its wards (admin)."""
    facility = service.create_facility(current_user, **data, now=clock.now())
    db.session.commit()
    return facility

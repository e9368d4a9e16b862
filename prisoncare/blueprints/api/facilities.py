from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...schemas.common import ListArgs, page_of
from ...schemas.facilities import FacilitySchema
from ...services import facilities as service
from .docs import errors

blp = Blueprint("api_facilities", __name__, description="Facilities and wards")


FacilityPage = page_of(FacilitySchema, "FacilityPage")


@blp.route("/facilities", methods=["GET"])
@require(Permission.FACILITY_READ)
@blp.arguments(ListArgs, location="query")
@blp.response(200, FacilityPage)
@errors(blp, 401, 403, 422)
def list_facilities(args):
    """The facilities you can see."""
    rows = service.visible_facilities(current_user)
    return {"items": rows[args["offset"]:args["offset"] + args["limit"]], "total": len(rows)}


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

from flask_login import current_user
from flask_smorest import Blueprint

from ... import clock
from ...authz import Permission, require
from ...extensions import db
from ...schemas.audit import AuditArgs, AuditEntrySchema
from ...schemas.common import page_of
from ...services import audit_log as service
from .docs import errors

blp = Blueprint("api_audit", __name__, description="The access log")

AuditPage = page_of(AuditEntrySchema, "AuditPage")


@blp.route("/audit-log", methods=["GET"])
@require(Permission.AUDIT_READ)
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditPage)
@errors(blp, 401, 403, 422)
def list_entries(args):
    """Who read or changed what, when and from where (auditor)."""
    rows, total = service.search(current_user, patient_id=args.get("patient"),
                                 username=args.get("user"), start=args.get("from_"),
                                 end=args.get("to"), limit=args["limit"],
                                 offset=args["offset"], now=clock.now())
    db.session.commit()
    return {"items": rows, "total": total}

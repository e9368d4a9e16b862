"""The JSON API under /api/v1, documented at /api/openapi.json by flask-smorest
from the marshmallow schemas the routes use."""
from flask_smorest import Api as _Api

from ...schemas.common import ErrorEnvelopeSchema


class Api(_Api):
    ERROR_SCHEMA = ErrorEnvelopeSchema


api = Api()

# Every route can answer these; documenting them once keeps the spec honest.
COMMON_ERRORS = (400, 401, 403, 404, 409, 422)


def register_api(app):
    from . import (alerts, audit_log, custody, facilities, intake, interruptions, mar, patients,
                   photos, release, reports, session, srh)

    api.init_app(app, spec_kwargs={
        "info": {"description": "prisoncare: continuity of OST, ART, TB, HCV and SRH care "
                                "across custody events."},
        "components": {"securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "prisoncare_session"},
        }},
        "security": [{"bearer": []}, {"session": []}],
    })
    for module in (session, facilities, patients, custody, intake, mar, alerts, interruptions,
                   srh, release, audit_log, reports, photos):
        api.register_blueprint(module.blp, url_prefix="/api/v1")
    from . import handovers
    api.register_blueprint(handovers.blp, url_prefix="/api/v1")
    from . import escort_letter
    api.register_blueprint(escort_letter.blp, url_prefix="/api/v1")

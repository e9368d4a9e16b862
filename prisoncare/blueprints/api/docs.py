"""Helpers that document a route's error responses in the OpenAPI spec."""
from ...schemas.common import ErrorEnvelopeSchema

DESCRIPTIONS = {
    400: "Malformed JSON", 401: "Not logged in", 403: "Role or facility not allowed",
    404: "Unknown id (or one in a facility you cannot see)", 409: "Conflict with current state",
    422: "A field or clinical safety rule is broken", 429: "Locked out",
}


def errors(blp, *codes):
    def decorator(view):
        for code in codes:
            view = blp.alt_response(code, schema=ErrorEnvelopeSchema, description=DESCRIPTIONS[code])(view)
        return view
    return decorator

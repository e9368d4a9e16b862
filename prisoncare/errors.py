"""Domain errors, raised deep and translated once (JSON for the API, a flash or a
form error for pages)."""


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message, *, code=None, fields=None, detail=None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or None
        self.detail = detail


class NotFound(DomainError):
    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_custody_transition"


class ValidationFailed(DomainError):
    """Valid JSON that breaks a field rule: 422 with every field error at once."""

    status = 422
    code = "validation_failed"

    def __init__(self, fields, message="Some fields are not valid.", code=None):
        super().__init__(message, code=code, fields=fields)


class LockedOut(DomainError):
    status = 429
    code = "locked_out"

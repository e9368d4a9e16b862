"""The access log. Services call `record` in the same transaction as the work
it describes, so an entry exists exactly when the work does."""
from flask import has_request_context, request

from . import clock
from .extensions import db
from .models import AuditEntry


def remote_addr() -> str | None:
    return request.remote_addr if has_request_context() else "cli"


def record(actor, action: str, *, entity: str | None = None, entity_id: int | None = None,
           patient_id: int | None = None, detail: dict | None = None, at=None) -> AuditEntry:
    entry = AuditEntry(
        at=at or clock.now(),
        user_id=getattr(actor, "id", None),
        username=getattr(actor, "username", None),
        action=action,
        entity=entity,
        entity_id=entity_id,
        patient_id=patient_id,
        remote_addr=remote_addr(),
        detail=detail,
    )
    db.session.add(entry)
    return entry

"""The access log. Services call `record` in the same transaction as the work
it describes, so an entry exists exactly when the work does."""
from functools import lru_cache

from flask import has_request_context, request
from sqlalchemy import insert

from . import clock
from .extensions import db
from .models import AuditEntry


def remote_addr() -> str | None:
    return request.remote_addr if has_request_context() else "cli"


def _values(actor, action, entity, entity_id, patient_id, detail, at) -> dict:
    return dict(at=at or clock.now(), user_id=getattr(actor, "id", None),
                username=getattr(actor, "username", None), action=action, entity=entity,
                entity_id=entity_id, patient_id=patient_id, remote_addr=remote_addr(),
                detail=detail)


def record(actor, action: str, *, entity: str | None = None, entity_id: int | None = None,
           patient_id: int | None = None, detail: dict | None = None, at=None) -> AuditEntry:
    entry = AuditEntry(**_values(actor, action, entity, entity_id, patient_id, detail, at))
    db.session.add(entry)
    return entry


def record_read(actor, action: str, *, entity: str | None = None, entity_id: int | None = None,
                detail: dict | None = None, at=None) -> None:
    """The entry of a read (a list shown), as `record` makes it, written at once as
    one INSERT in the same transaction, without an ORM object to flush: the pill
    pass logs every page this way, and the unit of work cost about a millisecond of
    Python for this one row; the statement is built once (a new insert().values()
    cost a compilation's cache key on every page)."""
    db.session.connection().execute(_insert_entry(),
                                    _values(actor, action, entity, entity_id, None, detail, at))


@lru_cache(maxsize=1)
def _insert_entry():
    return insert(AuditEntry.__table__)

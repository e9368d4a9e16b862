from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db


class AuditEntry(db.Model):
    """Who did what to which record, when and from where. Append-only."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_patient_at", "patient_id", "at"),
        Index("ix_audit_entry_user_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    username: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[int | None]
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patient.id"))
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)
    # The hash chain, filled in by the sealer (services/audit_chain.py) in
    # chain_seq order: changing or deleting a sealed entry breaks the chain.
    chain_seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    entry_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(db.Model):
    """The last sealed entry. Print its hash somewhere else now and then (paper,
    another system): with it, even a rewrite of the whole chain is detected."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

"""Checklist instances, answers and community medication (issue 3).

A checklist instance keeps the snapshot of the definition it was opened with, so
publishing a new version of a checklist file never changes a started checklist.
Answers are append-only: the latest per item is current, earlier ones are history.
"""
from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db
from .facilities import Facility
from .patients import CustodyEpisode, CustodyEvent, Patient
from .staff import StaffUser

COMMUNITY_PROGRAMMES = ("ost", "art", "tb", "hcv", "prep", "other")
COMMUNITY_SOURCES = ("patient_report", "clinic_confirmed", "prescription_seen")


class ChecklistInstance(db.Model):
    """One checklist opened for one person by one custody event."""

    __tablename__ = "checklist_instance"
    __table_args__ = (
        # The facility list: open checklists (completed_at IS NULL) by next due time.
        Index("ix_checklist_instance_facility_open", "facility_id", "completed_at", "next_due_at"),
        Index("ix_checklist_instance_episode_kind", "episode_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("custody_episode.id"))
    # The facility responsible for completing it (the receiving one for transfer_in).
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    kind: Mapped[str] = mapped_column(String(16))
    definition_version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict] = mapped_column(JSON)          # rules.checklists.to_snapshot
    # What was known about the person when it opened (ChecklistSubject fields).
    subject: Mapped[dict] = mapped_column(JSON)
    trigger_event_id: Mapped[int] = mapped_column(ForeignKey("custody_event.id"))
    anchor_at: Mapped[datetime] = mapped_column(UtcDateTime)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Earliest due time of a visible unanswered item; None once complete.
    next_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    patient: Mapped[Patient] = relationship()
    episode: Mapped[CustodyEpisode] = relationship()
    facility: Mapped[Facility | None] = relationship()
    trigger_event: Mapped[CustodyEvent] = relationship()


class ChecklistAnswer(db.Model):
    """One answer to one item. Never edited: a correction is a newer row."""

    __tablename__ = "checklist_answer"
    __table_args__ = (
        Index("ix_checklist_answer_instance_item", "instance_id", "item_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("checklist_instance.id"))
    item_id: Mapped[str] = mapped_column(String(8))
    answer: Mapped[object] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    answered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    answered_by: Mapped[StaffUser | None] = relationship()


class CommunityMedication(db.Model):
    """What the person was taking in the community when admitted."""

    __tablename__ = "community_medication"
    __table_args__ = (
        Index("ix_community_medication_episode", "episode_id", "programme"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("custody_episode.id"))
    programme: Mapped[str] = mapped_column(String(8))
    drug: Mapped[str] = mapped_column(String(200))
    dose: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    unit: Mapped[str] = mapped_column(String(16))
    last_dose_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    source: Mapped[str] = mapped_column(String(20))
    clinic: Mapped[str | None] = mapped_column(String(200))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    recorded_by: Mapped[StaffUser | None] = relationship()

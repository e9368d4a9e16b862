"""Patients and their custody timeline.

The events are the record; the custody columns on `Patient` are a snapshot the
service keeps in step with them (same transaction) so that ward and facility
lists are one indexed query at national scale.
"""
from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db
from .facilities import Facility, Ward

SEXES = ("female", "male", "intersex", "unknown")
LEGAL_STATUSES = ("pretrial", "sentenced")


class Patient(db.Model):
    __tablename__ = "patient"
    __table_args__ = (
        Index("ix_patient_facility_status", "facility_id", "custody_status"),
        Index("ix_patient_family_name", "family_name"),
        # The release window: who is due a release plan (the sweep, migration 0023).
        Index("ix_patient_expected_release", "expected_release_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    prison_number: Mapped[str] = mapped_column(String(32), unique=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100))
    date_of_birth: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))
    gender_identity: Mapped[str | None] = mapped_column(String(64))
    preferred_language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    # Custody snapshot, derived from the events.
    custody_status: Mapped[str] = mapped_column(String(20), default="never_admitted")
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"), index=True)
    to_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    legal_status: Mapped[str | None] = mapped_column(String(10))
    expected_release_on: Mapped[date | None] = mapped_column(Date)
    next_court_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    planned_transfer_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Bumped by every custody event: the UPDATE checks the value it read, so two
    # events recorded at the same moment cannot both apply to the same state.
    custody_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __mapper_args__ = {"version_id_col": custody_version, "version_id_generator": False}

    facility: Mapped[Facility | None] = relationship(foreign_keys=[facility_id])
    ward: Mapped[Ward | None] = relationship()
    to_facility: Mapped[Facility | None] = relationship(foreign_keys=[to_facility_id])

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def __repr__(self):
        return f"<Patient {self.prison_number}>"


class CustodyEpisode(db.Model):
    """From admission to release."""

    __tablename__ = "custody_episode"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    admitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_from: Mapped[str | None] = mapped_column(String(10))

    events: Mapped[list["CustodyEvent"]] = relationship(
        back_populates="episode", order_by="CustodyEvent.seq"
    )


class CustodyEvent(db.Model):
    """One entry of the custody timeline. Never edited; `seq` orders an episode's
    events and makes two simultaneous appends collide instead of interleaving."""

    __tablename__ = "custody_event"
    __table_args__ = (
        UniqueConstraint("episode_id", "seq"),
        Index("ix_custody_event_patient_occurred", "patient_id", "occurred_at"),
        Index("ix_custody_event_type_occurred", "type", "occurred_at"),
        Index("ix_custody_event_recorded", "recorded_at"),   # the sweep: entered lately
        Index("ix_custody_event_expected", "expected_at"),   # movements planned ahead (0022)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    episode_id: Mapped[int] = mapped_column(ForeignKey("custody_episode.id"))
    seq: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(24))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"))
    to_facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    legal_status: Mapped[str | None] = mapped_column(String(10))
    expected_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    release_from: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str | None] = mapped_column(Text)
    status_before: Mapped[str] = mapped_column(String(20))
    status_after: Mapped[str] = mapped_column(String(20))

    episode: Mapped[CustodyEpisode] = relationship(back_populates="events")
    facility: Mapped[Facility | None] = relationship(foreign_keys=[facility_id])
    ward: Mapped[Ward | None] = relationship()
    to_facility: Mapped[Facility | None] = relationship(foreign_keys=[to_facility_id])
    recorded_by = relationship("StaffUser")

"""Medication orders, scheduled doses, administrations and reviews (issue 4).

Clinical records are append-only: an order is changed by a new linked version
(`replaces_id`, same `lineage_id`), an administration is corrected by voiding it
with a reason and recording again. A scheduled dose is the plan: one row per
order and due instant (the unique constraint makes generation idempotent); its
`status` mirrors the live administration or the scheduler's mark.
"""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, Numeric, String, Text,
                        UniqueConstraint, and_, text)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db
from .facilities import Facility, Ward
from .patients import Patient
from .staff import StaffUser

PROGRAMMES = ("ost", "art", "tb", "hcv", "prep", "other")
ADMINISTRATION_MODES = ("witnessed", "nurse_administered", "keep_on_person")
ORDER_STATUSES = ("active", "superseded", "discontinued")
DOSE_STATUSES = ("due", "given", "refused", "held", "not_available", "absent", "missed")
RECORDED_OUTCOMES = ("given", "refused", "held", "not_available")
SYSTEM_MARKS = ("absent", "missed")
# A dose in one of these has no live administration; in RECORDED_OUTCOMES it has one
# (administration.py sets both in one transaction; the scheduler marks only these;
# tests/services/test_dose_status_invariant.py). The pill pass relies on it.
UNRECORDED = ("due", *SYSTEM_MARKS)
TB_PHASES = ("intensive", "continuation")


class MedicationOrder(db.Model):
    __tablename__ = "medication_order"
    __table_args__ = (
        Index("ix_medication_order_patient_status", "patient_id", "status"),
        Index("ix_medication_order_lineage", "lineage_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    programme: Mapped[str] = mapped_column(String(8))
    drug: Mapped[str] = mapped_column(String(200))
    dose: Mapped[Decimal] = mapped_column(Numeric(10, 3))
    unit: Mapped[str] = mapped_column(String(16))
    route: Mapped[str] = mapped_column(String(32))
    times: Mapped[list] = mapped_column(JSON)
    every_days: Mapped[int] = mapped_column(Integer, default=1)
    start_at: Mapped[datetime] = mapped_column(UtcDateTime)
    end_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    administration: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[int | None] = mapped_column(Integer)
    days_supply: Mapped[int | None] = mapped_column(Integer)
    # TB orders only: the treatment phase, which the TB interruption rules depend on.
    phase: Mapped[str | None] = mapped_column(String(16))
    prescriber_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    lineage_id: Mapped[int | None] = mapped_column(Integer)
    replaces_id: Mapped[int | None] = mapped_column(ForeignKey("medication_order.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    discontinued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    discontinued_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    discontinue_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    patient: Mapped[Patient] = relationship()
    prescriber: Mapped[StaffUser | None] = relationship(foreign_keys=[prescriber_id])
    discontinued_by: Mapped[StaffUser | None] = relationship(foreign_keys=[discontinued_by_id])

    @property
    def times_per_day(self) -> int:
        return len(self.times or [])


class ScheduledDose(db.Model):
    __tablename__ = "scheduled_dose"
    __table_args__ = (
        UniqueConstraint("order_id", "due_at"),
        Index("ix_scheduled_dose_facility_day", "facility_id", "local_date", "ward_id"),
        Index("ix_scheduled_dose_patient_day", "patient_id", "local_date"),
        # The sweep's windows (issue 5): doses by status and due instant (marks), by
        # due instant (generation), and those whose status changed lately (episodes).
        Index("ix_scheduled_dose_status_due", "status", "due_at"),
        Index("ix_scheduled_dose_due_order", "due_at", "order_id"),
        Index("ix_scheduled_dose_status_at", "status_at"),
        # Covers the pill pass's guards (status per patient and day, and the order):
        # read from the index alone, not from the table (migration 0009).
        Index("ix_scheduled_dose_patient_day_status", "patient_id", "local_date", "status",
              "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("medication_order.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    ward_id: Mapped[int | None] = mapped_column(ForeignKey("ward.id"))
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    local_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="due")
    status_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The number of the sweep job run that set `status` (services/sweep_watermark.py);
    # any other write of the row clears it.
    status_run: Mapped[int | None] = mapped_column(Integer, onupdate=lambda: None)

    order: Mapped[MedicationOrder] = relationship()
    patient: Mapped[Patient] = relationship()
    facility: Mapped[Facility] = relationship()
    ward: Mapped[Ward | None] = relationship()
    administration: Mapped["DoseAdministration | None"] = relationship(
        primaryjoin=lambda: and_(DoseAdministration.dose_id == ScheduledDose.id,
                                 DoseAdministration.voided_at.is_(None)),
        viewonly=True, uselist=False)


class DoseAdministration(db.Model):
    """One person's record of what happened to a scheduled dose. Never edited:
    voiding sets the three void columns and nothing else."""

    __tablename__ = "dose_administration"
    __table_args__ = (
        # At most one live record per dose, on SQLite and PostgreSQL alike: two
        # nurses recording the same dose at once get one row and one conflict.
        Index("uq_dose_administration_live", "dose_id", unique=True,
              sqlite_where=text("voided_at IS NULL"),
              postgresql_where=text("voided_at IS NULL")),
        Index("ix_dose_administration_patient_at", "patient_id", "administered_at"),
        # The records voided lately, for the sweep's rules (migration 0022): few rows.
        Index("ix_dose_administration_voided", "voided_at",
              sqlite_where=text("voided_at IS NOT NULL"),
              postgresql_where=text("voided_at IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dose_id: Mapped[int] = mapped_column(ForeignKey("scheduled_dose.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("medication_order.id"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    administered_at: Mapped[datetime] = mapped_column(UtcDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    witnessed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    dose_given: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    voided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    void_reason: Mapped[str | None] = mapped_column(Text)

    dose: Mapped[ScheduledDose] = relationship()
    recorded_by: Mapped[StaffUser | None] = relationship(foreign_keys=[recorded_by_id])
    witnessed_by: Mapped[StaffUser | None] = relationship(foreign_keys=[witnessed_by_id])
    voided_by: Mapped[StaffUser | None] = relationship(foreign_keys=[voided_by_id])


class ClinicalReview(db.Model):
    """A clinician's review of a programme: unblocks OST dosing after missed days."""

    __tablename__ = "clinical_review"
    __table_args__ = (Index("ix_clinical_review_patient_programme", "patient_id", "programme",
                            "reviewed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    programme: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(Text)
    new_dose: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("medication_order.id"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    reviewed_by: Mapped[StaffUser | None] = relationship()

"""Alerts raised by the rules, and the scheduler's own bookkeeping."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db

SEVERITIES = ("info", "warning", "high", "critical")
ALERT_STATUSES = ("open", "acknowledged", "resolved")


class Alert(db.Model):
    """One raised condition for one patient. `dedup_key` names the condition
    (rule, patient, and what it is about), so raising is idempotent: the same
    condition never raises twice, whenever and however often the sweep runs."""

    __tablename__ = "alert"
    __table_args__ = (
        Index("ix_alert_facility_status", "facility_id", "status", "severity"),
        Index("ix_alert_patient_status", "patient_id", "status"),
        # The navigation's count of open alerts per role (covering: no table read).
        Index("ix_alert_status_role", "status", "role", "facility_id", "severity",
              "escalated_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    rule_code: Mapped[str] = mapped_column(String(32), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    role: Mapped[str] = mapped_column(String(20))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    programme: Mapped[str | None] = mapped_column(String(10))
    message: Mapped[str] = mapped_column(Text)
    action: Mapped[str | None] = mapped_column(Text)
    # What custody staff may see: a task without any diagnosis (None: nothing).
    custody_message: Mapped[str | None] = mapped_column(Text)
    cause_event_type: Mapped[str | None] = mapped_column(String(24))
    cause_event_id: Mapped[int | None] = mapped_column(ForeignKey("custody_event.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    acknowledge_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    resolve_note: Mapped[str | None] = mapped_column(Text)
    # Escalation hands the alert to a second role (the rule's escalate_to); `role`
    # keeps the role it escalated from and still sees it.
    escalated_to: Mapped[str | None] = mapped_column(String(20))
    # The custody task (custody_message) is custody's own work: done or not, it never
    # acknowledges or resolves the clinical alert. None: not acted on yet.
    custody_status: Mapped[str | None] = mapped_column(String(12))
    custody_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    custody_updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    custody_note: Mapped[str | None] = mapped_column(Text)

    patient = relationship("Patient")
    facility = relationship("Facility")


class SchedulerLock(db.Model):
    """A lease: the process whose heartbeat is fresh does the work. Taken and
    renewed with one conditional UPDATE, so it works on SQLite and PostgreSQL."""

    __tablename__ = "scheduler_lock"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    acquired_at: Mapped[datetime] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime)

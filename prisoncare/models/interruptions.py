"""What the scheduler derives from the MAR and the custody timeline (issue 5).

`DoseMark` remembers why the scheduler marked a dose `absent` (where she was, and
the custody event that took her there) or `missed`; a person's record of the dose
always wins over a mark. `InterruptionEpisode` is one run of days without a given
dose of one programme for one patient (see rules/interruptions.py for the
definitions); the sweep recomputes the recent ones from the doses, so a late
entry or a voided record is reflected by the next run.
"""
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db

DOSE_MARKS = ("absent", "missed")
# Where she was when an `absent` dose was due.
ABSENCE_CAUSES = ("court", "hospital", "transfer", "released")


class DoseMark(db.Model):
    """The scheduler's current mark on one scheduled dose, with its reason."""

    __tablename__ = "dose_mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    dose_id: Mapped[int] = mapped_column(ForeignKey("scheduled_dose.id"), unique=True)
    mark: Mapped[str] = mapped_column(String(10))
    cause: Mapped[str | None] = mapped_column(String(12))
    custody_event_id: Mapped[int | None] = mapped_column(ForeignKey("custody_event.id"))
    marked_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    custody_event = relationship("CustodyEvent")


class InterruptionEpisode(db.Model):
    """Days without a given dose of one programme, with the cause attributed from
    the timeline. `end_on` None: still going on."""

    __tablename__ = "interruption_episode"
    __table_args__ = (
        UniqueConstraint("patient_id", "programme", "start_on"),
        Index("ix_interruption_episode_facility_start", "facility_id", "start_on"),
        Index("ix_interruption_episode_end", "end_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    programme: Mapped[str] = mapped_column(String(8))
    drug_family: Mapped[str | None] = mapped_column(String(20))
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date)
    length_days: Mapped[int] = mapped_column(Integer)
    missed_days: Mapped[int] = mapped_column(Integer)
    missed_doses: Mapped[int] = mapped_column(Integer)
    held_days: Mapped[int] = mapped_column(Integer)
    cause: Mapped[str] = mapped_column(String(24))
    cause_days: Mapped[dict] = mapped_column(JSON)
    cause_event_id: Mapped[int | None] = mapped_column(ForeignKey("custody_event.id"))
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    # The number of the sweep job run that wrote it last (services/sweep_watermark.py);
    # any other write of the row clears it.
    updated_run: Mapped[int | None] = mapped_column(Integer, onupdate=lambda: None)

    patient = relationship("Patient")
    facility = relationship("Facility")
    cause_event = relationship("CustodyEvent")

    @property
    def ongoing(self) -> bool:
        return self.end_on is None


class SweepWatermark(db.Model):
    """The instant up to which a sweep job has taken every change into account
    (written in the job's own transaction, so a job killed halfway leaves it where
    it was): the next run rereads what changed since, minus a margin, except what
    the sweep's runs up to `run` (the number of that run) wrote."""

    __tablename__ = "sweep_watermark"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UtcDateTime)
    run: Mapped[int | None] = mapped_column(Integer)

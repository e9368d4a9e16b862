"""The transfer handover (issue 5, OST-T-01 and TB-06): what the sending health unit
sent to the receiving one for a patient about to be transferred, when and by whom.
Append-only: a correction is a new handover."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db

# The programmes a handover can cover, and what it must contain for each.
HANDOVER_PROGRAMMES = ("ost", "art", "tb", "hcv")


class TransferHandover(db.Model):
    __tablename__ = "transfer_handover"
    __table_args__ = (Index("ix_transfer_handover_event", "transfer_event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("custody_episode.id"))
    # The move it is for: the first transfer_scheduled (or transfer_out) since she arrived.
    transfer_event_id: Mapped[int] = mapped_column(ForeignKey("custody_event.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))     # sending
    to_facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))         # receiving
    programmes: Mapped[list] = mapped_column(JSON)
    prescription_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    mar_summary_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    last_dose_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    take_home_doses: Mapped[int | None] = mapped_column(Integer)
    treatment_card_sent: Mapped[bool] = mapped_column(Boolean, default=False)
    tb_doses_remaining: Mapped[int | None] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)

    patient = relationship("Patient")
    facility = relationship("Facility", foreign_keys=[facility_id])
    to_facility = relationship("Facility", foreign_keys=[to_facility_id])
    transfer_event = relationship("CustodyEvent")
    recorded_by = relationship("StaffUser")

"""A patient's photo (issue 4, item 5): one current photo per patient, in the
database so that SQLite and PostgreSQL backups hold it. A new upload replaces the
old one (the audit log keeps who, when and the old and new SHA-256, not the image)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from ..db_types import UtcDateTime
from ..extensions import db


class PatientPhoto(db.Model):
    __tablename__ = "patient_photo"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), primary_key=True)
    content_type: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # Deferred: lists and the pill pass ask only whether a photo exists.
    data: Mapped[bytes] = deferred(mapped_column(LargeBinary, nullable=False))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

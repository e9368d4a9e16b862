from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db

FACILITY_KINDS = ("pretrial", "prison", "other_closed")
POPULATIONS = ("women", "men", "mixed")


class Facility(db.Model):
    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    population: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))

    wards: Mapped[list["Ward"]] = relationship(
        back_populates="facility", order_by="Ward.code", cascade="all, delete-orphan"
    )

    def __repr__(self):
        return f"<Facility {self.code}>"


class Ward(db.Model):
    __tablename__ = "ward"
    __table_args__ = (UniqueConstraint("facility_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))

    facility: Mapped[Facility] = relationship(back_populates="wards")

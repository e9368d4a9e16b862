"""Sexual and reproductive health records (issue 6).

Append-only clinical entries (tests, contacts, preventive care, child care,
violence, escorts); the pregnancy episode and a child's record carry their
current state (birth plan, outcome, feeding) and every change is audited.
The record exists for women, and for anyone a clinician enables it for
(`SrhEnablement`).
"""
from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db

PREGNANCY_TEST_STATUSES = ("offered", "declined", "done")
PREGNANCY_TEST_RESULTS = ("positive", "negative", "invalid")
DATING_METHODS = ("lmp", "scan")
PREGNANCY_STATUSES = ("ongoing", "ended")
OUTCOMES = ("live_birth", "stillbirth", "miscarriage", "termination", "ectopic", "other")
CONTACT_KINDS = ("antenatal", "postnatal")
FEEDING = ("breastfeeding", "replacement", "mixed", "not_applicable")
BREASTFEEDING_STATUSES = ("breastfeeding", "not_breastfeeding", "stopped")
CHILD_CARE_KINDS = ("health_screen", "immunisation", "prophylaxis_start", "prophylaxis_stop",
                    "hiv_test", "developmental_check")
PREVENTIVE_KINDS = ("cervical_screening", "breast_screening", "sti_test", "sti_treatment",
                    "contraception_counselling", "contraception_provided", "hygiene_materials",
                    "viral_load")
# viral_load (PMTCT, for a woman on ART): suppressed | detectable | declined.
PREVENTIVE_RESULTS = ("normal", "abnormal", "positive", "negative", "declined", "suppressed",
                      "detectable")
VIOLENCE_PERIODS = ("before_custody", "during_custody", "both", "not_stated")
ESCORT_PURPOSES = ("labour_birth", "antenatal", "other")
SUPPORT_KINDS = ("psychological", "medical", "legal_aid", "judicial_referral", "shelter", "none")


class _Entry:
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))


class SrhEnablement(_Entry, db.Model):
    """A clinician's decision that this patient (not recorded as female) needs an SRH
    record. Reversible: a clinician revokes it with a reason (`revoked_at`), and
    enabling it again reopens the same row; the access log keeps every step."""

    __tablename__ = "srh_enablement"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)


class PregnancyTest(_Entry, db.Model):
    __tablename__ = "srh_pregnancy_test"
    __table_args__ = (Index("ix_srh_pregnancy_test_patient", "patient_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    status: Mapped[str] = mapped_column(String(10))
    result: Mapped[str | None] = mapped_column(String(10))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)


class Pregnancy(_Entry, db.Model):
    """One pregnancy episode: dating, birth plan, outcome."""

    __tablename__ = "srh_pregnancy"
    __table_args__ = (Index("ix_srh_pregnancy_patient_status", "patient_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    status: Mapped[str] = mapped_column(String(10), default="ongoing")
    dating_method: Mapped[str] = mapped_column(String(8))
    lmp_on: Mapped[date | None] = mapped_column(Date)
    scan_on: Mapped[date | None] = mapped_column(Date)
    scan_gestation_days: Mapped[int | None] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date)
    drug_dependent: Mapped[bool] = mapped_column(Boolean, default=False)
    # birth plan
    plan_hospital: Mapped[str | None] = mapped_column(String(200))
    plan_escort: Mapped[str | None] = mapped_column(Text)
    plan_who_is_told: Mapped[list | None] = mapped_column(JSON)
    plan_feeding_intention: Mapped[str | None] = mapped_column(String(20))
    plan_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # outcome
    outcome: Mapped[str | None] = mapped_column(String(16))
    ended_on: Mapped[date | None] = mapped_column(Date)
    outcome_note: Mapped[str | None] = mapped_column(Text)

    contacts: Mapped[list["MaternityContact"]] = relationship(
        back_populates="pregnancy", order_by="MaternityContact.contact_on")


class MaternityContact(_Entry, db.Model):
    __tablename__ = "srh_maternity_contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    pregnancy_id: Mapped[int] = mapped_column(ForeignKey("srh_pregnancy.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    contact_on: Mapped[date] = mapped_column(Date)
    by_whom: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)

    pregnancy: Mapped[Pregnancy] = relationship(back_populates="contacts")


class BreastfeedingStatus(_Entry, db.Model):
    __tablename__ = "srh_breastfeeding"
    __table_args__ = (Index("ix_srh_breastfeeding_patient", "patient_id", "since_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    status: Mapped[str] = mapped_column(String(20))
    since_on: Mapped[date] = mapped_column(Date)


class Child(_Entry, db.Model):
    """A child living with her mother in the facility (never a prisoner: Rule 49)."""

    __tablename__ = "srh_child"

    id: Mapped[int] = mapped_column(primary_key=True)
    mother_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    pregnancy_id: Mapped[int | None] = mapped_column(ForeignKey("srh_pregnancy.id"))
    name: Mapped[str] = mapped_column(String(200))
    sex: Mapped[str | None] = mapped_column(String(10))
    born_at: Mapped[datetime] = mapped_column(UtcDateTime)
    arrived_at: Mapped[datetime] = mapped_column(UtcDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    left_to: Mapped[str | None] = mapped_column(String(200))   # where / to whom she went
    hiv_exposed: Mapped[bool] = mapped_column(Boolean, default=False)
    feeding: Mapped[str | None] = mapped_column(String(20))

    care: Mapped[list["ChildCare"]] = relationship(back_populates="child", order_by="ChildCare.done_on")


class ChildCare(_Entry, db.Model):
    __tablename__ = "srh_child_care"

    id: Mapped[int] = mapped_column(primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("srh_child.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    code: Mapped[str | None] = mapped_column(String(32))
    done_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)

    child: Mapped[Child] = relationship(back_populates="care")


class PreventiveCare(_Entry, db.Model):
    __tablename__ = "srh_preventive"
    __table_args__ = (Index("ix_srh_preventive_patient_kind", "patient_id", "kind", "done_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"))
    kind: Mapped[str] = mapped_column(String(32))
    done_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str | None] = mapped_column(String(10))
    detail: Mapped[str | None] = mapped_column(Text)


class ViolenceRecord(_Entry, db.Model):
    """Confidential (Rules 6(e), 7, 25): clinical roles only, every read audited."""

    __tablename__ = "srh_violence"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    period: Mapped[str] = mapped_column(String(16))
    disclosure: Mapped[str] = mapped_column(Text)
    informed_of_recourse: Mapped[bool] = mapped_column(Boolean)
    support_accepted: Mapped[list] = mapped_column(JSON)
    referral: Mapped[str | None] = mapped_column(Text)


class HospitalEscort(_Entry, db.Model):
    """A custody escort to hospital, recording whether restraint was used (Rule 24)."""

    __tablename__ = "srh_hospital_escort"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    escorted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    hospital: Mapped[str | None] = mapped_column(String(200))
    restraint_used: Mapped[bool] = mapped_column(Boolean)
    restraint_note: Mapped[str | None] = mapped_column(Text)
    rule24_applied: Mapped[bool] = mapped_column(Boolean, default=False)
    # labour_birth applies Rule 24 whatever the gestation (preterm labour)
    purpose: Mapped[str | None] = mapped_column(String(16), default="other")

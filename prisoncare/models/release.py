"""Release plans, community providers, consents and follow-up (issue 7).

One plan per custody episode. Its referrals (a provider, a first appointment and
a bridging supply per need), consents and follow-ups are rows, so the scheduler
can ask set-based questions ("first appointments with no outcome 72 h after");
the plan's checks, social-need outcomes and what is known about her
(`circumstances`) are small documents validated by the service against the rules
file (rules/data/release_plan.toml).
"""
from datetime import date, datetime

from sqlalchemy import (JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import clock
from ..db_types import UtcDateTime
from ..extensions import db
from .facilities import Facility
from .patients import CustodyEpisode, Patient

PLAN_STATUSES = ("draft", "finalized")
PLAN_KINDS = ("planned", "emergency")
PLAN_TRIGGERS = ("release_scheduled", "sentenced", "release_window", "release", "manual")


class CommunityProvider(db.Model):
    """A community service officers refer to; kept by admins. Never deleted:
    a provider that closes is made inactive."""

    __tablename__ = "community_provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    services: Mapped[list] = mapped_column(JSON)
    address: Mapped[str | None] = mapped_column(Text)
    city: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    hours: Mapped[str | None] = mapped_column(String(200))
    women_only: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)


class ReleasePlan(db.Model):
    __tablename__ = "release_plan"
    __table_args__ = (Index("ix_release_plan_facility_release", "facility_id", "release_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("custody_episode.id"), unique=True)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"))
    kind: Mapped[str] = mapped_column(String(10), default="planned")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    trigger: Mapped[str] = mapped_column(String(20))
    definition_version: Mapped[int] = mapped_column(Integer)
    release_on: Mapped[date | None] = mapped_column(Date)
    circumstances: Mapped[dict] = mapped_column(JSON, default=dict)
    checks: Mapped[dict] = mapped_column(JSON, default=dict)
    social_needs: Mapped[dict] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    finalized_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    patient: Mapped[Patient] = relationship()
    episode: Mapped[CustodyEpisode] = relationship()
    facility: Mapped[Facility | None] = relationship()
    referrals: Mapped[list["ReleaseReferral"]] = relationship(
        back_populates="plan", order_by="ReleaseReferral.id", cascade="all, delete-orphan")
    consents: Mapped[list["ReleaseConsent"]] = relationship(
        back_populates="plan", order_by="ReleaseConsent.id", cascade="all, delete-orphan")


class ReleaseReferral(db.Model):
    """The community link for one need (ost, art, tb, hcv, antenatal, paediatric)."""

    __tablename__ = "release_referral"
    __table_args__ = (UniqueConstraint("plan_id", "need"),
                      Index("ix_release_referral_appointment", "appointment_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("release_plan.id"))
    need: Mapped[str] = mapped_column(String(16))
    provider_id: Mapped[int | None] = mapped_column(ForeignKey("community_provider.id"))
    appointment_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    supply_days: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)

    plan: Mapped[ReleasePlan] = relationship(back_populates="referrals")
    provider: Mapped[CommunityProvider | None] = relationship()


class ReleaseConsent(db.Model):
    """What she agreed may be shared with one provider, per category."""

    __tablename__ = "release_consent"
    __table_args__ = (UniqueConstraint("plan_id", "provider_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("release_plan.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("community_provider.id"))
    category: Mapped[str] = mapped_column(String(12))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    plan: Mapped[ReleasePlan] = relationship(back_populates="consents")
    provider: Mapped[CommunityProvider] = relationship()


class ReleaseFollowUp(db.Model):
    """One check after release of whether she reached a provider (append-only;
    `attended` None = could not find out)."""

    __tablename__ = "release_follow_up"
    __table_args__ = (Index("ix_release_follow_up_plan", "plan_id", "provider_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("release_plan.id"))
    provider_id: Mapped[int] = mapped_column(ForeignKey("community_provider.id"))
    attended: Mapped[bool | None] = mapped_column(Boolean)
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Which appointment (the referral's need) and which check (3, 7 or 30 days after
    # release) this answers; None on rows recorded before the worklist existed.
    need: Mapped[str | None] = mapped_column(String(16))
    checkpoint_day: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=clock.now)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_user.id"))

    provider: Mapped[CommunityProvider] = relationship()

"""Recording what happened to a scheduled dose and voiding a record, behind the two
safety guards (services/guards.py: OST review block, same-day double dose).

Error choices (documented in the API): a second `given` dose of the same order on
the same local day is 409 `dose_already_given_today` (a conflict with what is
already recorded); a dose more than EARLY_WINDOW before it is due is 422
`not_yet_due`.
"""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from .. import audit
from ..authz import CLINICAL_ROLES
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models.medication import DoseAdministration, ScheduledDose
from ..models.staff import StaffUser, UserRole
from ..rules import schedule as schedule_rules
from .guards import ALREADY_GIVEN_TODAY, REVIEW_REQUIRED, already_given_today, review_blocked

LATE_ENTRY_LIMIT = timedelta(days=7)   # default; the view passes the configured value
LATE_AFTER = timedelta(minutes=15)     # recorded this long after it happened: a late entry
CLOCK_SKEW = timedelta(minutes=2)
EARLY_WINDOW = timedelta(hours=3)      # a dose may be given this long before it is due
MAX_EVERY_DAYS = schedule_rules.EVERY_DAYS_MAX

ALREADY_RECORDED = "dose_already_recorded"


# -- recording -------------------------------------------------------------------------

def _witness(username: str | None) -> StaffUser | None:
    """The witness if she is an active nurse or clinician, in one query (her role
    and facility rows are not loaded with her)."""
    if not username:
        return None
    return db.session.scalar(
        select(StaffUser).where(
            StaffUser.username == username, StaffUser.disabled_at.is_(None),
            exists().where(UserRole.user_id == StaffUser.id, UserRole.role.in_(CLINICAL_ROLES)))
        .options(lazyload(StaffUser.role_rows), lazyload(StaffUser.facility_rows)))


def _check_fields(dose: ScheduledDose, data: dict, *, now, late_limit) -> tuple[dict, StaffUser | None]:
    errors: dict[str, list[str]] = {}
    outcome = data["outcome"]
    at = data.get("administered_at") or now
    if at > now + CLOCK_SKEW:
        errors.setdefault("administered_at", []).append("Cannot be in the future.")
    elif at < now - late_limit:
        errors.setdefault("administered_at", []).append(
            f"A late entry may be at most {late_limit.days} days back.")
    elif outcome == "given" and at < dose.due_at - EARLY_WINDOW:
        errors.setdefault("administered_at", []).append("This dose is not due yet.")
    if outcome != "given" and not (data.get("reason") or "").strip():
        errors.setdefault("reason", []).append(f"Say why the dose was {outcome.replace('_', ' ')}.")
    witness = None
    if data.get("witnessed_by"):
        witness = _witness(data["witnessed_by"])
        if witness is None:
            errors.setdefault("witnessed_by", []).append("Not a nurse or clinician of this service.")
    elif outcome == "given" and dose.order.administration == "witnessed":
        errors.setdefault("witnessed_by", []).append("A witnessed dose needs the witness.")
    if data.get("dose_given") is not None and data["dose_given"] <= 0:
        errors.setdefault("dose_given", []).append("Must be more than zero.")
    return errors, witness


def _live_record_exists(dose: ScheduledDose) -> bool:
    return db.session.scalar(select(DoseAdministration.id).where(
        DoseAdministration.dose_id == dose.id, DoseAdministration.voided_at.is_(None))) is not None


def record_administration(actor, dose: ScheduledDose, data: dict, *, now,
                          late_limit: timedelta = LATE_ENTRY_LIMIT,
                          thresholds=None) -> DoseAdministration:
    """Record given / refused / held / not_available for a dose (see the module doc)."""
    if dose.administration is not None:
        raise Conflict("This dose has already been recorded; void that record to correct it.",
                       code=ALREADY_RECORDED)
    errors, witness = _check_fields(dose, data, now=now, late_limit=late_limit)
    if errors:
        raise ValidationFailed(errors)
    outcome = data["outcome"]
    if outcome == "given":
        if dose.id in already_given_today([dose]):
            if _live_record_exists(dose):  # recorded by someone else since we loaded it
                raise Conflict("This dose has just been recorded by someone else.",
                               code=ALREADY_RECORDED)
            raise Conflict("This order's doses for the day have already been given.",
                           code=ALREADY_GIVEN_TODAY)
        if dose.id in review_blocked([dose], thresholds):
            raise ValidationFailed(
                {"outcome": ["Missed days reached the review threshold: a clinician must "
                             "review her before she is dosed."]},
                message="A clinician review is required before this dose.", code=REVIEW_REQUIRED)
    at = data.get("administered_at") or now
    late = at < now - LATE_AFTER
    record = DoseAdministration(
        dose_id=dose.id, order_id=dose.order_id, patient_id=dose.patient_id, outcome=outcome,
        administered_at=at, recorded_at=now, recorded_by_id=getattr(actor, "id", None),
        witnessed_by_id=witness.id if witness else None,
        reason=(data.get("reason") or "").strip() or None,
        dose_given=Decimal(str(data["dose_given"])) if data.get("dose_given") is not None else None,
        late=late)
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:  # the live-record index: someone recorded it a moment ago
        raise Conflict("This dose has just been recorded by someone else.",
                       code=ALREADY_RECORDED) from None
    previous = dose.status
    dose.status = outcome
    dose.status_at = now
    db.session.expire(dose, ["administration"])
    audit.record(actor, f"dose.{outcome}", entity="dose_administration", entity_id=record.id,
                 patient_id=dose.patient_id, at=now,
                 detail={"dose_id": dose.id, "late": late, "administered_at": at.isoformat(),
                         "superseded_mark": previous if previous in ("missed", "absent") else None})
    return record


def void_administration(actor, dose: ScheduledDose, reason: str, *, now) -> DoseAdministration:
    """Void the live record of a dose (a correction); the dose can then be recorded again."""
    if not (reason or "").strip():
        raise ValidationFailed({"reason": ["A correction needs a reason."]})
    record = dose.administration
    if record is None:
        raise NotFound("This dose has no record to void.")
    record.voided_at = now
    record.voided_by_id = getattr(actor, "id", None)
    record.void_reason = reason.strip()
    dose.status = "due"
    dose.status_at = now
    db.session.flush()
    db.session.expire(dose, ["administration"])
    audit.record(actor, "dose.void", entity="dose_administration", entity_id=record.id,
                 patient_id=dose.patient_id, at=now, detail={"dose_id": dose.id,
                                                             "reason": record.void_reason})
    return record

"""Medication orders: prescribe, change (a new linked version), discontinue.

Only clinicians prescribe (the views require ORDER_WRITE). An order belongs to
the patient, not to a facility, so it follows her across transfers. Every check
runs before anything is written; all field errors are reported at once.
"""
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import delete, or_, select

from .. import audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ..models.patients import Patient
from ..rules import schedule as schedule_rules
from .alerts import AlertSpec, raise_alert
from .srh import is_pregnant

# An order written on paper during downtime may be entered this much later.
BACKDATE_LIMIT = timedelta(days=30)
CLOCK_SKEW = timedelta(minutes=2)
CHANGEABLE = ("dose", "unit", "route", "schedule", "end_at", "administration", "quantity",
              "days_supply", "drug", "phase")


def active_programmes(patient_id: int, at: datetime) -> set[str]:
    """Programmes with an order active at `at` (used by intake and the alert rules).
    A superseded or discontinued version ends where it stopped (`end_at`), so the
    versions of an order cover its time without gaps or overlaps."""
    rows = db.session.scalars(
        select(MedicationOrder.programme).where(
            MedicationOrder.patient_id == patient_id,
            MedicationOrder.start_at <= at,
            or_(MedicationOrder.end_at.is_(None), MedicationOrder.end_at > at),
        ))
    return set(rows)


def patient_orders(patient: Patient, *, include_inactive=True) -> list[MedicationOrder]:
    query = select(MedicationOrder).where(MedicationOrder.patient_id == patient.id)
    if not include_inactive:
        query = query.where(MedicationOrder.status == "active")
    return db.session.scalars(query.order_by(MedicationOrder.programme, MedicationOrder.id)).all()


def load_order(actor, order_id: int) -> MedicationOrder:
    """An order whose patient the user may see (404 otherwise)."""
    from ..authz import ensure_patient_visible
    order = db.session.get(MedicationOrder, order_id)
    if order is None:
        raise NotFound("No such order.")
    try:
        ensure_patient_visible(actor, order.patient)
    except NotFound:
        raise NotFound("No such order.") from None
    return order


def _validate(data: dict, *, now, floor: datetime | None = None) -> dict:
    """Field rules shared by a new order and a new version. Returns the errors."""
    errors: dict[str, list[str]] = {}
    schedule = data.get("schedule") or {}
    _, sched_errors = schedule_rules.parse_times(schedule.get("times"), schedule.get("every_days", 1))
    for name, reasons in sched_errors.items():
        errors[f"schedule.{name}"] = reasons
    if data.get("programme") == "ost" and data.get("administration") != "witnessed":
        errors.setdefault("administration", []).append("OST is always witnessed.")
    if data.get("administration") == "keep_on_person":
        for name in ("quantity", "days_supply"):
            if not data.get(name):
                errors.setdefault(name, []).append("Required for a keep-on-person order.")
    if data.get("phase") is not None and data.get("programme") != "tb":
        errors.setdefault("phase", []).append("Only TB orders have a treatment phase.")
    if data.get("dose") is not None and data["dose"] <= 0:
        errors.setdefault("dose", []).append("Must be more than zero.")
    start = data.get("start_at")
    if start is not None:
        if start < now - BACKDATE_LIMIT:
            errors.setdefault("start_at", []).append("May lie at most 30 days in the past.")
        if floor is not None and start < floor:
            errors.setdefault("start_at", []).append("Cannot be before the version it replaces began.")
    end = data.get("end_at")
    if end is not None and start is not None and end <= start:
        errors.setdefault("end_at", []).append("Must be after the start.")
    return errors


def _new_order(actor, patient_id: int, data: dict, *, now, version=1, replaces=None) -> MedicationOrder:
    schedule = data["schedule"]
    times, _ = schedule_rules.parse_times(schedule["times"], schedule.get("every_days", 1))
    order = MedicationOrder(
        patient_id=patient_id, programme=data["programme"], drug=data["drug"],
        dose=Decimal(str(data["dose"])), unit=data["unit"], route=data["route"],
        times=[t.strftime("%H:%M") for t in times], every_days=schedule.get("every_days", 1),
        start_at=data["start_at"], end_at=data.get("end_at"),
        administration=data["administration"], quantity=data.get("quantity"),
        days_supply=data.get("days_supply"), prescriber_id=getattr(actor, "id", None),
        phase=(data.get("phase") or "intensive") if data["programme"] == "tb" else None,
        version=version, replaces_id=replaces.id if replaces else None,
        lineage_id=replaces.lineage_id if replaces else None, status="active", created_at=now)
    db.session.add(order)
    db.session.flush()
    if order.lineage_id is None:
        order.lineage_id = order.id
    return order


def _generate_for(order: MedicationOrder, patient: Patient, *, now) -> None:
    """Doses of a new order from its start (at most 30 days back) to the end of today."""
    from .doses import generate_doses
    tz = patient.facility.timezone if patient.facility else "UTC"
    _, today_end = schedule_rules.local_day_bounds(schedule_rules.local_day(now, tz), tz)
    generate_doses(db.session, max(order.start_at, now - BACKDATE_LIMIT), today_end, now,
                   patient_ids={patient.id})


def create_order(actor, patient: Patient, data: dict, *, now) -> MedicationOrder:
    data = {**data, "start_at": data.get("start_at") or now}
    errors = _validate(data, now=now)
    if errors:
        raise ValidationFailed(errors)
    order = _new_order(actor, patient.id, data, now=now)
    audit.record(actor, "order.create", entity="medication_order", entity_id=order.id,
                 patient_id=patient.id, at=now,
                 detail={"programme": order.programme, "drug": order.drug, "dose": str(order.dose)})
    _generate_for(order, patient, now=now)
    return order


def _drop_unrecorded(order: MedicationOrder, after: datetime) -> None:
    """Planned doses of an order that ends: those never recorded go (they were a
    plan). A dose whose record was voided keeps its history, so it stays."""
    recorded = select(DoseAdministration.id).where(DoseAdministration.dose_id == ScheduledDose.id)
    db.session.execute(delete(ScheduledDose).where(
        ScheduledDose.order_id == order.id, ScheduledDose.due_at >= after,
        ScheduledDose.status == "due", ~recorded.exists()).execution_options(synchronize_session=False))


def _ensure_active(order: MedicationOrder) -> None:
    if order.status != "active":
        raise Conflict(f"This order is {order.status}; change the current version.",
                       code="order_not_active")


def change_order(actor, order: MedicationOrder, changes: dict, *, now) -> MedicationOrder:
    """A new version with `changes`, starting at `changes["start_at"]` (default now);
    the old version ends there and is superseded."""
    _ensure_active(order)
    if not any(k in CHANGEABLE for k in changes):
        raise ValidationFailed({"_body": ["Nothing to change: give dose, schedule, route..."]})
    effective = changes.get("start_at") or now
    merged = {
        "programme": order.programme, "drug": order.drug, "dose": order.dose, "unit": order.unit,
        "route": order.route, "schedule": {"times": order.times, "every_days": order.every_days},
        "end_at": order.end_at, "administration": order.administration,
        "quantity": order.quantity, "days_supply": order.days_supply, "phase": order.phase,
        **{k: v for k, v in changes.items() if k in CHANGEABLE}, "start_at": effective,
    }
    if "schedule" in changes:
        merged["schedule"] = {"every_days": 1, **changes["schedule"]}
    errors = _validate(merged, now=now, floor=order.start_at)
    if errors:
        raise ValidationFailed(errors)
    withdrawal = _ost_withdrawal_in_pregnancy(order, changes, now=now)
    order.status = "superseded"
    order.end_at = effective if order.end_at is None else min(order.end_at, effective)
    _drop_unrecorded(order, effective)
    new = _new_order(actor, order.patient_id, merged, now=now, version=order.version + 1,
                     replaces=order)
    audit.record(actor, "order.change", entity="medication_order", entity_id=new.id,
                 patient_id=order.patient_id, at=now,
                 detail={"replaces": order.id, "version": new.version,
                         "changed": sorted(k for k in changes if k in CHANGEABLE),
                         **({"reason_code": changes.get("reason_code"), "withdrawal": withdrawal}
                            if withdrawal else {})})
    if withdrawal == "ended":
        raise_alert(OST_STOPPED_IN_PREGNANCY, order.patient, now=now,
                    dedup_key=f"OST-P-02:order:{new.id}")
    elif withdrawal == "reduced":
        raise_alert(OST_REDUCED_IN_PREGNANCY, order.patient, now=now,
                    dedup_key=f"OST-P-03:order:{new.id}")
    _generate_for(new, order.patient, now=now)
    return new


def _ost_withdrawal_in_pregnancy(order: MedicationOrder, changes: dict, *, now) -> str | None:
    """A change that withdraws a pregnant woman's OST: "ended" (an end date) or
    "reduced" (beyond rules/data/ost_pregnancy.toml); it needs a clinical reason
    code, like a discontinuation. None for any other change."""
    from ..rules import ost_pregnancy
    if order.programme != "ost" or not is_pregnant(order.patient_id, now):
        return None
    kind = None
    if changes.get("end_at") is not None:
        kind = "ended"
    elif changes.get("dose") is not None and ost_pregnancy.big_reduction(
            changes.get("drug") or order.drug, order.unit, order.dose, changes["dose"],
            changes.get("unit")):
        kind = "reduced"
    if kind and not changes.get("reason_code"):
        field = "end_at" if kind == "ended" else "dose"
        raise ValidationFailed(
            {"reason_code": ["She is pregnant: OST is never withdrawn or reduced this much "
                             "without an explicit clinical reason code."],
             field: ["Ends or cuts a pregnant woman's OST: give the clinical reason code."]},
            message="Withdrawing OST in pregnancy needs a clinical reason code.",
            code="pregnancy_ost_reason_required")
    return kind


OST_STOPPED_IN_PREGNANCY = AlertSpec(
    rule_code="OST-P-02", severity="high", role="clinician", programme="ost",
    message="OST discontinued in pregnancy.",
    action="Same-day prescriber and midwife review: withdrawal harms the pregnancy (WHO 2014).")


OST_REDUCED_IN_PREGNANCY = AlertSpec(
    rule_code="OST-P-03", severity="warning", role="clinician", programme="ost",
    message="OST dose cut in pregnancy beyond the usual step.",
    action="Prescriber and midwife review this week: avoid withdrawal in pregnancy (WHO 2014).")


def discontinue_order(actor, order: MedicationOrder, reason: str, *, now,
                      reason_code: str | None = None) -> MedicationOrder:
    if not (reason or "").strip():
        raise ValidationFailed({"reason": ["A discontinuation needs a reason."]})
    _ensure_active(order)
    pregnant = order.programme == "ost" and is_pregnant(order.patient_id, now)
    if pregnant and not reason_code:
        raise ValidationFailed(
            {"reason_code": ["She is pregnant: OST is never withdrawn without an explicit "
                             "clinical reason code."]},
            message="Stopping OST in pregnancy needs a clinical reason code.",
            code="pregnancy_ost_reason_required")
    if pregnant:
        raise_alert(OST_STOPPED_IN_PREGNANCY, order.patient, now=now,
                    dedup_key=f"OST-P-02:order:{order.id}")
    order.status = "discontinued"
    order.discontinued_at = now
    order.discontinued_by_id = getattr(actor, "id", None)
    order.discontinue_reason = reason.strip()
    order.end_at = now if order.end_at is None else min(order.end_at, now)
    _drop_unrecorded(order, now)
    audit.record(actor, "order.discontinue", entity="medication_order", entity_id=order.id,
                 patient_id=order.patient_id, at=now,
                 detail={"reason": order.discontinue_reason, "reason_code": reason_code})
    return order


def run_out_on(order: MedicationOrder, tz: str):
    """The local date a keep-on-person supply runs out, or None."""
    if order.administration != "keep_on_person" or not order.days_supply:
        return None
    return schedule_rules.local_day(order.start_at, tz) + timedelta(days=order.days_supply)

"""Recording custody events and keeping the patient's custody snapshot in step.

Every check runs before anything is written; a refused event writes nothing.
"""
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from .. import audit
from ..authz import can_see_facility
from ..errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import CustodyEpisode, CustodyEvent, Facility, Patient, Ward
from ..rules import custody_transitions as rules
from .facilities import facility_by_code

# A feed's clock may run a little ahead of ours; more than this is "in the future".
CLOCK_SKEW = timedelta(minutes=2)

# Other domains react to a custody event in the same transaction (the intake
# checklist opens on admission, doses are marked absent at court...). A domain
# service registers `hook(actor, patient, event, *, now)` at import.
_EVENT_HOOKS: list = []


def on_custody_event(hook):
    """Register `hook` to run after every recorded custody event (decorator)."""
    if hook not in _EVENT_HOOKS:
        _EVENT_HOOKS.append(hook)
    return hook


def current_episode(patient: Patient) -> CustodyEpisode | None:
    return db.session.scalar(
        select(CustodyEpisode).where(CustodyEpisode.patient_id == patient.id)
        .order_by(CustodyEpisode.admitted_at.desc(), CustodyEpisode.id.desc()).limit(1))


def timeline(patient: Patient) -> list[CustodyEvent]:
    return db.session.scalars(
        select(CustodyEvent).join(CustodyEpisode)
        .where(CustodyEvent.patient_id == patient.id)
        .order_by(CustodyEpisode.admitted_at, CustodyEvent.occurred_at, CustodyEvent.seq)).all()


def _validate(data: dict, now) -> tuple[dict, dict]:
    """Field rules for one event; returns (resolved references, errors)."""
    etype = data["type"]
    errors: dict[str, list[str]] = {}
    for name in rules.REQUIRED_FIELDS.get(etype, ()):
        if not data.get(name):
            errors.setdefault(name, []).append(f"Required for {etype}.")
    occurred = data.get("occurred_at")
    if etype not in rules.PLANNED_EVENTS:
        if occurred is None:
            errors.setdefault("occurred_at", []).append("Required for an event that happened.")
        elif occurred > now + CLOCK_SKEW:
            errors.setdefault("occurred_at", []).append("Cannot be in the future.")
    if etype == "sentenced" and data.get("legal_status") not in (None, "sentenced"):
        errors.setdefault("legal_status", []).append("A sentencing sets the status to sentenced.")
    if etype in rules.PLANNED_EVENTS and data.get("expected_at") \
            and data["expected_at"] < (occurred or now):
        errors.setdefault("expected_at", []).append("Cannot be before the time it was planned.")
    if etype == "transfer_out" and data.get("to_facility") and data.get("_current_facility") \
            == data["to_facility"]:
        errors.setdefault("to_facility", []).append("She is already in this facility.")
    refs = {}
    for name in ("facility", "to_facility"):
        if data.get(name):
            refs[name] = facility_by_code(data[name])
            if refs[name] is None:
                errors.setdefault(name, []).append(f"Unknown facility {data[name]}.")
    if data.get("ward"):
        fac = refs.get("facility")
        if fac is None and "facility" not in errors:
            errors.setdefault("ward", []).append("A ward needs its facility.")
        elif fac is not None:
            refs["ward"] = db.session.scalar(
                select(Ward).where(Ward.facility_id == fac.id, Ward.code == data["ward"]))
            if refs["ward"] is None:
                errors.setdefault("ward", []).append(f"Unknown ward {data['ward']} in {fac.code}.")
    return refs, errors


def _check_scope(actor, etype: str, refs: dict) -> None:
    """Admissions and receptions happen in a facility the user works in."""
    if etype in ("admission", "transfer_in"):
        if not can_see_facility(actor, refs["facility"].id):
            raise PermissionDenied("You cannot record events in that facility.")


def _check_order(episode: CustodyEpisode | None, etype: str, occurred_at) -> int:
    """Refuse an actual event dated before the last actual event of the episode
    (plans are not movements, so a plan recorded today does not block a late
    entry for yesterday's court trip); return the event's sequence number."""
    if episode is None or etype == "admission":
        last_at = episode.released_at if episode is not None else None
        if last_at is not None and occurred_at < last_at:
            raise Conflict("The admission is dated before the last release.", code="out_of_order",
                           fields={"occurred_at": ["Before the last release."]})
        return 1
    last_seq = db.session.scalar(
        select(func.max(CustodyEvent.seq)).where(CustodyEvent.episode_id == episode.id))
    last_actual_at = db.session.scalar(
        select(func.max(CustodyEvent.occurred_at)).where(
            CustodyEvent.episode_id == episode.id,
            CustodyEvent.type.not_in(rules.PLANNED_EVENTS)))
    if etype in rules.PLANNED_EVENTS and occurred_at < episode.admitted_at:
        raise Conflict("A plan cannot be dated before the admission.", code="out_of_order",
                       fields={"occurred_at": ["Before the admission."]})
    if etype not in rules.PLANNED_EVENTS and last_actual_at is not None \
            and occurred_at < last_actual_at:
        raise Conflict(
            "Events may be recorded late but not out of order: this one is dated before "
            f"the last movement recorded ({last_actual_at.isoformat()}).",
            code="out_of_order", fields={"occurred_at": ["Before the last recorded event."]})
    return (last_seq or 0) + 1


def _apply_snapshot(patient: Patient, event: CustodyEvent, refs: dict) -> None:
    etype = event.type
    patient.custody_status = event.status_after
    if etype in ("admission", "transfer_in"):
        patient.facility = refs["facility"]
        patient.ward = refs.get("ward")
        patient.to_facility = None
        patient.planned_transfer_at = None
    if etype == "admission":
        patient.legal_status = event.legal_status
        patient.expected_release_on = None
        patient.next_court_at = None
    elif etype == "sentenced":
        patient.legal_status = "sentenced"
        if event.expected_at:
            patient.expected_release_on = _local_date(event.expected_at, patient.facility)
    elif etype == "court_scheduled":
        patient.next_court_at = event.expected_at
    elif etype == "court_out":
        patient.next_court_at = None
    elif etype == "transfer_scheduled":
        patient.planned_transfer_at = event.expected_at
    elif etype == "transfer_out":
        patient.to_facility = refs["to_facility"]
        patient.ward = None
    elif etype == "release_scheduled":
        patient.expected_release_on = _local_date(event.expected_at, patient.facility)
    elif etype == "release":
        patient.ward = None
        patient.next_court_at = None
        patient.planned_transfer_at = None


def _local_date(instant, facility: Facility | None):
    tz = ZoneInfo(facility.timezone) if facility else ZoneInfo("UTC")
    return instant.astimezone(tz).date()


def record_event(actor, patient: Patient, data: dict, *, now) -> CustodyEvent:
    etype = data["type"]
    current = patient.facility.code if patient.facility else None
    refs, errors = _validate({**data, "_current_facility": current}, now)
    if errors:
        raise ValidationFailed(errors)
    occurred_at = data.get("occurred_at") or now
    _check_scope(actor, etype, refs)
    try:
        step = rules.transition(patient.custody_status, etype, data.get("release_from"))
    except rules.TransitionRefused as refused:
        raise InvalidTransition(refused.message, detail={"current_status": refused.status}) from None
    episode = current_episode(patient)
    seq = _check_order(episode, etype, occurred_at)
    if etype == "admission":
        episode = CustodyEpisode(patient_id=patient.id, facility_id=refs["facility"].id,
                                 admitted_at=occurred_at)
        db.session.add(episode)
    event = CustodyEvent(
        patient_id=patient.id, episode=episode, seq=seq, type=etype, occurred_at=occurred_at,
        recorded_at=now, recorded_by_id=actor.id,
        facility=refs.get("facility") or (patient.facility if etype != "transfer_in" else None),
        ward=refs.get("ward"), to_facility=refs.get("to_facility"),
        legal_status=data.get("legal_status") or ("sentenced" if etype == "sentenced" else None),
        expected_at=data.get("expected_at"), release_from=step.release_from,
        note=data.get("note"), status_before=patient.custody_status,
        status_after=step.status_after,
    )
    if etype == "release":
        episode.released_at = occurred_at
        episode.release_from = step.release_from
    _apply_snapshot(patient, event, refs)
    patient.custody_version += 1
    db.session.add(event)
    try:
        db.session.flush()
    except (IntegrityError, StaleDataError):  # another event for her landed meanwhile
        raise Conflict("Another event was recorded for this patient at the same moment; "
                       "reload and try again.", code="concurrent_update") from None
    audit.record(actor, f"custody_event.{etype}", entity="custody_event", entity_id=event.id,
                 patient_id=patient.id, at=now,
                 detail={"occurred_at": occurred_at.isoformat(), "late": occurred_at < now - timedelta(hours=1)})
    for hook in _EVENT_HOOKS:
        hook(actor, patient, event, now=now)
    return event

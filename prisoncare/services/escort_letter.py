"""The escort letter (issue 5, item 4, custody-aware prevention): what goes sealed with
her to court or on a transfer when a dose falls due while she is away (OST-PRE-01,
ART-PRE-01: "give the dose early or send it with the escort, with a letter stating
the last dose time").

`escort_letter(session, patient, now=..., hours=...)` gathers the facts for one planned
absence (a `court_scheduled` or `transfer_scheduled` event; by default her next one
not yet over) in six queries whatever the number of orders: the facility, the event,
the active orders, the last dose given of each (one window query), the doses due in
the absence (one query), the time zones. The absence lasts `planned_absence_hours`
(sweep.toml [rules]) from the planned departure, as for the alert.

Each dose due in the absence says what is to happen to it now
(`rules.escort_doses`: given early, not yet given, to be sent with the escort...).

`read_escort_letter` is the read the page, the PDF and the API make: nurses and
clinicians of her own facility (the sending health unit; elsewhere a 404), audited.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased

from .. import audit
from ..authz import Permission, can, can_see_facility, ensure
from ..errors import Conflict, NotFound
from ..extensions import db
from ..models import CustodyEpisode, CustodyEvent, Facility, Patient
from ..models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ..models.staff import StaffUser
from ..rules import schedule as schedule_rules
from ..rules.escort_doses import dose_status, schedule_text
from .administration import EARLY_WINDOW
from .dose_marks import sweep_settings
from .facility_time import LocalStamp

PURPOSES = {"court_scheduled": "Court hearing", "transfer_scheduled": "Transfer"}
PROGRAMME_LABELS = {"ost": "OST", "art": "ART", "tb": "TB", "hcv": "HCV", "prep": "PrEP",
                    "other": "Other"}
ADMINISTRATION_TEXT = {"witnessed": "witnessed", "nurse_administered": "given by a nurse",
                       "keep_on_person": "kept on person"}
OUTCOME_WORDS = {"given": "given", "refused": "refused", "held": "held",
                 "not_available": "not available"}
NO_ABSENCE = "no_planned_absence"


@dataclass(frozen=True)
class Absence:
    event_id: int
    event_type: str
    purpose: str
    destination: str
    destination_code: str | None
    departs_at: datetime
    departs_local: str
    returns_at: datetime
    returns_local: str
    hours: int


@dataclass(frozen=True)
class LastDose:
    administered_at: datetime
    local: str
    dose_given: float | None
    unit: str
    recorded_by: str | None
    witnessed_by: str | None


@dataclass(frozen=True)
class DoseDuringAbsence:
    due_at: datetime
    due_local: str
    status: str
    status_text: str
    administered_at: datetime | None = None
    administered_local: str | None = None
    recorded_by: str | None = None


@dataclass(frozen=True)
class OrderLine:
    order_id: int
    programme: str
    programme_label: str
    drug: str
    dose: float
    unit: str
    route: str
    schedule: str
    times: list
    every_days: int
    administration: str
    witnessed: bool
    last_dose: LastDose | None
    doses_during_absence: list = field(default_factory=list)


@dataclass(frozen=True)
class EscortLetter:
    patient: dict
    facility: dict
    absence: Absence
    orders: list
    prepared_at: datetime
    prepared_local: str
    prepared_by: str | None = None


def planned_absence_hours() -> dict[str, int]:
    """sweep.toml [rules] planned_absence_hours, with the deployment's SWEEP_SETTINGS."""
    from flask import current_app, has_app_context
    overrides = current_app.config.get("SWEEP_SETTINGS") if has_app_context() else None
    return dict(sweep_settings(overrides)["rules"]["planned_absence_hours"])


class _Clock:
    """Instants as the sending facility reads them."""

    def __init__(self, session, facility_id):
        self.stamp, self.facility_id = LocalStamp(session), facility_id
        self.zone = self.stamp.zones.get(facility_id)

    def full(self, instant) -> str:
        return self.stamp(instant, self.facility_id)

    def local(self, instant) -> datetime:
        return instant.astimezone(self.zone) if self.zone else instant

    def short(self, instant, day_of=None) -> str:
        """HH:MM, with the date when it is not the local day of `day_of`."""
        at = self.local(instant)
        if day_of is not None and self.local(day_of).date() == at.date():
            return f"{at:%H:%M}"
        return f"{at:%H:%M} on {at:%Y-%m-%d}"


def _name(display_name, username) -> str | None:
    return display_name or username


# --- the absence --------------------------------------------------------------------

def _absence_rows(session, patient, hours, now, event_id):
    to = aliased(Facility)
    query = (select(CustodyEvent.id, CustodyEvent.type, CustodyEvent.expected_at, to.code, to.name)
             .outerjoin(to, CustodyEvent.to_facility_id == to.id)
             .where(CustodyEvent.patient_id == patient.id, CustodyEvent.type.in_(tuple(hours)),
                    CustodyEvent.expected_at.is_not(None)))
    if event_id is not None:
        return session.execute(query.where(CustodyEvent.id == event_id)).all()
    longest = timedelta(hours=max(hours.values()))
    rows = session.execute(
        query.join(CustodyEpisode, CustodyEvent.episode_id == CustodyEpisode.id)
        .where(CustodyEpisode.released_at.is_(None), CustodyEvent.expected_at > now - longest)).all()
    return [r for r in rows if r.expected_at + timedelta(hours=hours[r.type]) > now]


def find_absence(session, patient, *, now, hours, clock: _Clock, event_id=None) -> Absence:
    """The planned absence `event_id` of this patient (404 otherwise), or her next one
    not yet over (409 `no_planned_absence` when there is none)."""
    rows = _absence_rows(session, patient, hours, now, event_id)
    if not rows:
        if event_id is not None:
            raise NotFound("No such court date or transfer planned for her.")
        raise Conflict("No court date or transfer is planned for her.", code=NO_ABSENCE)
    row = min(rows, key=lambda r: (r.expected_at, r.id))
    returns = row.expected_at + timedelta(hours=hours[row.type])
    court = row.type == "court_scheduled"
    return Absence(
        event_id=row.id, event_type=row.type, purpose=PURPOSES[row.type],
        destination="Court" if court else (row.name or "another facility"),
        destination_code=None if court else row.code,
        departs_at=row.expected_at, departs_local=clock.full(row.expected_at),
        returns_at=returns, returns_local=clock.full(returns), hours=hours[row.type])


def upcoming_absences(session, patient, *, now, hours=None) -> list[tuple[int, str, datetime]]:
    """(event id, type, departure) of her planned absences not yet over, soonest first."""
    hours = hours or planned_absence_hours()
    rows = _absence_rows(session, patient, hours, now, None)
    return [(r.id, r.type, r.expected_at) for r in sorted(rows, key=lambda r: (r.expected_at, r.id))]


# --- the orders and their doses ---------------------------------------------------

def _active_orders(session, patient, now, returns_at) -> list:
    return session.execute(
        select(MedicationOrder.id, MedicationOrder.programme, MedicationOrder.drug,
               MedicationOrder.dose, MedicationOrder.unit, MedicationOrder.route,
               MedicationOrder.times, MedicationOrder.every_days, MedicationOrder.start_at,
               MedicationOrder.end_at, MedicationOrder.administration,
               func.coalesce(MedicationOrder.lineage_id, MedicationOrder.id).label("lineage"))
        .where(MedicationOrder.patient_id == patient.id, MedicationOrder.status == "active",
               MedicationOrder.start_at < returns_at,
               or_(MedicationOrder.end_at.is_(None), MedicationOrder.end_at > now),
               or_(MedicationOrder.discontinued_at.is_(None), MedicationOrder.discontinued_at > now))
        .order_by(MedicationOrder.programme, MedicationOrder.id)).all()


def last_doses(session, patient_id, lineages, now, clock: _Clock) -> dict[int, LastDose]:
    """lineage -> the last dose given (any version of the order), in one query."""
    if not lineages:
        return {}
    lineage = func.coalesce(MedicationOrder.lineage_id, MedicationOrder.id)
    ranked = (select(DoseAdministration.id.label("admin_id"), lineage.label("lineage"),
                     func.row_number().over(partition_by=lineage, order_by=(
                         DoseAdministration.administered_at.desc(),
                         DoseAdministration.id.desc())).label("pos"))
              .join(MedicationOrder, DoseAdministration.order_id == MedicationOrder.id)
              .where(DoseAdministration.patient_id == patient_id,
                     DoseAdministration.outcome == "given", DoseAdministration.voided_at.is_(None),
                     DoseAdministration.administered_at <= now, lineage.in_(list(lineages)))
              .subquery())
    recorder, witness = aliased(StaffUser), aliased(StaffUser)
    rows = session.execute(
        select(ranked.c.lineage, DoseAdministration.administered_at, DoseAdministration.dose_given,
               MedicationOrder.dose, MedicationOrder.unit, recorder.display_name,
               recorder.username, witness.display_name.label("w_name"),
               witness.username.label("w_user"))
        .select_from(ranked)
        .join(DoseAdministration, DoseAdministration.id == ranked.c.admin_id)
        .join(MedicationOrder, DoseAdministration.order_id == MedicationOrder.id)
        .outerjoin(recorder, DoseAdministration.recorded_by_id == recorder.id)
        .outerjoin(witness, DoseAdministration.witnessed_by_id == witness.id)
        .where(ranked.c.pos == 1)).all()
    return {r.lineage: LastDose(
        administered_at=r.administered_at, local=clock.full(r.administered_at),
        dose_given=float(r.dose_given if r.dose_given is not None else r.dose), unit=r.unit,
        recorded_by=_name(r.display_name, r.username), witnessed_by=_name(r.w_name, r.w_user))
        for r in rows}


def _window_rows(session, patient_id, order_ids, absence: Absence, clock: _Clock) -> dict:
    """(order id, due instant) -> the scheduled dose's status and live record."""
    if not order_ids:
        return {}
    recorder = aliased(StaffUser)
    first = clock.local(absence.departs_at).date() - timedelta(days=1)
    last = clock.local(absence.returns_at).date() + timedelta(days=1)
    rows = session.execute(
        select(ScheduledDose.order_id, ScheduledDose.due_at, ScheduledDose.status,
               DoseAdministration.outcome, DoseAdministration.administered_at,
               recorder.display_name, recorder.username)
        .outerjoin(DoseAdministration, and_(DoseAdministration.dose_id == ScheduledDose.id,
                                            DoseAdministration.voided_at.is_(None)))
        .outerjoin(recorder, DoseAdministration.recorded_by_id == recorder.id)
        .where(ScheduledDose.patient_id == patient_id, ScheduledDose.order_id.in_(order_ids),
               ScheduledDose.local_date >= first, ScheduledDose.local_date <= last,
               ScheduledDose.due_at >= absence.departs_at,
               ScheduledDose.due_at < absence.returns_at)).all()
    return {(r.order_id, r.due_at): r for r in rows}


def _status_text(status, due_at, departs_at, administered_at, clock: _Clock) -> str:
    if status == "given_early":
        return f"Given early at {clock.short(administered_at, due_at)}"
    if status in OUTCOME_WORDS:
        return f"{OUTCOME_WORDS[status].capitalize()} at {clock.short(administered_at, due_at)}"
    if status == "not_yet_given":
        return (f"Not yet given: give it before departure at {clock.short(departs_at, due_at)} "
                f"(from {clock.short(due_at - EARLY_WINDOW, departs_at)})")
    return f"To be sent with the escort: due at {clock.short(due_at, departs_at)}"


def _during(order, absence: Absence, rows: dict, tz, clock: _Clock) -> list[DoseDuringAbsence]:
    planned = set(schedule_rules.due_instants(order.times, order.every_days or 1, order.start_at,
                                              order.end_at, tz, absence.departs_at,
                                              absence.returns_at)) if order.times else set()
    planned |= {due for (oid, due) in rows if oid == order.id}
    out = []
    for due_at in sorted(planned):
        row = rows.get((order.id, due_at))
        outcome = row.outcome if row is not None else None
        at = row.administered_at if row is not None else None
        status = dose_status(due_at, absence.departs_at, outcome, at, EARLY_WINDOW)
        out.append(DoseDuringAbsence(
            due_at=due_at, due_local=clock.full(due_at), status=status,
            status_text=_status_text(status, due_at, absence.departs_at, at, clock),
            administered_at=at, administered_local=clock.full(at) if at else None,
            recorded_by=_name(row.display_name, row.username) if outcome else None))
    return out


# --- the letter -------------------------------------------------------------------

def escort_letter(session, patient: Patient, *, now, hours=None, event_id=None,
                  prepared_by=None) -> EscortLetter:
    """Everything the escort letter states, for one planned absence (see the module doc)."""
    hours = hours or planned_absence_hours()
    facility = patient.facility
    clock = _Clock(session, patient.facility_id)
    absence = find_absence(session, patient, now=now, hours=hours, clock=clock, event_id=event_id)
    orders = _active_orders(session, patient, now, absence.returns_at)
    lasts = last_doses(session, patient.id, {o.lineage for o in orders}, now, clock)
    rows = _window_rows(session, patient.id, [o.id for o in orders], absence, clock)
    tz = facility.timezone if facility else "UTC"
    lines = [OrderLine(
        order_id=o.id, programme=o.programme,
        programme_label=PROGRAMME_LABELS.get(o.programme, o.programme.upper()), drug=o.drug,
        dose=float(o.dose), unit=o.unit, route=o.route,
        schedule=schedule_text(o.times, o.every_days), times=list(o.times or []),
        every_days=o.every_days or 1,
        administration=ADMINISTRATION_TEXT.get(o.administration, o.administration),
        witnessed=o.administration == "witnessed", last_dose=lasts.get(o.lineage),
        doses_during_absence=_during(o, absence, rows, tz, clock)) for o in orders]
    return EscortLetter(
        patient={"id": patient.id, "name": patient.name, "given_name": patient.given_name,
                 "family_name": patient.family_name, "prison_number": patient.prison_number,
                 "date_of_birth": patient.date_of_birth},
        facility={"code": facility.code if facility else None,
                  "name": facility.name if facility else None,
                  "health_unit": f"Health unit, {facility.name}" if facility else "Health unit",
                  "timezone": tz},
        absence=absence, orders=lines, prepared_at=now, prepared_local=clock.full(now),
        prepared_by=prepared_by)


LETTER_PERMISSIONS = (Permission.MAR_READ, Permission.CLINICAL_READ)


def may_print(user, patient=None) -> bool:
    """Whether `user` may read the letter (of `patient`: her own facility only); the
    page's panel and the alerts' link ask this, read_escort_letter enforces it."""
    return (all(can(user, p) for p in LETTER_PERMISSIONS)
            and (patient is None or can_see_facility(user, patient.facility_id)))


def read_escort_letter(actor, patient_id: int, *, now, event_id=None, fmt="page") -> EscortLetter:
    """The letter as `actor` may read it: a nurse or clinician of her own facility (the
    sending health unit; any other facility, even the receiving one, gets a 404).
    Every read is in the access log (`escort_letter.read`, with the format)."""
    for permission in LETTER_PERMISSIONS:
        ensure(actor, permission)
    patient = db.session.get(Patient, patient_id)
    if patient is None or not can_see_facility(actor, patient.facility_id):
        raise NotFound("No such patient.")
    letter = escort_letter(db.session, patient, now=now, event_id=event_id,
                           prepared_by=_name(getattr(actor, "display_name", None),
                                             getattr(actor, "username", None)))
    audit.record(actor, "escort_letter.read", entity="custody_event",
                 entity_id=letter.absence.event_id, patient_id=patient.id, at=now,
                 detail={"format": fmt, "event_type": letter.absence.event_type,
                         "orders": len(letter.orders)})
    return letter

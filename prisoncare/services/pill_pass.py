"""The pill-pass rows of a ward and day: exactly the columns the page shows, read as
plain rows (no ORM objects), with the guards computed set-based for the whole list.

A few queries whatever the number of patients: the rows (dose, patient, order,
live record, who recorded and witnessed it, whether a photo is on file, and the
double-dose guard's count as a correlated subquery), the round times of the day,
and the OST review guard for the ward's OST doses at once (guards.review_blocked:
one to five queries, by who needs the wider windows, the reviews and the last given
instants). Nothing is generated here: the scheduler makes doses 36 hours ahead
(jobs.py, generate-doses). A ward-day without any dose gets `scheduler_gap`,
which the page shows as a banner with an explicit fallback (generate_day).
"""
from dataclasses import dataclass
from functools import lru_cache
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Date, bindparam, case, exists, func, select
from sqlalchemy.orm import aliased

from .. import audit, db_prepared
from ..db_types import UtcDateTime
from ..extensions import db
from ..models.facilities import Facility
from ..models.medication import (RECORDED_OUTCOMES, UNRECORDED, DoseAdministration,
                                 MedicationOrder, ScheduledDose)
from ..models.patients import Patient
from ..models.photos import PatientPhoto
from ..models.staff import StaffUser
from ..rules import schedule as schedule_rules
from ..rules.dosing_guards import second_dose_same_day
from .guards import ALREADY_GIVEN_TODAY, REVIEW_REQUIRED, GuardDose, review_blocked
from .doses import ABSENT_WHERE, IN_CUSTODY, generate_doses

# The pill pass page's SQL statements at most, whatever the number of patients on the
# ward: the session's user, the facilities, the wards, the rows, the round times, the
# hatch alerts, the navigation's count, gestation and the access-log entry (9), and
# the review guard's (guards.review_blocked): the day before (always), the last few
# days and the long window (only for patients still undecided), the reviews (only when
# a streak reached its threshold) and the last given instants (only when such a
# patient has a review on file). bench/run.py measures it; a page test reaches it.
MAX_STATEMENTS = 14

OUTCOME_TEXT = {"given": "given", "refused": "refused", "held": "held",
                "not_available": "not available", "absent": "absent", "missed": "missed"}


@dataclass(slots=True)
class PassRow:
    """One dose as the pill pass shows it (all text precomputed for the template)."""
    id: int
    patient_id: int
    prison_number: str
    name: str                 # "Family, Given"
    ward_code: str | None
    due: str                  # local HH:MM
    status: str
    status_text: str
    medicine: str             # "Methadone oral solution 60 mg oral"
    programme: str            # "OST"
    witnessed: bool
    dose_text: str            # "60"
    absent_where: str | None
    recorded: str | None      # "given 08:05 by nurse.a, witness x · late entry · reason"
    blocks: tuple = ()
    has_photo: bool = False
    gestation: str | None = None  # "pregnant 11+3", for nurses and clinicians only


def _given_same_day():
    """The double-dose guard's count, per row: `given` doses of the row's order
    lineage for the same patient on the same local day (a dose's status mirrors its
    live record; the patient-day index finds the few doses; a transfer or a new
    order version does not reset it), as guards.given_counts counts them for
    recording. Correlated to the row's dose AND its order: correlated to the dose
    only, the row's order was a table of the subquery's own, and the count was that
    of every dose given to her that day (her ART given at 08:00 blocked her
    methadone on the page), times the versions of its lineage."""
    other, other_order = aliased(ScheduledDose), aliased(MedicationOrder)
    count = (select(func.count()).select_from(other)
             .join(other_order, other.order_id == other_order.id)
             .where(other.patient_id == ScheduledDose.patient_id,
                    other.local_date == ScheduledDose.local_date, other.status == "given",
                    other_order.lineage_id == MedicationOrder.lineage_id)
             .correlate(ScheduledDose, MedicationOrder).scalar_subquery())
    # Only a dose not yet recorded can meet the guard: the others skip the count.
    return case((ScheduledDose.status.in_(UNRECORDED), count), else_=0)


def _live_record_id():
    """The id of the row's live record, looked up only for a dose whose status is a
    recorded outcome (UNRECORDED statuses have none): a probe of the live-record
    index saved on every dose still due, the bulk of a round before it starts. The
    join on this id finds nothing for NULL without reading the index."""
    record = aliased(DoseAdministration)
    live = (select(record.id)
            .where(record.dose_id == ScheduledDose.id, record.voided_at.is_(None))
            .correlate(ScheduledDose).scalar_subquery())
    return case((ScheduledDose.status.in_(RECORDED_OUTCOMES), live))


@lru_cache(maxsize=4)
def _rows_query(by_ward: bool, by_round: bool):
    """Built once per shape (with or without ward, round): building this select
    anew on every page cost a few milliseconds of Python. On PostgreSQL it runs as
    a prepared statement (db_prepared): its filters are equalities on the dose's
    keys, so the generic plan is the custom one (the index on facility and day),
    and planning its joins cost 1-2 ms of the server's CPU on every page."""
    recorder, witness = aliased(StaffUser), aliased(StaffUser)
    query = (
        select(ScheduledDose.id, ScheduledDose.patient_id, ScheduledDose.due_at,
               ScheduledDose.status, ScheduledDose.local_date,
               Patient.prison_number, Patient.family_name, Patient.given_name,
               Patient.custody_status, Patient.ward_id,
               MedicationOrder.programme, MedicationOrder.drug, MedicationOrder.dose,
               MedicationOrder.unit, MedicationOrder.route, MedicationOrder.administration,
               func.coalesce(func.json_array_length(MedicationOrder.times), 0),
               MedicationOrder.lineage_id,
               DoseAdministration.id, DoseAdministration.outcome,
               DoseAdministration.administered_at, DoseAdministration.late,
               DoseAdministration.reason, recorder.username, witness.username,
               exists().where(PatientPhoto.patient_id == ScheduledDose.patient_id),
               _given_same_day())
        .select_from(ScheduledDose)
        .join(Patient, ScheduledDose.patient_id == Patient.id)
        .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
        .outerjoin(DoseAdministration, DoseAdministration.id == _live_record_id())
        .outerjoin(recorder, DoseAdministration.recorded_by_id == recorder.id)
        .outerjoin(witness, DoseAdministration.witnessed_by_id == witness.id)
        .where(ScheduledDose.facility_id == bindparam("facility_id"),
               ScheduledDose.local_date == bindparam("day", type_=Date)))
    if by_ward:
        query = query.where(ScheduledDose.ward_id == bindparam("ward_id"))
    if by_round:
        query = query.where(ScheduledDose.due_at == bindparam("round_at", type_=UtcDateTime))
    return query.order_by(ScheduledDose.due_at, Patient.family_name, Patient.given_name,
                          ScheduledDose.id)


def ward_rows(facility: Facility, ward_id: int | None, day: date, *,
              round_at: datetime | None = None) -> list[PassRow]:
    """The doses of a facility (or ward) on a local day, or of one round, with the
    blocks a `given` would meet now."""
    zone = facility.timezone   # read once: an ORM attribute costs a little per row
    tz = ZoneInfo(zone)
    local_hhmm: dict[datetime, str] = {}

    def hhmm(instant):
        text = local_hhmm.get(instant)
        if text is None:
            text = local_hhmm[instant] = instant.astimezone(tz).strftime("%H:%M")
        return text

    # Her current ward's code from the facility's wards (the page has them loaded
    # for its switcher), not a join per row.
    ward_codes = {w.id: w.code for w in facility.wards}
    rows, guards, blocks = [], [], {}
    for (dose_id, patient_id, due_at, status, local_date, number, family, given, custody,
         ward_of, programme, drug, dose, unit, route, mode, times_per_day, lineage_id,
         record_id, outcome, administered_at, late, reason, recorded_by, witnessed_by,
         has_photo, given_same_day) in db_prepared.rows(
            _rows_query(ward_id is not None, round_at is not None),
            {"facility_id": facility.id, "day": day, "ward_id": ward_id,
             "round_at": round_at}, prepare=True):
        dose_text = f"{float(dose):g}"
        recorded = None
        if record_id is not None:
            recorded = (f"{OUTCOME_TEXT.get(outcome, outcome)} {hhmm(administered_at)} "
                        f"by {recorded_by or 'system'}")
            if witnessed_by:
                recorded += f", witness {witnessed_by}"
            if late:
                recorded += " · late entry"
            if reason:
                recorded += f" · {reason}"
        else:
            if given_same_day and second_dose_same_day(times_per_day, given_same_day):
                blocks[dose_id] = [ALREADY_GIVEN_TODAY]
            if programme == "ost":
                guards.append(GuardDose(id=dose_id, patient_id=patient_id, programme=programme,
                                        drug=drug, lineage_id=lineage_id,
                                        times_per_day=times_per_day, local_date=local_date,
                                        timezone=zone))
        rows.append(PassRow(
            id=dose_id, patient_id=patient_id, prison_number=number, name=f"{family}, {given}",
            ward_code=ward_codes.get(ward_of), due=hhmm(due_at), status=status,
            status_text=OUTCOME_TEXT.get(status, status), medicine=f"{drug} {dose_text} {unit} {route}",
            programme=programme.upper(), witnessed=mode == "witnessed", dose_text=dose_text,
            absent_where=ABSENT_WHERE.get(custody), recorded=recorded, has_photo=bool(has_photo)))
    for dose_id in review_blocked(guards) if guards else ():
        blocks.setdefault(dose_id, []).append(REVIEW_REQUIRED)
    if blocks:
        for row in rows:
            if row.id in blocks:
                row.blocks = tuple(blocks[row.id])
    return rows


def log_ward_read(actor, facility: Facility, ward_code: str | None, day: date, *,
                  round_code: str | None, doses: int, now, via: str) -> None:
    """The access log's entry for a ward's medication list (the pill pass page, or the
    ward MAR in the API: `via`): which facility, ward, day and round, and how many
    doses it showed. One entry per read, as for the other worklists: the list names
    everyone on it, and the entry says which list was read."""
    audit.record_read(actor, "mar.ward_read", entity="facility", entity_id=facility.id, at=now,
                      detail={"via": via, "ward": ward_code, "date": day.isoformat(),
                              "round": round_code or None, "doses": doses})


@lru_cache(maxsize=2)
def _rounds_query(by_ward: bool):
    query = select(ScheduledDose.due_at).distinct().where(
        ScheduledDose.facility_id == bindparam("facility_id"),
        ScheduledDose.local_date == bindparam("day", type_=Date))
    if by_ward:
        query = query.where(ScheduledDose.ward_id == bindparam("ward_id"))
    return query


def ward_rounds(facility: Facility, ward_id: int | None, day: date) -> list[str]:
    """The local times of day (HH:MM) with doses on this ward-day, in order."""
    tz = ZoneInfo(facility.timezone)
    return sorted({at.astimezone(tz).strftime("%H:%M") for at, in db_prepared.rows(
        _rounds_query(ward_id is not None),
        {"facility_id": facility.id, "day": day, "ward_id": ward_id}, prepare=True)})


def scheduler_gap(facility: Facility, ward_id: int | None) -> bool:
    """Asked only when a ward-day has no dose at all: whether patients here have
    dose-based orders (so the doses are missing, not simply none due)."""
    query = (select(func.count()).select_from(MedicationOrder)
             .join(Patient, MedicationOrder.patient_id == Patient.id)
             .where(Patient.facility_id == facility.id, Patient.custody_status.in_(IN_CUSTODY),
                    MedicationOrder.status == "active",
                    MedicationOrder.administration != "keep_on_person"))
    if ward_id is not None:
        query = query.where(Patient.ward_id == ward_id)
    return bool(db.session.scalar(query))


def generate_day(actor, facility: Facility, day: date, *, now) -> int:
    """The explicit fallback when the scheduler has not run: make the facility's
    doses of one local day now (idempotent), audited. Returns how many were made."""
    start, end = schedule_rules.local_day_bounds(day, facility.timezone)
    made = generate_doses(db.session, start, end, now, facility_id=facility.id)
    audit.record(actor, "mar.generate_day", entity="facility", entity_id=facility.id, at=now,
                 detail={"date": day.isoformat(), "made": made})
    return made

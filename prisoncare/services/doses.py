"""Scheduled doses: generating them (one set-based function for any window) and
reading them for the ward MAR and the patient's MAR.

`generate_doses` is what the scheduler calls (36 hours ahead); a new order
generates its own doses to the end of today, the patient's MAR its own days, and
the pill pass offers an explicit fallback when a ward-day has none (the ward
views do not generate: that cost ~20 ms per page view). Generation is
idempotent: (order, due instant) is unique and only missing rows are inserted
(ON CONFLICT DO NOTHING, so two generators at once do not collide either).

Time zones: a dose is at the instants of the zone of the facility she was in
when it was due. Generation uses the zone of her current facility, so it starts
at her arrival in that zone (`_arrivals`: the first transfer in after her
last movement in a facility of another zone) besides the order's start and her
admission: the days before stay the previous zone's, never made again at the new
zone's instants (they would be marked missed). On an arrival in another zone
the doses made ahead for the previous zone go, unless something records them,
and hers are made at once from the arrival on (dose_arrivals.py, the custody
hook that also moves her doses not yet due to the receiving ward).
"""
import json
from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta

from sqlalchemy import Text, and_, cast, func, not_, or_, select
from sqlalchemy.orm import aliased, joinedload

from ..db_bulk import insert_rows
from ..extensions import db
from ..models.facilities import Facility
from ..models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ..models.patients import CustodyEpisode, CustodyEvent, Patient
from ..rules import schedule as schedule_rules
from ..rules.custody_transitions import PLANNED_EVENTS

# A patient has doses while her custody episode is open, also at court, in hospital
# or in transfer (the scheduler marks those absent): the dose then still takes a
# late entry if she was dosed before leaving.
IN_CUSTODY = ("in_custody", "out_at_court", "out_at_hospital", "in_transfer")
ABSENT_WHERE = {"out_at_court": "at court", "out_at_hospital": "in hospital",
                "in_transfer": "in transfer", "released": "released"}


def _arrivals(since: datetime):
    """(episode_id, arrived) for the custody episodes with a transfer in since
    `since`: `arrived` is when she arrived in the time zone of the facility she is
    in, the first transfer in after her last movement of the episode recorded in a
    facility of another zone (in the episode's order, `seq`: the two may share an
    instant), NULL if she has been in this zone since her admission. An episode
    without a transfer in since `since` has no row: an arrival before the window
    cuts nothing from it. A derived table of a few rows (the transfers of the
    window, by the (type, occurred_at) index, then each episode's events by its
    (episode, seq) index), joined once: a run making a round's doses for every
    patient does not probe her custody events for each."""
    moved = (select(CustodyEvent.episode_id.label("episode_id"))
             .where(CustodyEvent.type == "transfer_in", CustodyEvent.occurred_at >= since)
             .distinct().subquery())
    episode, patient, here = aliased(CustodyEpisode), aliased(Patient), aliased(Facility)
    elsewhere, there, arrival = aliased(CustodyEvent), aliased(Facility), aliased(CustodyEvent)
    left = (select(func.max(elsewhere.seq))
            .join(there, elsewhere.facility_id == there.id)
            .where(elsewhere.episode_id == moved.c.episode_id,
                   elsewhere.type.not_in(PLANNED_EVENTS), there.timezone != here.timezone)
            .correlate(moved, here).scalar_subquery())
    first_in = (select(func.min(arrival.occurred_at))
                .where(arrival.episode_id == moved.c.episode_id, arrival.type == "transfer_in",
                       arrival.seq > left)
                .correlate(moved, here).scalar_subquery())
    return (select(moved.c.episode_id, first_in.label("arrived"))
            .select_from(moved)
            .join(episode, episode.id == moved.c.episode_id)
            .join(patient, patient.id == episode.patient_id)
            .join(here, here.id == patient.facility_id)
            .subquery())


def generate_doses(session, window_start: datetime, window_end: datetime, now: datetime, *,
                   facility_id: int | None = None, patient_ids=None) -> int:
    """Create the missing doses due in [window_start, window_end) of every
    dose-based order (not keep-on-person) of patients in custody, in the time zone
    of the facility each patient is in, and only from her admission and from her
    arrival in that zone on (_arrivals: before it she was in another zone,
    whose instants her doses keep). Returns how many rows were inserted.

    Set-based and bounded by the window. The instants of a daily schedule in the
    window are computed once per (times, time zone); one query then reads only the
    orders that may lack a dose, i.e. all but those whose doses in the window are
    exactly that full list (count, first and last instant, from the due-instant
    index), with what they have; a routine run reads next to nothing. Each order's
    list is cut to its bounds; an order's doses are all at its schedule's
    instants (a schedule never changes: a change is a new version), so when they
    match the list from its first to its last, only the instants after the last
    are missing; otherwise (a hole in the past week, doses of an earlier custody,
    the previous zone's before her arrival) its doses in the window are read and
    compared instant by instant. One insert."""
    have = (select(ScheduledDose.order_id.label("order_id"), func.count().label("n"),
                   func.min(ScheduledDose.due_at).label("first"),
                   func.max(ScheduledDose.due_at).label("last"))
            .where(ScheduledDose.due_at >= window_start, ScheduledDose.due_at < window_end)
            .group_by(ScheduledDose.order_id))
    # A page's call (one facility or patient, one day) reads its patients' doses by
    # the (patient, local day) index; local days are within a day of the instants.
    whose = []
    if facility_id is not None:
        whose.append(Patient.facility_id == facility_id)
    if patient_ids is not None:
        patient_ids = list(patient_ids)
        whose.append(Patient.id.in_(patient_ids))
    if whose:
        have = have.where(
            ScheduledDose.patient_id.in_(select(Patient.id).where(*whose)),
            ScheduledDose.local_date >= window_start.date() - timedelta(days=1),
            ScheduledDose.local_date <= window_end.date() + timedelta(days=1))
    have = have.subquery()
    times_text = cast(MedicationOrder.times, Text)
    instants = _Instants(window_start, window_end)
    complete = []   # per daily schedule and zone: the orders whose doses are all there
    due_here = []   # the daily schedules and zones with an instant in the window
    arrivals = _arrivals(window_start)
    # The daily schedules (times of day) and the time zones, each read on its own: a
    # join of every order to her facility hashed all the patients (30-50 ms a run at
    # national scale). A pair no order has adds a condition that matches nothing.
    orders_of = (MedicationOrder.patient_id.in_(select(Patient.id).where(*whose)),) if whose else ()
    daily = session.scalars(select(times_text).distinct().where(
        MedicationOrder.every_days == 1, MedicationOrder.start_at < window_end, *orders_of)).all()
    zones = session.scalars(select(Facility.timezone).distinct()).all()
    for times, tz in ((times, tz) for times in daily for tz in zones):
        full = instants.of(json.loads(times), 1, window_start, None, tz)
        schedule = (times_text == times, Facility.timezone == tz, MedicationOrder.every_days == 1)
        if full:
            due_here.append(and_(*schedule))
            complete.append(and_(*schedule, func.coalesce(have.c.n, 0) == len(full),
                                 have.c.first == full[0], have.c.last == full[-1]))
    query = (
        select(MedicationOrder.id, MedicationOrder.patient_id, MedicationOrder.times,
               MedicationOrder.every_days, MedicationOrder.start_at, MedicationOrder.end_at,
               Patient.facility_id, Patient.ward_id, Facility.timezone, CustodyEpisode.admitted_at,
               arrivals.c.arrived, have.c.n, have.c.first, have.c.last)
        .join(Patient, MedicationOrder.patient_id == Patient.id)
        .join(Facility, Patient.facility_id == Facility.id)
        .join(CustodyEpisode, and_(CustodyEpisode.patient_id == Patient.id,
                                   CustodyEpisode.released_at.is_(None)))
        .outerjoin(have, have.c.order_id == MedicationOrder.id)
        .outerjoin(arrivals, arrivals.c.episode_id == CustodyEpisode.id)
        .where(Patient.custody_status.in_(IN_CUSTODY),
               MedicationOrder.administration != "keep_on_person",
               MedicationOrder.start_at < window_end,
               or_(MedicationOrder.end_at.is_(None), MedicationOrder.end_at > window_start)))
    if len(due_here) < len(daily) * len(zones):
        # A daily schedule with no instant in the window (most, in a routine run's
        # quarter of an hour) has nothing to make there: not read.
        query = query.where(or_(MedicationOrder.every_days != 1, *due_here))
    if complete:
        query = query.where(not_(or_(*complete)))
    rows = session.execute(query.where(*whose)).all()
    if not rows:
        return 0
    plan, holes = [], []
    for row in rows:
        start = max(row.start_at, row.admitted_at)
        due = instants.of(row.times, row.every_days, start, row.end_at, row.timezone)
        if row.arrived is not None and due and due[0] < row.arrived:
            due = due[bisect_left(due, row.arrived):]   # the previous zone's days
        n, first, last = row.n or 0, row.first, row.last
        if n == 0:
            plan.append((row, due))
        elif due and n == bisect_right(due, last) and due[0] == first and due[n - 1] == last:
            plan.append((row, due[n:]))
        else:
            holes.append((row, due))
    if holes:
        have_all = set()
        for chunk in _chunks([r.id for r, _ in holes]):
            have_all.update(session.execute(
                select(ScheduledDose.order_id, ScheduledDose.due_at).where(
                    ScheduledDose.order_id.in_(chunk), ScheduledDose.due_at >= window_start,
                    ScheduledDose.due_at < window_end)).all())
        plan += [(r, [d for d in due if (r.id, d) not in have_all]) for r, due in holes]
    new = [dict(order_id=row.id, patient_id=row.patient_id, facility_id=row.facility_id,
                ward_id=row.ward_id, due_at=due, local_date=instants.day(due, row.timezone),
                status="due")
           for row, dues in plan for due in dues]
    # a dose another run made meanwhile is skipped (the unique order and instant)
    insert_rows(session, ScheduledDose.__table__, new, skip_conflicts_on=["order_id", "due_at"])
    return len(new)


def generate_since(session, mark, window_start: datetime, window_end: datetime,
                   now: datetime, ahead: timedelta) -> int:
    """The scheduler's generation after a run that completed at `mark` (its
    sweep_watermark.Watermark) with the same `ahead`: that run made every dose due
    up to its own window's end, so only two things can be missing: the instants
    since that end, for every order (a short window, read from the due-instant
    index), and any instant of the window for a patient whose orders or custody
    changed since (a backdated order, an admission, a transfer to another time
    zone: from her arrival on, as generate_doses), read by her doses' index.
    Returns how many rows were inserted."""
    made = generate_doses(session, max(window_start, mark.since + ahead), window_end, now)
    changed = set(session.scalars(select(MedicationOrder.patient_id).where(
        or_(MedicationOrder.created_at >= mark.since,
            MedicationOrder.discontinued_at >= mark.since))))
    changed.update(session.scalars(select(CustodyEvent.patient_id).where(
        CustodyEvent.recorded_at >= mark.since)))
    for chunk in _chunks(sorted(changed)):
        made += generate_doses(session, window_start, window_end, now, patient_ids=chunk)
    return made


class _Instants:
    """Due instants of schedules in one window, computed once per (times, zone)
    for daily schedules and cut to each order's [start, end)."""

    def __init__(self, window_start, window_end):
        self.start, self.end = window_start, window_end
        self.daily, self.days = {}, {}

    def of(self, times, every_days, start_at, end_at, tz) -> list[datetime]:
        if every_days != 1:
            return schedule_rules.due_instants(times, every_days, start_at, end_at, tz,
                                               self.start, self.end)
        key = (tuple(times), tz)
        found = self.daily.get(key)
        if found is None:
            found = self.daily[key] = schedule_rules.due_instants(
                times, 1, self.start, None, tz, self.start, self.end)
        lo = bisect_left(found, start_at)
        hi = len(found) if end_at is None else bisect_left(found, end_at)
        return found[lo:hi]

    def day(self, instant, tz) -> date:
        key = (instant, tz)
        found = self.days.get(key)
        if found is None:
            found = self.days[key] = schedule_rules.local_day(instant, tz)
        return found


def _chunks(items, size=2000):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _with_everything(query):
    return query.options(
        joinedload(ScheduledDose.patient).joinedload(Patient.ward),
        joinedload(ScheduledDose.order),
        joinedload(ScheduledDose.administration).joinedload(DoseAdministration.recorded_by),
        joinedload(ScheduledDose.administration).joinedload(DoseAdministration.witnessed_by),
    )


def ward_doses(facility: Facility, ward_id: int | None, day: date, *, round_at: datetime | None,
               now) -> list[ScheduledDose]:
    """The MAR of a facility (or one ward) for a local day, read in one query with
    patients, orders and live administrations (for the API; the pill-pass page reads
    plain rows, services/pill_pass.py). Nothing is generated: the scheduler makes
    doses 36 hours ahead."""
    query = select(ScheduledDose).where(ScheduledDose.facility_id == facility.id,
                                        ScheduledDose.local_date == day)
    if ward_id is not None:
        query = query.where(ScheduledDose.ward_id == ward_id)
    if round_at is not None:
        query = query.where(ScheduledDose.due_at == round_at)
    query = _with_everything(query).join(ScheduledDose.patient).order_by(
        ScheduledDose.due_at, Patient.family_name, Patient.given_name, ScheduledDose.id)
    return db.session.scalars(query).unique().all()


def patient_doses(patient: Patient, first: date, last: date, *, now) -> list[ScheduledDose]:
    """A patient's doses on local days first..last (generated if missing)."""
    if patient.facility is not None and patient.custody_status in IN_CUSTODY:
        tz = patient.facility.timezone
        start, _ = schedule_rules.local_day_bounds(first, tz)
        _, end = schedule_rules.local_day_bounds(last, tz)
        end = min(end, schedule_rules.local_day_bounds(schedule_rules.local_day(now, tz), tz)[1])
        if start < end:
            generate_doses(db.session, start, end, now, patient_ids={patient.id})
    query = select(ScheduledDose).where(ScheduledDose.patient_id == patient.id,
                                        ScheduledDose.local_date >= first,
                                        ScheduledDose.local_date <= last)
    return db.session.scalars(_with_everything(query).order_by(ScheduledDose.due_at,
                                                                 ScheduledDose.id)).unique().all()


def load_dose(actor, dose_id: int, *, for_update=False) -> ScheduledDose:
    from ..authz import ensure_patient_visible
    from ..errors import NotFound
    # One query for what recording reads: the patient (visibility), the order and the
    # facility (the guards), the live record (already recorded?).
    dose = db.session.get(ScheduledDose, dose_id, options=[
        joinedload(ScheduledDose.patient), joinedload(ScheduledDose.order),
        joinedload(ScheduledDose.facility), joinedload(ScheduledDose.administration)])
    if dose is None:
        raise NotFound("No such dose.")
    try:
        ensure_patient_visible(actor, dose.patient)
    except NotFound:
        raise NotFound("No such dose.") from None
    return dose


def where_absent(patient: Patient) -> str | None:
    """'at court', 'in hospital', 'in transfer' when she is away now, else None."""
    return ABSENT_WHERE.get(patient.custody_status)


def default_range(today: date) -> tuple[date, date]:
    return today - timedelta(days=6), today


from . import dose_arrivals  # noqa: E402,F401  (registers the custody hook; it uses generate_doses)

"""The two safety guards on a `given` dose, for many doses at once (set-based), so
the pill pass and the ward MAR show them for a whole ward before the nurse acts and
recording checks them for one dose: the OST review block after missed days, and the
same-day double dose. The rules themselves are pure (rules/dosing_guards.py)."""
from collections import defaultdict
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from sqlalchemy import Date, bindparam, func, literal, or_, select, union_all

from .. import db_prepared
from ..db_types import in_list
from ..extensions import db
from ..models.medication import (ClinicalReview, DoseAdministration, MedicationOrder,
                                 ScheduledDose)
from ..rules import dosing_guards
from ..rules import schedule as schedule_rules

MAX_EVERY_DAYS = schedule_rules.EVERY_DAYS_MAX
ALREADY_GIVEN_TODAY = "dose_already_given_today"
REVIEW_REQUIRED = "review_required"


def _rows(statement, params=None) -> list:
    """Plain rows of a column select, past the ORM's per-row machinery (the guards
    read thousands of tuples per ward); pending changes are flushed first."""
    db.session.flush()
    return db.session.connection().execute(statement, params).all()


def _built_rows(statement, params, *, prepare=False) -> list:
    """The same for a statement built once (below): run as its compiled SQL
    (db_prepared.rows), on PostgreSQL prepared on the server when `prepare`."""
    db.session.flush()
    return db_prepared.rows(statement, params, prepare=prepare)


# The guards' statements are built once per dialect (bound parameters; id lists as
# one parameter, db_types.in_list): building them on every page cost a few
# milliseconds of Python.

def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _ost_drug(order_id):
    """The drug of an OST order (NULL for any other programme), looked up by the
    order's key for each row found. A join lets the planner hash every OST order in
    the country instead (10,000 rows read per page at national scale)."""
    return (select(MedicationOrder.drug)
            .where(MedicationOrder.id == order_id, MedicationOrder.programme == "ost")
            .scalar_subquery())


@lru_cache(maxsize=2)
def _history_statement(dialect: str):
    """The OST history of a window in one statement: per patient and order, the last
    given day before the target day, then every dose since that can end or extend a
    streak (not given, or on/after the target day). Both halves read the (patient,
    day, status, order) index; rows of other programmes come with no drug. Only days
    before the last target day: a dose's streak reads the days before it (on a
    one-day page none of that day's doses, a row each, comes back). Prepared on
    PostgreSQL (db_prepared): its generic plan reads the same index."""
    sd = ScheduledDose
    window = (in_list(sd.patient_id, "patients", dialect),
              sd.local_date >= bindparam("first", type_=Date),
              sd.local_date < bindparam("last", type_=Date))
    target = bindparam("target", type_=Date)
    per_order = (select(sd.patient_id, sd.order_id, func.max(sd.local_date).label("day"))
                 .where(*window, sd.local_date < target, sd.status == "given")
                 .group_by(sd.patient_id, sd.order_id).subquery())
    last_given = select(per_order.c.patient_id, _ost_drug(per_order.c.order_id),
                        per_order.c.day, literal("given"))
    since = (select(sd.patient_id, _ost_drug(sd.order_id), sd.local_date, sd.status)
             .where(*window, or_(sd.status != "given", sd.local_date >= target)))
    return union_all(last_given, since)


@lru_cache(maxsize=4)
def _given_at_statement(one_day: bool, dialect: str):
    """The last given instant per patient and order (and day, unless all the targets
    share one day; days before the last target day, the only ones read), with the
    order's drug when it is OST, for the patients whose streak reached a threshold.
    Prepared on PostgreSQL (db_prepared): its generic plan is the custom one (the
    patient-day index, each dose's live record)."""
    sd, da = ScheduledDose, DoseAdministration
    first, target = bindparam("first", type_=Date), bindparam("target", type_=Date)
    per_order = (select(sd.patient_id, sd.order_id,
                        (func.max(sd.local_date) if one_day else sd.local_date).label("day"),
                        func.max(da.administered_at).label("at"))
                 .select_from(da).join(sd, da.dose_id == sd.id)
                 .where(in_list(sd.patient_id, "patients", dialect), sd.local_date >= first,
                        sd.local_date < target if one_day
                        else sd.local_date < bindparam("last", type_=Date),
                        da.voided_at.is_(None), da.outcome == "given")
                 .group_by(*((sd.patient_id, sd.order_id) if one_day else
                             (sd.patient_id, sd.order_id, sd.local_date))).subquery())
    return select(per_order.c.patient_id, _ost_drug(per_order.c.order_id), per_order.c.day,
                  per_order.c.at)


@lru_cache(maxsize=2)
def _reviews_statement(dialect: str):
    return (select(ClinicalReview.patient_id, func.max(ClinicalReview.reviewed_at))
            .where(in_list(ClinicalReview.patient_id, "patients", dialect),
                   ClinicalReview.programme == "ost")
            .group_by(ClinicalReview.patient_id))


# -- the guards, for many doses at once -------------------------------------------------

class GuardDose(NamedTuple):
    """What the guards need to know about one scheduled dose: plain values, so the
    pill pass can check a whole ward without loading ORM objects. A named tuple:
    made once per OST row of the page, it costs 0.9 us where a frozen dataclass
    cost 2.7."""
    id: int
    patient_id: int
    programme: str
    drug: str
    lineage_id: int
    times_per_day: int
    local_date: date
    timezone: str
    recorded: bool = False


def guard_dose(dose) -> GuardDose:
    """A GuardDose for an ORM ScheduledDose (a GuardDose passes through)."""
    if isinstance(dose, GuardDose):
        return dose
    order = dose.order
    return GuardDose(id=dose.id, patient_id=dose.patient_id, programme=order.programme,
                     drug=order.drug, lineage_id=order.lineage_id,
                     times_per_day=order.times_per_day, local_date=dose.local_date,
                     timezone=dose.facility.timezone, recorded=dose.administration is not None)


def review_blocked(doses, thresholds=None) -> set[int]:
    """Ids of the OST doses among `doses` (ScheduledDose or GuardDose) whose `given`
    needs a clinician review first.

    A few queries whatever the number of patients, none reading months of doses
    for a whole ward: the OST doses of the last few days (threshold + 2), which
    decide every streak that ends at a given dose or reaches its threshold inside
    them; only for the other patients (sparse schedules) the long window (see
    _ost_history); then, only for the patients whose streak reached a threshold,
    the last given instant and the last review. The threshold table is merged and
    each drug name matched once per call, not once per dose."""
    if thresholds is None:   # the rule table's blocking rungs, overrides included
        from .pass_alerts import guard_thresholds
        table = guard_thresholds()
    else:
        table = dosing_guards.merge_thresholds(thresholds)
    families: dict[str, str | None] = {}   # drug -> family, once per drug name, not per row

    def family_of(drug):
        if drug not in families:
            families[drug] = dosing_guards.drug_family(drug, table)
        return families[drug]

    # Each target with its family, looked up once (a target's key is its patient and family).
    targets = [(d, family) for d in map(guard_dose, doses)
               if d.programme == "ost" and (family := family_of(d.drug))]
    if not targets:
        return set()
    biggest = max(table[family]["days"] for _d, family in targets)
    first_target = min(d.local_date for d, _f in targets)
    first_day = first_target - timedelta(days=biggest * MAX_EVERY_DAYS + 1)
    last_day = max(d.local_date for d, _f in targets)

    # Read in widening windows, each only for the patients the narrower one left
    # undecided: the day before the first target day (whoever was given a dose then
    # is decided: her streak counts the days after her last given day; at a morning
    # round that is nearly everyone), then the last few days (a daily schedule
    # decides within `biggest` days), then the long window (sparse schedules). A
    # streak that ends at a given dose, or reaches its threshold, inside a window is
    # decided. A streak is read by the rule's one-pass form (dosing_guards.
    # streak_before: the days before the dose, a past dose nobody recorded counting
    # as missed, whether or not the scheduler has marked it yet).
    streaks, undecided = {}, targets
    for first in (first_target - timedelta(days=1), first_target - timedelta(days=biggest + 2)):
        histories = _ost_history(family_of, {d.patient_id for d, _f in undecided}, first,
                                 first_target, last_day)
        still = []
        for dose, family in undecided:
            history = histories.get((dose.patient_id, family), ())
            streak, last_given_day = dosing_guards.streak_before(history, dose.local_date)
            if last_given_day is not None or streak >= table[family]["days"]:
                streaks[dose.id] = (history, streak)
            else:
                still.append((dose, family))
        undecided = still
        if not undecided:
            break
    if undecided:
        long = _ost_history(family_of, {d.patient_id for d, _f in undecided}, first_day,
                            first_target, last_day)
        for dose, family in undecided:
            history = long.get((dose.patient_id, family), ())
            streaks[dose.id] = (history, dosing_guards.streak_before(history, dose.local_date)[0])
    reached = {d.patient_id for d, family in targets
               if streaks[d.id][1] >= table[family]["days"]}
    # The last given instant only matters once a streak has reached its threshold and
    # a review is on file (dosing_guards.review_required reads it only to tell whether
    # the review came after it). It reads the long window, so it is asked only for
    # those patients, per patient, order and day (one row per order when all targets
    # share a day). Neither runs when no patient needs it: a page has at most these
    # two statements more, whatever the number of patients (bench/run.py counts them).
    reviews = (dict(_built_rows(_reviews_statement(_dialect()), {"patients": list(reached)}))
               if reached else {})
    given_at: dict[tuple, list] = defaultdict(list)
    one_day = first_target == last_day
    rows = (_built_rows(_given_at_statement(one_day, _dialect()), {
        "patients": list(reviews), "first": first_day, "target": first_target,
        "last": last_day}, prepare=True) if reviews else ())
    for pid, drug, day, at in rows:
        if drug is not None and day is not None:
            given_at[(pid, family_of(drug))].append((day, at))
    blocked = set()
    for dose, family in targets:
        if dose.patient_id not in reached:
            continue
        history, streak = streaks[dose.id]
        last_given = max((at for day, at in given_at[(dose.patient_id, family)]
                          if day < dose.local_date), default=None)
        review_at = reviews.get(dose.patient_id)
        since = None
        if review_at is not None:
            since = dosing_guards.streak_before(
                history, dose.local_date,
                after=schedule_rules.local_day(review_at, dose.timezone))[0]
        if dosing_guards.review_required(dose.drug, streak, review_at, last_given,
                                         table, missed_since_review=since):
            blocked.add(dose.id)
    return blocked


def _ost_history(family_of, patient_ids, first_day: date, first_target: date,
                 last_day: date) -> dict[tuple, list]:
    """(patient, family) -> [(local day, status)] of the OST doses that can end or
    extend a streak on first_day..last_day, without a row per past given dose: the
    last given day before the earliest target day, then the doses since (one
    statement, _history_statement)."""
    by_key: dict[tuple, list] = defaultdict(list)
    for pid, drug, day, status in _built_rows(_history_statement(_dialect()), {
            "patients": list(patient_ids), "first": first_day, "last": last_day,
            "target": first_target}, prepare=True):
        if drug is not None:
            by_key[(pid, family_of(drug))].append((day, status))
    return by_key


def given_counts(doses) -> dict[tuple[int, date], int]:
    """(order lineage, local day) -> live `given` records, for the days of `doses`
    (ScheduledDose or GuardDose). Counted over the whole lineage, so a new version
    or a transfer does not reset it. A dose's local day is that of the zone it was
    scheduled in (doses.py: before her arrival in another zone, the previous zone's),
    i.e. which day's dose it is, not the receiving zone's reading of its instant:
    after a transfer west the receiving ward's dose of the day she was dosed on
    before leaving (hours later) is refused; after a transfer east her first dose
    there falls on a later local day and is not."""
    doses = [guard_dose(d) for d in doses]
    if not doses:
        return {}
    lineages = {d.lineage_id for d in doses}
    days = {d.local_date for d in doses}
    # A dose's status mirrors its live record ("given" exactly when a live `given`
    # record exists), so the (patient, local day) index finds the few doses of
    # these patients on these days; the patient travels with her doses.
    rows = _rows(
        select(MedicationOrder.lineage_id, ScheduledDose.local_date, func.count())
        .select_from(ScheduledDose)
        .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
        .where(ScheduledDose.patient_id.in_({d.patient_id for d in doses}),
               ScheduledDose.local_date.in_(days), ScheduledDose.status == "given",
               MedicationOrder.lineage_id.in_(lineages))
        .group_by(MedicationOrder.lineage_id, ScheduledDose.local_date))
    return {(lineage, day): n for lineage, day, n in rows}


def already_given_today(doses) -> set[int]:
    """Ids of the not-yet-recorded doses whose `given` the double-dose guard refuses."""
    doses = [guard_dose(d) for d in doses]
    counts = given_counts(doses)
    return {d.id for d in doses if not d.recorded and dosing_guards.second_dose_same_day(
        d.times_per_day, counts.get((d.lineage_id, d.local_date), 0))}


def blocks_for(doses) -> dict[int, list[str]]:
    """dose id -> codes a `given` would be refused with, for the unrecorded doses
    among `doses` (the ward MAR and the pill pass show them before the nurse acts)."""
    open_rows = [d for d in map(guard_dose, doses) if not d.recorded]
    out: dict[int, list[str]] = {}
    for dose_id in already_given_today(open_rows):
        out.setdefault(dose_id, []).append(ALREADY_GIVEN_TODAY)
    for dose_id in review_blocked(open_rows):
        out.setdefault(dose_id, []).append(REVIEW_REQUIRED)
    return out

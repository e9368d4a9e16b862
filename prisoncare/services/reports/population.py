"""Who was in custody where, and on treatment, day by day, as set-based SQL.

Custody segments. A custody episode (admission to release) is cut by the events
that change where the person is held or her legal status: admission, transfer_in
and sentenced start a segment; the next such event or the release ends it. A
segment's days are facility-local (its facility's time zone), from the day of the
event that starts it to the day before the next one starts, or to the release
day itself (the release day is a day in custody). Days in transfer belong to the
sending facility. Segments of one episode therefore never share a day.

Person-days on treatment (programme P, period [from, to]): the days of the period
on which the person had an active order of P (started, and not yet ended,
superseded or discontinued, at some moment of that day) while in a custody
segment. Orders of one programme that overlap or touch (a new version replacing
the old, two ART drugs) are merged first, so a day counts once per programme:
person-days on treatment are counted per programme (a day on OST and ART is two).
The report's totals also give the person-days on any treatment, each person and
day once (`distinct_people`), which is what "how many person-days" answers.
A day of court, hospital or transfer is in custody and counts.
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Date, and_, case, func, literal, or_, select, union_all

from ...extensions import db

from ...models.facilities import Facility
from ...models.medication import MedicationOrder
from ...models.patients import CustodyEvent, Patient
from ...rules.reports import REPORT_PROGRAMMES, months
from .sql import Dialect, age_band_expr

SEGMENT_EVENTS = ("admission", "transfer_in", "sentenced", "release")
FAR = datetime(9999, 1, 1, tzinfo=timezone.utc)
SLACK = timedelta(days=2)   # any time zone's day lies within two UTC days of it


def segments(d: Dialect, first: date, last: date, facility_ids=None):
    """Subquery: patient_id, episode_id, facility_id, legal_status, start_day, end_day of every
    custody segment touching [first, last] (end_day of an open one: `last`)."""
    e = CustodyEvent
    w = {"partition_by": e.episode_id, "order_by": e.seq}
    marked = (select(
        e.patient_id, e.episode_id, e.facility_id, e.type, e.occurred_at,
        func.lead(e.type).over(**w).label("next_type"),
        func.lead(e.occurred_at).over(**w).label("next_at"),
        func.max(case((e.type == "sentenced", 1), else_=0)).over(**w).label("sentenced"),
        func.first_value(e.legal_status).over(**w).label("admitted_as"))
        .where(e.type.in_(SEGMENT_EVENTS))
        .where(e.occurred_at < _instant_after(last))
        .subquery("marked"))
    tz = Facility.timezone
    next_day = d.local_day(marked.c.next_at, tz)
    end_day = case((marked.c.next_type.is_(None), d.day(last)),
                   (marked.c.next_type == "release", next_day),
                   else_=d.add_days(next_day, -1))
    query = (select(
        marked.c.patient_id, marked.c.episode_id, marked.c.facility_id,
        case((marked.c.sentenced == 1, "sentenced"),
             else_=func.coalesce(marked.c.admitted_as, "unknown")).label("legal_status"),
        d.local_day(marked.c.occurred_at, tz).label("start_day"),
        end_day.label("end_day"))
        .join(Facility, Facility.id == marked.c.facility_id)
        .where(marked.c.type != "release"))
    if facility_ids is not None:
        query = query.where(marked.c.facility_id.in_(facility_ids))
    inner = query.subquery("seg_all")
    # Materialized: SQLite would otherwise recompute it for every row it is joined to.
    return (select(inner).where(inner.c.start_day <= d.day(last), inner.c.end_day >= d.day(first),
                                inner.c.end_day >= inner.c.start_day)
            .cte("segments").prefix_with("MATERIALIZED"))


def treatment_islands(first: date, last: date, programmes=REPORT_PROGRAMMES,
                      per_programme: bool = True):
    """Subquery: patient_id, programme, start_at, end_at (FAR: still active) of each
    maximal run of overlapping or touching orders of one programme (of any of
    them, programme "any", when not `per_programme`)."""
    o = MedicationOrder
    programme = o.programme if per_programme else literal("any")
    lo, hi = _instant_before(first), _instant_after(last)
    end = func.coalesce(o.end_at, literal(FAR, o.end_at.type))
    part = {"partition_by": (o.patient_id, programme), "order_by": (o.start_at, o.id)}
    flagged = (select(
        o.id, o.patient_id, programme.label("programme"), o.start_at, end.label("end_at"),
        func.max(end).over(**part, rows=(None, -1)).label("prev_end"))
        .where(o.programme.in_(programmes), o.start_at < hi, or_(o.end_at.is_(None), o.end_at >= lo))
        .where(or_(o.end_at.is_(None), o.end_at > o.start_at))
        .subquery("flagged"))
    new = case((or_(flagged.c.prev_end.is_(None), flagged.c.start_at > flagged.c.prev_end), 1),
               else_=0)
    numbered = select(
        flagged.c.patient_id, flagged.c.programme, flagged.c.start_at, flagged.c.end_at,
        func.sum(new).over(partition_by=(flagged.c.patient_id, flagged.c.programme),
                           order_by=(flagged.c.start_at, flagged.c.id),
                           rows=(None, 0)).label("island")).subquery("numbered")
    return (select(numbered.c.patient_id, numbered.c.programme,
                   func.min(numbered.c.start_at).label("start_at"),
                   func.max(numbered.c.end_at).label("end_at"))
            .group_by(numbered.c.patient_id, numbered.c.programme, numbered.c.island)
            .subquery("islands"))


def person_days(d: Dialect, first: date, last: date, groups, facility_ids=None, age_bands=(),
                distinct_people: bool = False):
    """{group values tuple: person-days} for the report groups other than cause;
    counted per programme (two programmes on one day: two), or, with
    `distinct_people`, once per person and day whatever she is on."""
    seg = segments(d, first, last, facility_ids)
    isl = treatment_islands(first, last, per_programme=not distinct_people)
    tz = Facility.timezone
    isl_first = d.local_day(isl.c.start_at, tz)
    isl_last = case((isl.c.end_at >= literal(FAR, isl.c.end_at.type), d.day(last)),
                    else_=d.local_day(isl.c.end_at, tz))
    dims = {
        "facility": Facility.code, "sex": Patient.sex,
        "age_band": age_band_expr(Patient.date_of_birth, first, age_bands),
        "legal_status": seg.c.legal_status, "programme": isl.c.programme,
    }
    cols = [dims[g].label(g) for g in groups if g in dims]
    # Each island x segment overlap once (the local days computed once), then split by month.
    overlaps = (select(*cols, d.greatest(isl_first, seg.c.start_day, d.day(first)).label("lo"),
                       d.least(isl_last, seg.c.end_day, d.day(last)).label("hi"))
                .select_from(isl)
                .join(seg, seg.c.patient_id == isl.c.patient_id)
                .join(Facility, Facility.id == seg.c.facility_id)
                .join(Patient, Patient.id == isl.c.patient_id)
                .where(and_(isl.c.start_at < _instant_after(last),
                            isl.c.end_at >= _instant_before(first)))
                .cte("overlaps").prefix_with("MATERIALIZED"))
    keys = [overlaps.c[g] for g in groups if g in dims]
    lo, hi = overlaps.c.lo, overlaps.c.hi
    query = select()
    if "month" in groups:
        month = union_all(*[select(literal(key).label("month"), literal(a, Date).label("m_first"),
                                   literal(b, Date).label("m_last"))
                            for key, a, b in months(first, last)]).subquery("months")
        lo, hi = d.greatest(lo, month.c.m_first), d.least(hi, month.c.m_last)
        query = query.select_from(overlaps).join(
            month, (month.c.m_first <= overlaps.c.hi) & (month.c.m_last >= overlaps.c.lo))
        keys = [month.c.month if g == "month" else overlaps.c[g]
                for g in groups if g in dims or g == "month"]
    total = func.sum(d.days_inclusive(lo, hi))
    query = query.add_columns(*keys, total).where(overlaps.c.hi >= overlaps.c.lo).group_by(*keys)
    return {tuple(row[:-1]): int(row[-1] or 0) for row in db.session.execute(query)}


def _instant_after(last: date) -> datetime:
    return datetime.combine(last, datetime.min.time(), timezone.utc) + SLACK


def _instant_before(first: date) -> datetime:
    return datetime.combine(first, datetime.min.time(), timezone.utc) - SLACK

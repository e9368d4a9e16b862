"""The interruption report (issue 8): interruptions, missed doses, person-days on
treatment and the rate per 100 person-days, grouped; and the episodes behind
each figure.

Interruptions: the episodes (rules/interruptions.py) of OST, ART, TB or HCV that
started on a day of the period (counted by start: an episode going on over the
period's end counts once, in the period it started), at the facility responsible
when each began (the sending facility for a transfer). Missed doses: the doses
refused, not available, absent or missed (not held) whose facility-local day is
in the period and that belong to an episode, whenever that episode started, so
a past period's figure does not change when an episode goes on after it, and
months add up. Person-days: see population.py, counted per programme; the
totals count a person-day once however many programmes she is on. A group by
cause shows no person-days or rate per cause row (every cause shares the whole
population's person-days: they are in the totals). Rate: interruptions /
person-days x 100.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func, select, union

from ... import audit
from ...extensions import db
from ...models.facilities import Facility
from ...models.interruptions import InterruptionEpisode
from ...models.medication import MedicationOrder, ScheduledDose
from ...models.patients import Patient
from ...rules.reports import REPORT_PROGRAMMES, definitions, rate_per_100
from .population import _instant_after, _instant_before, person_days, segments
from .sql import Dialect, age_band_expr

FIGURES = ("interruptions", "missed_doses", "person_days_on_treatment", "rate_per_100_person_days")
MISSED = ("refused", "not_available", "absent", "missed")


@dataclass(frozen=True)
class Scope:
    """What a report covers: the period, and the facilities (None: all)."""
    first: date
    last: date
    facility_ids: frozenset | None
    facility_code: str | None = None


def _episode_dims(d: Dialect, scope: Scope, groups, month_of=None):
    ie = InterruptionEpisode
    dims = {
        "facility": Facility.code, "month": d.month(ie.start_on if month_of is None else month_of),
        "sex": Patient.sex,
        "age_band": age_band_expr(Patient.date_of_birth, scope.first, definitions().age_bands),
        "programme": ie.programme, "cause": ie.cause,
    }
    seg = None
    if "legal_status" in groups:
        seg = segments(d, scope.first, scope.last, None)
        dims["legal_status"] = func.coalesce(seg.c.legal_status, "unknown")
    return dims, seg


def _inside(d: Dialect, scope: Scope, by_month: bool):
    """The episode lies wholly in the period (and in one month, when grouped by
    month): its stored missed doses are the period's, no dose need be read."""
    ie = InterruptionEpisode
    clause = and_(ie.start_on >= scope.first, ie.end_on.is_not(None), ie.end_on <= scope.last)
    return and_(clause, d.month(ie.start_on) == d.month(ie.end_on)) if by_month else clause


def _episodes_query(d: Dialect, scope: Scope, groups, *columns, filters=None, doses=None):
    """The episodes started in the period; with `doses` "inside", the episodes wholly
    in it (see _inside); with "crossing", the missed doses due in the period (column
    `dose_id`) of the other episodes touching it, joined to their episode (month:
    the dose's)."""
    ie = InterruptionEpisode
    sd, o = ScheduledDose, MedicationOrder
    wanted = set(groups) | set(filters or {})
    crossing = doses == "crossing"
    dims, seg = _episode_dims(d, scope, wanted, sd.local_date if crossing else None)
    if crossing:
        columns = (*columns, sd.id.label("dose_id"))
    query = (select(*[dims[g].label(g) for g in groups], *columns)
             .select_from(ie)
             .join(Patient, Patient.id == ie.patient_id)
             .join(Facility, Facility.id == ie.facility_id)
             .where(ie.programme.in_(REPORT_PROGRAMMES)))
    if doses is None:
        query = query.where(ie.start_on >= scope.first, ie.start_on <= scope.last)
    else:
        inside = _inside(d, scope, "month" in wanted)
        query = query.where(ie.start_on <= scope.last,
                            (ie.end_on.is_(None)) | (ie.end_on >= scope.first),
                            ~inside if crossing else inside)
    if crossing:
        query = (query.join(sd, (sd.patient_id == ie.patient_id) & (sd.local_date >= ie.start_on)
                            & (sd.local_date <= func.coalesce(ie.end_on, d.day(scope.last))))
                 .join(o, (o.id == sd.order_id) & (o.programme == ie.programme))
                 .where(sd.local_date >= scope.first, sd.local_date <= scope.last,
                        sd.status.in_(MISSED), *_due_between(scope)))
    if seg is not None:
        query = query.outerjoin(seg, (seg.c.patient_id == ie.patient_id)
                                & (seg.c.start_day <= ie.start_on) & (seg.c.end_day >= ie.start_on))
    if scope.facility_ids is not None:
        query = query.where(ie.facility_id.in_(scope.facility_ids))
    for name, value in (filters or {}).items():
        query = query.where(dims[name] == value)
    return query


def interruption_rows(scope: Scope, groups) -> list[dict]:
    """The report's rows, one per group met (by episodes or by person-days),
    sorted by the group values; with no group, one row for everything."""
    return _compute(scope, groups)[0]


def _due_between(scope: Scope):
    """A due-instant bound around the period's local days (any time zone's)."""
    sd = ScheduledDose
    return (sd.due_at >= _instant_before(scope.first), sd.due_at < _instant_after(scope.last))


def _count(d, scope, groups) -> dict:
    """Interruptions: the episodes started in the period."""
    inner = _episodes_query(d, scope, groups, InterruptionEpisode.id.label("counted")).subquery()
    keys = [inner.c[g] for g in groups]
    return {tuple(r[:len(groups)]): int(r[-1]) for r in db.session.execute(
        select(*keys, func.count(inner.c.counted)).group_by(*keys))}


def _missed(d, scope, groups) -> dict:
    """Missed doses due in the period: the stored count of the episodes wholly in
    it, plus those read from the doses of the episodes crossing its start, its
    end (or a month's end, by month). A few hundred episodes cross: most of the
    year's millions of doses are never read."""
    out: dict = {}
    ie = InterruptionEpisode
    inside = _episodes_query(d, scope, groups, ie.missed_doses.label("n"), doses="inside").subquery()
    crossing = _episodes_query(d, scope, groups, doses="crossing").subquery()
    for inner, amount in ((inside, func.sum(inside.c.n)), (crossing, func.count(crossing.c.dose_id))):
        keys = [inner.c[g] for g in groups]
        for r in db.session.execute(select(*keys, amount).group_by(*keys)):
            key = tuple(r[:len(groups)])
            out[key] = out.get(key, 0) + int(r[-1] or 0)
    return {k: v for k, v in out.items() if v}


def _compute(scope: Scope, groups) -> tuple[list[dict], int, int]:
    """The rows, and the person-days of the whole scope: counted per programme (the
    rate's denominator) and once per person and day (two programmes on a day: one)."""
    d = Dialect()
    episodes = _count(d, scope, groups)
    missed = _missed(d, scope, groups)
    days_groups = tuple(g for g in groups if g != "cause")
    days = person_days(d, scope.first, scope.last, days_groups, scope.facility_ids,
                       definitions().age_bands)
    keys = set(episodes) | set(missed)
    if "cause" not in groups:
        keys |= set(days)
    rows = []
    for key in sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        values = dict(zip(groups, key))
        count = episodes.get(key, 0)
        # by cause, every row would show the whole population's person-days: left out
        at_risk = None if "cause" in groups else days.get(tuple(values[g] for g in days_groups), 0)
        rows.append({**values, "interruptions": count, "missed_doses": missed.get(key, 0),
                     "person_days_on_treatment": at_risk,
                     "rate_per_100_person_days": (None if at_risk is None
                                                  else rate_per_100(count, at_risk))})
    once = person_days(d, scope.first, scope.last, (), scope.facility_ids,
                       definitions().age_bands, distinct_people=True).get((), 0)
    return rows, sum(days.values()), once


def interruption_report(actor, scope: Scope, groups, *, now) -> dict:
    """The report, and one access-log entry for reading it."""
    rows, at_risk, once = _compute(scope, groups)
    totals = {f: sum(r[f] for r in rows) for f in FIGURES[:2]}
    totals["person_days_on_treatment"] = at_risk
    totals["person_days_any_treatment"] = once
    totals["rate_per_100_person_days"] = rate_per_100(totals["interruptions"], at_risk)
    audit.record(actor, "report.interruptions.read", at=now, detail={
        "from": scope.first.isoformat(), "to": scope.last.isoformat(),
        "facility": scope.facility_code, "group_by": list(groups), "rows": len(rows)})
    return {"from": scope.first, "to": scope.last, "facility": scope.facility_code,
            "group_by": list(groups), "items": rows, "total": len(rows), "totals": totals}


def episodes_behind(actor, scope: Scope, filters: dict, *, limit, offset, now,
                    figure: str = "interruptions"):
    """The episodes counted in one figure: those of the period matching `filters`
    (group name -> value), oldest first, with the total. `figure` interruptions:
    the episodes started in the period; missed_doses: those with a missed dose
    due in the period (whenever they started). `limit` None: every one."""
    d = Dialect()
    ie = InterruptionEpisode
    doses = figure == "missed_doses"
    in_period = {}
    if doses:     # the episodes behind the missed doses, and how many each counted
        inside = _episodes_query(d, scope, (), ie.id, ie.missed_doses.label("n"), filters=filters,
                                 doses="inside").subquery()
        crossing = _episodes_query(d, scope, (), ie.id, filters=filters,
                                   doses="crossing").subquery()
        in_period = dict(db.session.execute(select(inside.c.id, inside.c.n)
                                            .where(inside.c.n > 0)).all())
        in_period.update(db.session.execute(
            select(crossing.c.id, func.count(crossing.c.dose_id)).group_by(crossing.c.id)).all())
        query = union(select(inside.c.id).where(inside.c.n > 0),
                      select(crossing.c.id)).subquery()
    else:
        query = _episodes_query(d, scope, (), ie.id, filters=filters).subquery()
    ids = select(query.c.id).distinct()
    total = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    page = (select(ie, Patient.sex, Patient.date_of_birth, Facility.code)
            .join(Patient, Patient.id == ie.patient_id).join(Facility, Facility.id == ie.facility_id)
            .where(ie.id.in_(ids)).order_by(ie.start_on, ie.id).offset(offset))
    rows = db.session.execute(page if limit is None else page.limit(limit)).all()
    audit.record(actor, "report.episodes.read", at=now, detail={
        "from": scope.first.isoformat(), "to": scope.last.isoformat(),
        "facility": scope.facility_code, "filters": filters, "figure": figure,
        "results": len(rows)})
    if not doses:
        in_period = _missed_in_period(d, scope, [row[0].id for row in rows])
    return [_episode_row(e, sex, born, code, scope, in_period.get(e.id, 0))
            for e, sex, born, code in rows], total


def _missed_in_period(d, scope: Scope, episode_ids) -> dict:
    """episode id -> its missed doses due in the period (one query per 2,000)."""
    ie, sd, o = InterruptionEpisode, ScheduledDose, MedicationOrder
    out = {}
    ids = sorted(episode_ids)
    for i in range(0, len(ids), 2000):
        out.update(db.session.execute(
            select(ie.id, func.count(sd.id)).select_from(ie)
            .join(sd, (sd.patient_id == ie.patient_id) & (sd.local_date >= ie.start_on)
                  & (sd.local_date <= func.coalesce(ie.end_on, d.day(scope.last))))
            .join(o, (o.id == sd.order_id) & (o.programme == ie.programme))
            .where(ie.id.in_(ids[i:i + 2000]), sd.status.in_(MISSED), *_due_between(scope),
                   sd.local_date >= scope.first, sd.local_date <= scope.last)
            .group_by(ie.id)).all())
    return out


def _episode_row(e, sex, born, facility_code, scope, missed_in_period):
    from ...rules.reports import age_band
    return {"id": e.id, "patient": e.patient_id, "facility": facility_code, "sex": sex,
            "age_band": age_band(born, scope.first), "programme": e.programme, "cause": e.cause,
            "start_on": e.start_on, "end_on": e.end_on, "length_days": e.length_days,
            "missed_days": e.missed_days, "missed_doses": e.missed_doses,
            "missed_doses_in_period": missed_in_period,
            "held_days": e.held_days, "cause_days": dict(e.cause_days or {})}

"""The interruption report (issue 8): interruptions, missed doses, person-days on
treatment and the rate per 100 person-days, grouped; and the episodes behind
each figure.

Interruptions: the episodes (rules/interruptions.py) of OST, ART, TB or HCV that
started on a day of the period, counted by the facility the sweep attributed
them to. Missed doses: the sum of those episodes' missed doses. Person-days: see
population.py; they are the population at risk, so a group by cause shows every
cause against the same person-days. Rate: interruptions / person-days x 100.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from ... import audit
from ...extensions import db
from ...models.facilities import Facility
from ...models.interruptions import InterruptionEpisode
from ...models.patients import Patient
from ...rules.reports import REPORT_PROGRAMMES, definitions, rate_per_100
from .population import person_days, segments
from .sql import Dialect, age_band_expr

FIGURES = ("interruptions", "missed_doses", "person_days_on_treatment", "rate_per_100_person_days")


@dataclass(frozen=True)
class Scope:
    """What a report covers: the period, and the facilities (None: all)."""
    first: date
    last: date
    facility_ids: frozenset | None
    facility_code: str | None = None


def _episode_dims(d: Dialect, scope: Scope, groups):
    ie = InterruptionEpisode
    dims = {
        "facility": Facility.code, "month": d.month(ie.start_on), "sex": Patient.sex,
        "age_band": age_band_expr(Patient.date_of_birth, scope.first, definitions().age_bands),
        "programme": ie.programme, "cause": ie.cause,
    }
    seg = None
    if "legal_status" in groups:
        seg = segments(d, scope.first, scope.last, None)
        dims["legal_status"] = func.coalesce(seg.c.legal_status, "unknown")
    return dims, seg


def _episodes_query(d: Dialect, scope: Scope, groups, *columns, filters=None):
    ie = InterruptionEpisode
    dims, seg = _episode_dims(d, scope, set(groups) | set(filters or {}))
    query = (select(*[dims[g].label(g) for g in groups], *columns)
             .select_from(ie)
             .join(Patient, Patient.id == ie.patient_id)
             .join(Facility, Facility.id == ie.facility_id)
             .where(ie.start_on >= scope.first, ie.start_on <= scope.last,
                    ie.programme.in_(REPORT_PROGRAMMES)))
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


def _compute(scope: Scope, groups) -> tuple[list[dict], int]:
    """The rows, and the person-days of the whole scope."""
    d = Dialect()
    ie = InterruptionEpisode
    inner = _episodes_query(d, scope, groups, ie.id.label("episode_id"),
                            ie.missed_doses.label("missed")).subquery("counted")
    keys = [inner.c[g] for g in groups]
    counted = db.session.execute(
        select(*keys, func.count(inner.c.episode_id), func.sum(inner.c.missed)).group_by(*keys))
    episodes = {tuple(r[:len(groups)]): (int(r[-2]), int(r[-1] or 0)) for r in counted}
    days_groups = tuple(g for g in groups if g != "cause")
    days = person_days(d, scope.first, scope.last, days_groups, scope.facility_ids,
                       definitions().age_bands)
    keys = set(episodes)
    if "cause" not in groups:
        keys |= set(days)
    rows = []
    for key in sorted(keys, key=lambda k: tuple("" if v is None else str(v) for v in k)):
        values = dict(zip(groups, key))
        count, missed = episodes.get(key, (0, 0))
        at_risk = days.get(tuple(values[g] for g in days_groups), 0)
        rows.append({**values, "interruptions": count, "missed_doses": missed,
                     "person_days_on_treatment": at_risk,
                     "rate_per_100_person_days": rate_per_100(count, at_risk)})
    return rows, sum(days.values())


def interruption_report(actor, scope: Scope, groups, *, now) -> dict:
    """The report, and one access-log entry for reading it."""
    rows, at_risk = _compute(scope, groups)
    totals = {f: sum(r[f] for r in rows) for f in FIGURES[:2]}
    totals["person_days_on_treatment"] = at_risk
    totals["rate_per_100_person_days"] = rate_per_100(totals["interruptions"], at_risk)
    audit.record(actor, "report.interruptions.read", at=now, detail={
        "from": scope.first.isoformat(), "to": scope.last.isoformat(),
        "facility": scope.facility_code, "group_by": list(groups), "rows": len(rows)})
    return {"from": scope.first, "to": scope.last, "facility": scope.facility_code,
            "group_by": list(groups), "items": rows, "total": len(rows), "totals": totals}


def episodes_behind(actor, scope: Scope, filters: dict, *, limit, offset, now):
    """The episodes counted in one figure: those of the period matching `filters`
    (group name -> value), oldest first, with the total."""
    d = Dialect()
    ie = InterruptionEpisode
    query = _episodes_query(d, scope, (), ie.id, filters=filters)
    ids = select(query.subquery().c.id)
    total = db.session.scalar(select(func.count()).select_from(ids.subquery()))
    rows = db.session.execute(
        select(ie, Patient.sex, Patient.date_of_birth, Facility.code)
        .join(Patient, Patient.id == ie.patient_id).join(Facility, Facility.id == ie.facility_id)
        .where(ie.id.in_(ids)).order_by(ie.start_on, ie.id).limit(limit).offset(offset)).all()
    audit.record(actor, "report.episodes.read", at=now, detail={
        "from": scope.first.isoformat(), "to": scope.last.isoformat(),
        "facility": scope.facility_code, "filters": filters, "results": len(rows)})
    return [_episode_row(e, sex, born, code, scope.first) for e, sex, born, code in rows], total


def _episode_row(e, sex, born, facility_code, first):
    from ...rules.reports import age_band
    return {"id": e.id, "patient": e.patient_id, "facility": facility_code, "sex": sex,
            "age_band": age_band(born, first), "programme": e.programme, "cause": e.cause,
            "start_on": e.start_on, "end_on": e.end_on, "length_days": e.length_days,
            "missed_days": e.missed_days, "missed_doses": e.missed_doses,
            "held_days": e.held_days, "cause_days": dict(e.cause_days or {})}

"""Interruption episodes per patient and programme, recomputed from the doses by
`rules.interruptions.compute_episodes` at every sweep (so a late entry, a voided
record or a movement entered late is reflected by the next run).

Set-based and bounded: only the (patient, programme) pairs with a lost dose in the
last `recompute_days`, a stored episode touching that window, or a recent
admission with community treatment are read, with their doses from the window on
(from further back only for an episode still going on, or an intake gap). Stored
episodes are matched to computed ones by overlap, so an episode keeps its id (and
its alerts) when a late entry moves its first day.

Incremental: a run recomputes those pairs only for the patients whose record
changed since the previous run's watermark (`sweep_watermark`); at a new local
day the episodes going on of the others grow by their length alone
(`episode_growth`); the first run, or `full=True`, recomputes them all. Both end
in the same state: a pair nothing changed for would be recomputed to what is
stored. What it writes carries the number of its run (`updated_run`), so the
alert jobs after it do not read again next time what they have already seen.

An intake gap (community treatment not continued) opens only after an admission
of the last `intake_lookback_days`, but once recorded it is kept, and grows, for
as long as it lasts.

A released patient's episodes stop at her release: an episode going on then is
closed on the release day (or the day after a release from court, counted as
`release_without_supply`: nothing was handed over).

An episode's facility is the one responsible when it began, not where she is now:
the facility of its first lost dose (a dose stays with the facility that scheduled
it; only doses still due move on arrival), so an interruption in transit is the
sending facility's; an intake gap with no dose yet is the admitting facility's.
It is computed from the record each time, so it is the same at every recompute
(and the report, which groups by it, does not move an episode after a transfer).
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import selectinload

from ..db_bulk import insert_rows, update_rows
from ..models.facilities import Facility
from ..models.intake import CommunityMedication
from ..models.interruptions import DoseMark, InterruptionEpisode
from ..models.medication import MedicationOrder, ScheduledDose
from ..models.patients import CustodyEpisode, Patient
from ..rules import dosing_guards
from ..rules import interruptions as rules
from ..rules.schedule import local_day
from . import sweep_watermark
from .dose_marks import _chunks
from .episode_growth import grow_ongoing, write_grown

LOST = ("refused", "held", "not_available", "absent", "missed")
CONTINUED = ("ost", "art")
FIELDS = ("start_on", "end_on", "length_days", "missed_days", "missed_doses", "held_days",
          "cause", "cause_days", "cause_event_id", "drug_family", "facility_id")


@dataclass
class _Pair:
    patient_id: int
    programme: str
    from_day: date
    intake_due_on: date | None = None
    intake_facility_id: int | None = None


def _candidates(session, window_start: date, programmes, now, intake_days,
                patient_ids=None) -> dict:
    """The (patient, programme) pairs to recompute, of every patient or of those
    in `patient_ids` (read per 2,000)."""
    if patient_ids is None:
        return _candidates_of(session, window_start, programmes, now, intake_days, None)
    pairs: dict[tuple, _Pair] = {}
    for chunk in _chunks(sorted(patient_ids)):
        pairs.update(_candidates_of(session, window_start, programmes, now, intake_days, chunk))
    return pairs


def _candidates_of(session, window_start, programmes, now, intake_days, patient_ids, *,
                   only_intake=False) -> dict:
    pairs: dict[tuple, _Pair] = {}

    def only(query, column):
        return query if patient_ids is None else query.where(column.in_(patient_ids))

    def add(pid, prog, day, intake=None, admitted_to=None):
        pair = pairs.setdefault((pid, prog), _Pair(pid, prog, window_start))
        pair.from_day = min(pair.from_day, day)
        if intake is not None:
            pair.intake_due_on, pair.intake_facility_id = intake, admitted_to
    for pid, prog in [] if only_intake else session.execute(only(
            select(ScheduledDose.patient_id, MedicationOrder.programme).distinct()
            .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
            .where(ScheduledDose.status.in_(LOST), ScheduledDose.local_date >= window_start,
                   ScheduledDose.due_at >= _day_start(window_start),
                   MedicationOrder.programme.in_(programmes)), ScheduledDose.patient_id)):
        add(pid, prog, window_start)
    for pid, prog, first in [] if only_intake else session.execute(only(
            select(InterruptionEpisode.patient_id, InterruptionEpisode.programme,
                   func.min(InterruptionEpisode.start_on))
            .where(or_(InterruptionEpisode.end_on.is_(None),
                       InterruptionEpisode.end_on >= window_start))
            .group_by(InterruptionEpisode.patient_id, InterruptionEpisode.programme),
            InterruptionEpisode.patient_id)):
        add(pid, prog, first)
    intakes = (select(CommunityMedication.patient_id, CommunityMedication.programme,
                      CustodyEpisode.admitted_at, CommunityMedication.last_dose_at,
                      Facility.timezone, CustodyEpisode.facility_id)
               .join(CustodyEpisode, CommunityMedication.episode_id == CustodyEpisode.id)
               .join(Facility, CustodyEpisode.facility_id == Facility.id)
               .where(CustodyEpisode.released_at.is_(None),
                      CommunityMedication.programme.in_([p for p in CONTINUED if p in programmes]))
               .order_by(CommunityMedication.id))
    # An intake gap opens only after a recent admission, but one already recorded is
    # kept however long it lasts: a month without her methadone must stay on record.
    gaps = set(session.execute(only(
        select(InterruptionEpisode.patient_id, InterruptionEpisode.programme).where(
            InterruptionEpisode.cause == "intake_gap",
            or_(InterruptionEpisode.end_on.is_(None), InterruptionEpisode.end_on >= window_start)),
        InterruptionEpisode.patient_id)).all())
    rows = session.execute(only(intakes.where(
        CustodyEpisode.admitted_at >= now - timedelta(days=intake_days)),
        CommunityMedication.patient_id)).all()
    for chunk in _chunks(sorted({pid for pid, _prog in gaps})):
        rows += [r for r in session.execute(intakes.where(
            CommunityMedication.patient_id.in_(chunk),
            CustodyEpisode.admitted_at < now - timedelta(days=intake_days))) if tuple(r[:2]) in gaps]
    for pid, prog, admitted_at, last_dose_at, tz, admitted_to in rows:
        due_on = intake_due_on(admitted_at, last_dose_at, tz)
        add(pid, prog, due_on, due_on, admitted_to)
    return pairs


def _day_start(day: date) -> datetime:
    """An instant before every dose of local `day` anywhere (UTC+14 at most): lets
    a local-day bound use the due-instant indexes."""
    return datetime.combine(day, datetime.min.time(), timezone.utc) - timedelta(hours=14)


def intake_due_on(admitted_at: datetime, last_dose_at: datetime | None, tz: str) -> date:
    """The first day a dose of a community treatment was due in custody: the day
    after the last community dose, never before the admission day (the admission
    day itself when the last dose is not known)."""
    admitted_on = local_day(admitted_at, tz)
    if last_dose_at is None:
        return admitted_on
    return max(admitted_on, local_day(last_dose_at, tz) + timedelta(days=1))


def _patients(session, ids) -> dict:
    """patient id -> (facility id, time zone, released_at, release_from)."""
    out = {}
    for chunk in _chunks(ids):
        for pid, fac_id, status, tz in session.execute(
                select(Patient.id, Patient.facility_id, Patient.custody_status, Facility.timezone)
                .outerjoin(Facility, Patient.facility_id == Facility.id)
                .where(Patient.id.in_(chunk))):
            out[pid] = [fac_id, tz or "UTC", None, None, status]
        released = [pid for pid in chunk if out.get(pid) and out[pid][4] == "released"]
        for pid, at, where in session.execute(
                select(CustodyEpisode.patient_id, CustodyEpisode.released_at,
                       CustodyEpisode.release_from)
                .where(CustodyEpisode.patient_id.in_(released),
                       CustodyEpisode.released_at.is_not(None))
                .order_by(CustodyEpisode.released_at)):
            out[pid][2:4] = [at, where]
    return out


def _doses(session, pairs: dict, window_start: date) -> dict:
    """(patient, programme) -> [(due_at, local_date, status, drug, cause, event id,
    facility id)]."""
    out: dict[tuple, list] = defaultdict(list)
    early: dict[int, date] = {}   # per patient, the earliest day one of her pairs needs
    for p in pairs.values():
        if p.from_day < window_start:
            early[p.patient_id] = min(p.from_day, early.get(p.patient_id, p.from_day))

    def read(ids, first, last=None):
        query = (select(ScheduledDose.patient_id, MedicationOrder.programme, ScheduledDose.due_at,
                        ScheduledDose.local_date, ScheduledDose.status, MedicationOrder.drug,
                        DoseMark.cause, DoseMark.custody_event_id, ScheduledDose.facility_id)
                 .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
                 .outerjoin(DoseMark, DoseMark.dose_id == ScheduledDose.id)
                 .where(ScheduledDose.patient_id.in_(ids), ScheduledDose.local_date >= first))
        if last is not None:
            query = query.where(ScheduledDose.local_date < last)
        for pid, prog, *rest in session.execute(query):
            pair = pairs.get((pid, prog))
            # each pair from its own first day: her other programme may reach further back,
            # and an episode computed from before it would miss its stored match
            if pair is not None and rest[1] >= pair.from_day:
                out[(pid, prog)].append(tuple(rest))
    for chunk in _chunks({p.patient_id for p in pairs.values()}):
        read(chunk, window_start)
    for chunk in _chunks(early):
        read(chunk, min(early[pid] for pid in chunk), window_start)
    return out


def _records(doses, released_at):
    records, marks = [], {}
    for due_at, on, status, _drug, cause, event_id, _facility in doses:
        if released_at is not None and due_at > released_at:
            continue   # after her release: not a dose she could have had here
        custody = cause if cause in ("court", "hospital", "transfer") else None
        records.append(rules.DoseRecord(due_at, on, status, custody))
        if status in ("absent", "missed") and cause:
            marks.setdefault(on, []).append((due_at, cause, event_id))
    return records, marks


def _compute(pair: _Pair, doses, facts, now):
    fac_id, tz, released_at, release_from, _status = facts
    today = local_day(now, tz)
    gone_on, without_supply = None, None
    if released_at is not None:
        gone_on = local_day(released_at, tz)
        if release_from == "court":
            without_supply = gone_on
            gone_on += timedelta(days=1)
        today = min(today, gone_on)
    records, marks = _records(doses, released_at)
    intake = pair.intake_due_on if pair.intake_due_on and pair.intake_due_on <= today else None
    episodes = rules.compute_episodes(records, today, intake_due_on=intake,
                                      released_without_supply_on=without_supply)
    drugs = [d[3] for d in sorted(doses, key=lambda d: d[0])]
    family = dosing_guards.drug_family(drugs[-1]) if drugs and pair.programme == "ost" else None
    out = []
    for ep in episodes:
        responsible = _facility_at_start(ep.start_on, doses, released_at, pair, fac_id)
        end_on = ep.end_on if ep.end_on is not None or gone_on is None else today
        event_id = next((e for on in sorted(marks) if ep.start_on <= on <= (end_on or today)
                         for _at, cause, e in sorted(marks[on], key=lambda m: m[0])
                         if cause == ep.cause), None)
        out.append(dict(start_on=ep.start_on, end_on=end_on, length_days=ep.length_days,
                        missed_days=ep.missed_days, missed_doses=ep.missed_doses,
                        held_days=ep.held_days, cause=ep.cause,
                        cause_days={c: n for c, n in ep.cause_days},
                        cause_event_id=event_id, drug_family=family, facility_id=responsible))
    return out


def _facility_at_start(start_on, doses, released_at, pair: _Pair, current):
    """The facility responsible when the episode began: that of its first lost dose;
    for an intake gap with none, the admitting facility; else where she is now."""
    lost = [(d[0], d[6]) for d in doses if d[1] >= start_on and d[2] in LOST
            and d[6] is not None and (released_at is None or d[0] <= released_at)]
    if lost:
        return min(lost, key=lambda d: d[0])[1]
    if pair.intake_due_on is not None and pair.intake_facility_id is not None \
            and start_on <= pair.intake_due_on:
        return pair.intake_facility_id
    return current


def _overlaps(a: dict, b: InterruptionEpisode, today: date) -> bool:
    return a["start_on"] <= (b.end_on or today) and b.start_on <= (a["end_on"] or today)


JOB = "interruptions"


def _to_recompute(session, now, window_start, programmes, intake_days, full):
    """(pairs, grown): every candidate pair (first run, `full`, or a clock gone
    backwards), or the candidate pairs of the patients whose record changed since
    the watermark; and, at a new local day, the episodes going on that only grow
    (episode id -> its length through today)."""
    mark = sweep_watermark.read(session, JOB)
    if full or mark is None or mark.done_at > now:
        return _candidates(session, window_start, programmes, now, intake_days), {}
    changed, new_day = sweep_watermark.changed_patients(session, mark, now,
                                                        given_near_episodes_only=True)
    grown = {}
    if new_day:
        changed.update(p.patient_id for p in _candidates_of(
            session, window_start, programmes, now, intake_days, None, only_intake=True).values())
        grown = grow_ongoing(session, mark, now, programmes, changed)
    if not changed:
        return {}, grown
    return _candidates(session, window_start, programmes, now, intake_days, changed), grown


def recompute_episodes(session, now, *, recompute_days: int, intake_lookback_days: int,
                       programmes, full: bool = False, max_days: int | None = None) -> dict:
    """Open, extend, close (and remove, when the record no longer shows them) the
    episodes; returns counts of what changed. Only the patients whose record
    changed since the last run are recomputed (see sweep_watermark), and at a new
    local day the episodes going on of the others grow by their length alone,
    unless `full` (or on the first run): the result is the same either way. With
    `max_days`, after a downtime the window reaches `recompute_days` before the last
    completed run (at most `max_days` back), so an episode that began unseen gets
    its first day."""
    recompute = timedelta(days=recompute_days)
    window_start = (now - recompute if max_days is None else sweep_watermark.catch_up_start(
        session, JOB, now, recompute, max_days)).date()
    pairs, grown = _to_recompute(session, now, window_start, tuple(programmes),
                                 intake_lookback_days, full)
    counts = {"opened": 0, "updated": len(grown), "closed": 0, "removed": 0}
    sweep_watermark.set_watermark(session, JOB, now)
    run = sweep_watermark.current_run(session)   # stamped on what it writes
    write_grown(session, grown, now, run)
    if not pairs:
        session.flush()
        return counts
    patient_ids = {p.patient_id for p in pairs.values()}
    facts = _patients(session, patient_ids)
    doses = _doses(session, pairs, window_start)
    stored: dict[tuple, list] = defaultdict(list)
    for chunk in _chunks(patient_ids):
        for ep in session.execute(select(InterruptionEpisode.id, InterruptionEpisode.patient_id,
                                         InterruptionEpisode.programme,
                                         *[getattr(InterruptionEpisode, f) for f in FIELDS])
                                  .where(InterruptionEpisode.patient_id.in_(chunk))):
            pair = pairs.get((ep.patient_id, ep.programme))
            if pair is not None and (ep.end_on is None or ep.end_on >= pair.from_day):
                stored[(ep.patient_id, ep.programme)].append(ep)
    far = date.max
    stale, opened, changes = [], [], []
    for key, pair in pairs.items():
        computed = _compute(pair, doses.get(key, []), facts[pair.patient_id], now)
        unmatched = sorted(stored.get(key, []), key=lambda e: e.start_on)
        for values in computed:
            match = next((e for e in unmatched if _overlaps(values, e, far)), None)
            if match is None:
                opened.append(dict(patient_id=pair.patient_id, programme=pair.programme,
                                   opened_at=now, updated_at=now, updated_run=run, **values))
                continue
            unmatched.remove(match)
            if any(getattr(match, f) != values[f] for f in FIELDS):
                if match.end_on is None and values["end_on"] is not None:
                    counts["closed"] += 1
                else:
                    counts["updated"] += 1
                changes.append(dict(values, id=match.id, updated_at=now, updated_run=run))
        stale.extend(e.id for e in unmatched)
    for chunk in _chunks(stale):
        session.execute(delete(InterruptionEpisode).where(InterruptionEpisode.id.in_(chunk))
                        .execution_options(synchronize_session=False))
    counts["removed"] = len(stale)
    # the changes first: a new episode may start where a changed one did
    update_rows(session, InterruptionEpisode.__table__, changes)
    insert_rows(session, InterruptionEpisode.__table__, opened)
    counts["opened"] = len(opened)
    return counts


# -- reading ---------------------------------------------------------------------------

def list_episodes(user, *, facility_id=None, patient_id=None, programme=None, first=None,
                  last=None, ongoing=None, limit=100, offset=0, now, session=None):
    """Episodes in the user's facilities, newest first; `first`/`last` keep those
    overlapping those days; `ongoing` True/False keeps the open / closed ones."""
    from .. import audit
    from ..authz import visible_facility_ids
    from ..extensions import db
    session = session or db.session
    query = select(InterruptionEpisode)
    ids = visible_facility_ids(user)
    if ids is not None:
        query = query.where(InterruptionEpisode.facility_id.in_(ids))
    for column, value in ((InterruptionEpisode.facility_id, facility_id),
                          (InterruptionEpisode.patient_id, patient_id),
                          (InterruptionEpisode.programme, programme)):
        if value is not None:
            query = query.where(column == value)
    if first is not None:
        query = query.where(or_(InterruptionEpisode.end_on.is_(None),
                                InterruptionEpisode.end_on >= first))
    if last is not None:
        query = query.where(InterruptionEpisode.start_on <= last)
    if ongoing is not None:
        query = query.where(InterruptionEpisode.end_on.is_(None) if ongoing
                            else InterruptionEpisode.end_on.is_not(None))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(InterruptionEpisode.start_on.desc(),
                                          InterruptionEpisode.id.desc())
                           .options(selectinload(InterruptionEpisode.patient),
                                    selectinload(InterruptionEpisode.cause_event))
                           .limit(limit).offset(offset)).all()
    audit.record(user, "interruption.list", at=now, patient_id=patient_id,
                 detail={"results": len(rows)})
    return rows, total


def episode_dict(ep: InterruptionEpisode) -> dict:
    return {
        "id": ep.id, "patient": ep.patient_id, "facility": ep.facility.code if ep.facility else None,
        "programme": ep.programme, "drug_family": ep.drug_family, "start_on": ep.start_on,
        "end_on": ep.end_on, "open": ep.end_on is None, "length_days": ep.length_days,
        "missed_days": ep.missed_days, "missed_doses": ep.missed_doses, "held_days": ep.held_days,
        "cause": ep.cause, "cause_days": dict(ep.cause_days or {}),
        "cause_event": ({"event_type": ep.cause_event.type, "event_id": ep.cause_event_id}
                        if ep.cause_event_id else None),
    }

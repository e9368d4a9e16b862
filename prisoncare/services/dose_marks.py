"""The scheduler's marks on the MAR: `absent` (she was at court, in hospital, in
transfer or released when the dose was due) and `missed` (in custody, and nothing
recorded within the programme's grace window).

Both are computed from the data at `now`: the custody timeline decides where she
was at each due instant, so a movement entered late turns a `missed` into an
`absent` (or back) on the next run. Only doses without a person's record are
touched (status due, missed or absent): a record always wins, and a late entry
replaces a mark. Set-based: one statement or query per step, never per patient.
A status the sweep sets carries the number of its run (`status_run`, see
sweep_watermark): the jobs after it have seen it, and do not read it again.
"""
from datetime import timedelta

from sqlalchemy import and_, delete, insert, literal, or_, select, update

from ..models.interruptions import DoseMark
from ..models.medication import UNRECORDED, MedicationOrder, ScheduledDose
from ..models.patients import CustodyEvent, Patient
from ..rules import sweep_settings as settings_rules
from .sweep_watermark import current_run

SETTINGS_PATH = settings_rules.PATH

# Movements that change where she is; the last one before a due instant says where.
MOVEMENTS = ("admission", "court_out", "court_return", "hospital_out", "hospital_return",
             "transfer_out", "transfer_in", "release")
AWAY = {"court_out": "court", "hospital_out": "hospital", "transfer_out": "transfer",
        "release": "released"}
CHUNK = 2000


def sweep_settings(overrides=None) -> dict:
    """sweep.toml, with a deployment's overrides merged one table deep
    (rules/sweep_settings.py)."""
    return settings_rules.load(overrides)


def _chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _last_movement():
    """The id of the patient's last movement at or before the dose's due instant."""
    return (select(CustodyEvent.id)
            .where(CustodyEvent.patient_id == ScheduledDose.patient_id,
                   CustodyEvent.type.in_(MOVEMENTS),
                   CustodyEvent.occurred_at <= ScheduledDose.due_at)
            .order_by(CustodyEvent.occurred_at.desc(), CustodyEvent.id.desc())
            .limit(1).correlate(ScheduledDose).scalar_subquery())


AWAY_NOW = ("out_at_court", "out_at_hospital", "in_transfer")


def _window_days(since, now):
    """The local days of doses due in [since, now], a day to spare either side (a local
    day is within 14 hours of UTC). Redundant with the due instants, it lets the
    database read a patient's doses by the (patient, local day) index over the window
    only, not over her whole history (SQLite uses only the terms inside a branch of an
    OR for that branch's index)."""
    return ScheduledDose.local_date.between((since - timedelta(days=1)).date(),
                                            (now + timedelta(days=1)).date())


def _movements(column, since):
    return select(CustodyEvent.patient_id).where(CustodyEvent.type.in_(MOVEMENTS), column >= since)


def _may_be_away(since, moved_since, now):
    """Doses due in [since, now] that can be `absent` at all: already absent (perhaps
    no longer), or of a patient away now, or who moved (or was released) since
    `moved_since`, or whose movement was entered since then. Any other patient has
    been where her last movement before the window left her, and she is in custody
    now, so she was in custody all through the window. Each patient branch bounds
    the dose's local day too (_window_days)."""
    days = _window_days(since, now)
    away = select(Patient.id).where(Patient.custody_status.in_(AWAY_NOW))
    return [ScheduledDose.status == "absent",
            and_(ScheduledDose.patient_id.in_(_movements(CustodyEvent.occurred_at, moved_since)),
                 days),
            and_(ScheduledDose.patient_id.in_(_movements(CustodyEvent.recorded_at, moved_since)),
                 days),
            and_(ScheduledDose.patient_id.in_(away), days)]


def _changed_since(mark, since, now, ahead_hours):
    """The doses of the window [since, now] whose mark may have changed since the
    watermark `mark` (the job's last run, sweep_watermark.Watermark): those due since
    it that can be absent at all (_may_be_away over that stretch); every dose of the
    window of a patient whose movement was entered since it (a late entry moves her
    in the past) or whose orders changed (doses made for the past); and a dose whose
    status changed since (a record voided), but not a mark that run had seen. The
    rest were where they are now when that run read them, and nothing they depend
    on has changed."""
    recent = mark.since
    days = _window_days(since, now)
    prescribed = select(MedicationOrder.patient_id).where(
        or_(MedicationOrder.created_at >= recent, MedicationOrder.discontinued_at >= recent))
    return ([and_(ScheduledDose.due_at >= recent, branch) for branch in
             _may_be_away(recent, recent - timedelta(hours=ahead_hours), now)]
            + [and_(ScheduledDose.patient_id.in_(_movements(CustodyEvent.recorded_at, recent)),
                    days),
               and_(ScheduledDose.patient_id.in_(prescribed), days),
               mark.changed(ScheduledDose.status_at, ScheduledDose.status_run)])


def mark_absent(session, now, *, since, ahead_hours: int = 36, changed_since=None) -> int:
    """Mark `absent` the unrecorded doses due in [since, now] while she was away,
    remembering where and the event that took her there; un-mark an `absent` dose
    the timeline no longer explains (it becomes `due` again, for mark_missed).
    Returns how many doses changed.

    The doses that can be absent are read with the patient's last movement before
    each (doses of a patient released up to `ahead_hours` before the window were
    generated before she left); the changes are written in bulk.
    `changed_since` (the job's watermark): only the doses whose mark may have
    changed since are read (_changed_since), not a week of court traffic."""
    if changed_since is None:
        branches = _may_be_away(since, since - timedelta(hours=ahead_hours), now)
    else:
        branches = _changed_since(changed_since, since, now, ahead_hours)
    query = (select(ScheduledDose.id, ScheduledDose.status, DoseMark.cause,
                    DoseMark.custody_event_id, _last_movement().label("event_id"))
             .outerjoin(DoseMark, DoseMark.dose_id == ScheduledDose.id)
             .where(ScheduledDose.status.in_(UNRECORDED), ScheduledDose.due_at <= now,
                    ScheduledDose.due_at >= since))
    if changed_since is not None and session.get_bind().dialect.name == "postgresql":
        # A query per branch, each by its own index, merged by dose: given the OR,
        # PostgreSQL read the week's unrecorded doses (90 ms a routine run, 15 ms so).
        # SQLite reads an OR branch by branch itself, faster than separate queries.
        rows = list({row.id: row for branch in branches
                     for row in session.execute(query.where(branch))}.values())
    else:
        rows = session.execute(query.where(or_(*branches))).all()
    event_ids = {r.event_id for r in rows if r.event_id is not None}
    types = {}
    for chunk in _chunks(event_ids):
        types.update(session.execute(select(CustodyEvent.id, CustodyEvent.type)
                                     .where(CustodyEvent.id.in_(chunk))).all())
    to_mark: list[dict] = []
    to_clear: list[int] = []
    for dose_id, status, cause, mark_event, event_id in rows:
        where = AWAY.get(types.get(event_id))
        if where is not None:
            if (status, cause, mark_event) != ("absent", where, event_id):
                to_mark.append(dict(dose_id=dose_id, mark="absent", cause=where,
                                    custody_event_id=event_id, marked_at=now))
        elif status == "absent":
            to_clear.append(dose_id)
    for chunk in _chunks([m["dose_id"] for m in to_mark] + to_clear):
        session.execute(delete(DoseMark).where(DoseMark.dose_id.in_(chunk)))
    if to_mark:
        session.execute(insert(DoseMark), to_mark)
    changed, run = 0, current_run(session)
    for chunk in _chunks([m["dose_id"] for m in to_mark]):
        changed += session.execute(
            update(ScheduledDose).where(ScheduledDose.id.in_(chunk),
                                        ScheduledDose.status.in_(UNRECORDED))
            .values(status="absent", status_at=now, status_run=run)
            .execution_options(synchronize_session=False)).rowcount
    for chunk in _chunks(to_clear):
        changed += session.execute(
            update(ScheduledDose).where(ScheduledDose.id.in_(chunk),
                                        ScheduledDose.status == "absent")
            .values(status="due", status_at=now, status_run=run)
            .execution_options(synchronize_session=False)).rowcount
    return changed


def _past_grace(now, grace_hours: dict):
    default = grace_hours.get("other", 12)
    named = [p for p in grace_hours if p != "other"]
    clauses = [and_(MedicationOrder.programme == p,
                    ScheduledDose.due_at <= now - timedelta(hours=grace_hours[p]))
               for p in named]
    clauses.append(and_(MedicationOrder.programme.not_in(named),
                        ScheduledDose.due_at <= now - timedelta(hours=default)))
    return or_(*clauses)


def mark_missed(session, now, *, since, grace_hours: dict) -> int:
    """Mark `missed` the doses due in [since, now - grace] that nobody recorded.
    Three statements for the whole country: the marks, then the statuses."""
    overdue = (select(ScheduledDose.id)
               .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
               .where(ScheduledDose.status == "due", ScheduledDose.due_at >= since,
                      # the shortest grace bounds the (status, due instant) index range:
                      # the doses generated ahead are not read
                      ScheduledDose.due_at <= now - timedelta(
                          hours=min([*grace_hours.values(), grace_hours.get("other", 12)])),
                      _past_grace(now, grace_hours)))
    session.execute(delete(DoseMark).where(DoseMark.dose_id.in_(overdue)))
    session.execute(insert(DoseMark).from_select(
        ["dose_id", "mark", "marked_at"],
        overdue.with_only_columns(ScheduledDose.id, literal("missed"),
                                  literal(now, DoseMark.marked_at.type))))
    return session.execute(
        update(ScheduledDose).where(ScheduledDose.id.in_(overdue))
        .values(status="missed", status_at=now, status_run=current_run(session))
        .execution_options(synchronize_session=False)).rowcount

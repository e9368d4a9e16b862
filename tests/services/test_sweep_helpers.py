"""Shared scenario builders for the sweep tests: a woman on methadone in FAC-A
(Europe/Kyiv: 08:00 local is 06:00 UTC in March), court days, sweeps at an
instant, and a snapshot of everything the sweep writes."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS, run_all
from prisoncare.models import Alert
from prisoncare.models.interruptions import DoseMark, InterruptionEpisode, SweepWatermark
from prisoncare.models.medication import ScheduledDose
from prisoncare.services import administration as mar
from prisoncare.services import custody, orders
from tests.factories import SYSTEM, admit, make_patient

UTC = timezone.utc


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def staff(username):
    from prisoncare.models import StaffUser
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def on_methadone(number="S-1", first_day=8, admitted=None, drug="Methadone oral solution",
                 programme="ost", times=("08:00",)):
    """Admitted long before, on a daily 08:00 order from `first_day` March."""
    patient = make_patient(number)
    admit(patient, at=admitted or at(1, 9))
    order = orders.create_order(staff("clinician.a"), patient, {
        "programme": programme, "drug": drug, "dose": 60, "unit": "mg", "route": "oral",
        "schedule": {"times": list(times), "every_days": 1},
        "start_at": at(first_day - 1, 10), "administration": "witnessed"}, now=clock.now())
    db.session.commit()
    return patient, order


def on_community_methadone(number="S-2", day=9):
    """Admitted at 06:00 Kyiv on `day` March with community methadone (80 mg, her own
    report) and no order yet."""
    from prisoncare.services import community_medication
    patient = make_patient(number)
    clock.set_now(at(day, 4))
    admit(patient, at=at(day, 4))
    community_medication.record_community_medication(staff("nurse.a"), patient, {
        "programme": "ost", "drug": "Methadone", "dose": 80, "unit": "mg",
        "source": "patient_report"}, now=at(day, 4))
    db.session.commit()
    return patient


def dose(order, day) -> ScheduledDose:
    """The order's dose on `day` March (generated if the sweep has not yet)."""
    from prisoncare.services.doses import generate_doses
    generate_doses(db.session, at(day - 1, 0), at(day + 1, 0), clock.now(),
                   patient_ids={order.patient_id})
    return db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.order_id == order.id, ScheduledDose.local_date == date(2026, 3, day))
        .order_by(ScheduledDose.due_at)).first()


def give(order, day, when=None):
    d = dose(order, day)
    record = mar.record_administration(staff("nurse.a"), d, {
        "outcome": "given", "witnessed_by": "nurse.a", "administered_at": when or d.due_at},
        now=clock.now())
    db.session.commit()
    return record


def event(patient, type_, when, **extra):
    db.session.refresh(patient)
    e = custody.record_event(SYSTEM, patient, {"type": type_, "occurred_at": when, **extra},
                             now=clock.now())
    db.session.commit()
    return e


def court_day(patient, day, leave=(5, 0), back=(17, 0)):
    """Taken to court 07:00 and back 19:00 Kyiv time."""
    event(patient, "court_out", at(day, *leave))
    if back is not None:
        event(patient, "court_return", at(day, *back))


def sweep(now, jobs=JOBS):
    with clock.frozen(now):
        results = run_all(now, jobs)
    assert all(ok for _job, ok, _summary in results), results
    db.session.expire_all()
    return {job: summary for job, _ok, summary in results}


def alerts(patient=None):
    query = select(Alert).order_by(Alert.rule_code)
    if patient is not None:
        query = query.where(Alert.patient_id == patient.id)
    return db.session.scalars(query).all()


def episodes(patient=None):
    query = select(InterruptionEpisode).order_by(InterruptionEpisode.programme,
                                                 InterruptionEpisode.start_on)
    if patient is not None:
        query = query.where(InterruptionEpisode.patient_id == patient.id)
    return db.session.scalars(query).all()


def _rows(model, columns):
    return sorted(tuple(getattr(r, c) for c in columns)
                  for r in db.session.scalars(select(model)))


def snapshot(with_times=True):
    """What the sweep writes. Without times (and with episode ids replaced by what
    the episode is) two histories that reach the same state compare equal."""
    db.session.expire_all()
    eps = {e.id: f"{e.patient_id}/{e.programme}/{e.start_on}" for e in episodes()}

    def key(k):
        head, _, tail = k.rpartition(":")
        return f"{head}:{eps.get(int(tail), tail)}" if ":episode:" in k else k
    ep_cols = ["patient_id", "programme", "start_on", "end_on", "length_days", "missed_days",
               "missed_doses", "held_days", "cause", "cause_event_id", "drug_family",
               "facility_id"]
    alert_cols = ["rule_code", "severity", "role", "patient_id", "message", "custody_message",
                  "cause_event_id", "status"]
    out = {
        "doses": _rows(ScheduledDose, ["id", "status"] + (["status_at"] if with_times else [])),
        "marks": _rows(DoseMark, ["dose_id", "mark", "cause", "custody_event_id"]
                       + (["marked_at"] if with_times else [])),
        "episodes": [r[:-1] + (str(sorted(r[-1].items())),) for r in _rows(
            InterruptionEpisode, ep_cols + (["id", "opened_at", "updated_at"] if with_times else [])
            + ["cause_days"])],
        "alerts": sorted((key(a.dedup_key),) + tuple(getattr(a, c) for c in alert_cols)
                         + ((a.id, a.opened_at, a.escalation_level) if with_times else ())
                         for a in db.session.scalars(select(Alert))),
    }
    return out


def forget_the_sweeps():
    """Undo everything the sweep wrote except the doses it generated: as if it had
    never run (for comparing one late sweep with many punctual ones)."""
    from sqlalchemy import delete, update
    db.session.execute(delete(Alert))
    db.session.execute(delete(InterruptionEpisode))
    db.session.execute(delete(DoseMark))
    db.session.execute(delete(SweepWatermark))
    db.session.execute(update(ScheduledDose).where(ScheduledDose.status.in_(("absent", "missed")))
                       .values(status="due", status_at=None))
    db.session.commit()

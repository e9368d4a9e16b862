"""What happens between two sweeps in bench/sweep.py: the nurses' records (in bulk) and
the prison management system's custody events (through the API's service calls)."""
from datetime import timedelta


def nurses_record(app, start, end, stamped_from, *, part=(0, 1), recorded_at=None):
    """The doses due in [start, end) recorded as the nurses would (93 % given, the rest
    refused), in bulk: administrations and statuses. `part` (k, n) records only the
    doses whose id is k modulo n (a round recorded over several quarters of an hour).
    Each record is made `recorded_at` (or 12 minutes after the dose was due), and its
    status stamped then but never before `stamped_from` (the last sweep so far:
    records cannot predate what it saw)."""
    from sqlalchemy import bindparam, insert, select, text, update

    from prisoncare.extensions import db
    from prisoncare.models.medication import DoseAdministration, ScheduledDose
    t = ScheduledDose.__table__
    k, n = part
    with app.app_context():
        rows = [r for r in db.session.execute(
            select(t.c.id, t.c.order_id, t.c.patient_id, t.c.due_at).where(
                t.c.due_at >= start, t.c.due_at < end, t.c.status == "due")).all()
                if r.id % n == k]
        nurse = db.session.execute(text("SELECT min(id) FROM staff_user")).scalar()
        admin, statuses = [], []
        for r in rows:
            outcome = "refused" if r.id % 14 == 0 else "given"
            made = max(recorded_at or r.due_at + timedelta(minutes=12), r.due_at)
            admin.append(dict(dose_id=r.id, order_id=r.order_id, patient_id=r.patient_id,
                              outcome=outcome, administered_at=min(r.due_at + timedelta(minutes=10),
                                                                   made),
                              recorded_at=made, recorded_by_id=nurse,
                              reason="Declined" if outcome == "refused" else None, late=False))
            statuses.append(dict(dose_id=r.id, outcome=outcome, at=max(made, stamped_from)))
        if admin:
            db.session.execute(insert(DoseAdministration), admin)
            db.session.execute(update(t).where(t.c.id == bindparam("dose_id")).values(
                status=bindparam("outcome"), status_at=bindparam("at")), statuses)
        db.session.commit()
        db.session.remove()
    return len(rows)


class Pms:
    """The prison management system posting custody events between two sweeps, through
    the service calls of `POST /api/v1/patients/<id>/custody-events` (read_patient,
    record_event, its hooks, the audit log), as the build's `bench.pms` login. Each
    post takes the next patient of a deterministic list, so every run posts the same."""

    def __init__(self, app):
        self.app, self.taken, self.in_transfer = app, set(), []

    def _pick(self, session, **where):
        from sqlalchemy import select

        from prisoncare.models import Patient
        query = select(Patient.id).order_by(Patient.id)
        for name, value in where.items():
            query = query.where(getattr(Patient, name) == value)
        for pid in session.scalars(query.where(Patient.id % 97 == 13).limit(200)):
            if pid not in self.taken:
                self.taken.add(pid)
                return pid
        return None

    def post(self, at, *, court_out=0, court_return=0, transfer_out=0, transfer_in=0,
             court_scheduled=0):
        """Events that happened in the 15 minutes before `at`, recorded 5 minutes
        before it. Returns how many were posted."""
        from sqlalchemy import select

        from prisoncare import clock
        from prisoncare.extensions import db
        from prisoncare.models import Facility, StaffUser, Ward
        from prisoncare.services.custody import record_event
        from prisoncare.services.patients import read_patient
        posted, happened = at - timedelta(minutes=5), at - timedelta(minutes=12)
        n = 0
        with self.app.app_context(), clock.frozen(posted):
            s = db.session
            pms = s.scalar(select(StaffUser).where(StaffUser.username == "bench.pms"))
            if pms is None:
                return 0   # a database built before the PMS login existed
            plan = []
            for _ in range(court_out):
                plan.append((self._pick(s, custody_status="in_custody", legal_status="pretrial"),
                             {"type": "court_out", "occurred_at": happened}))
            for _ in range(court_return):
                plan.append((self._pick(s, custody_status="out_at_court"),
                             {"type": "court_return", "occurred_at": happened}))
            for _ in range(court_scheduled):
                plan.append((self._pick(s, custody_status="in_custody", legal_status="pretrial"),
                             {"type": "court_scheduled", "expected_at": at + timedelta(days=2)}))
            codes = list(s.scalars(select(Facility.code).order_by(Facility.code)))
            for _ in range(transfer_out):
                pid = self._pick(s, custody_status="in_custody", legal_status="sentenced")
                if pid is not None:
                    to = codes[(pid % (len(codes) - 1)) + 1]
                    self.in_transfer.append((pid, to))
                    plan.append((pid, {"type": "transfer_out", "occurred_at": happened,
                                       "to_facility": to}))
            for _ in range(min(transfer_in, len(self.in_transfer))):
                pid, to = self.in_transfer.pop(0)
                ward = s.scalar(select(Ward.code).join(Facility).where(Facility.code == to)
                                .order_by(Ward.code).limit(1))
                plan.append((pid, {"type": "transfer_in", "occurred_at": happened,
                                   "facility": to, "ward": ward}))
            for pid, data in plan:
                if pid is None:
                    continue
                patient = read_patient(pms, pid, now=posted, purpose="patient.custody_write")
                record_event(pms, patient, data, now=posted)
                s.commit()
                n += 1
            s.remove()
        return n

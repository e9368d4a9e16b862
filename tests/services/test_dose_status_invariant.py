"""A dose's status mirrors its live record: one of the recorded outcomes exactly when
a live (unvoided) administration exists, and then that record's outcome; due,
absent or missed exactly when none exists. The pill pass reads the live record and
the double-dose count only for the statuses that can have them (pill_pass), and
shows the status's colour, so this must hold after any mix of recordings,
corrections, court and hospital days and sweeps, in any order."""
import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from prisoncare import clock
from prisoncare.errors import DomainError
from prisoncare.extensions import db
from prisoncare.models.medication import (RECORDED_OUTCOMES, UNRECORDED, DoseAdministration,
                                          ScheduledDose)
from prisoncare.services import administration as mar
from tests.factories import build_world

from .test_sweep_helpers import at, dose, event, on_methadone, staff, sweep


def statuses_and_live_records():
    live = (select(DoseAdministration.dose_id, DoseAdministration.outcome)
            .where(DoseAdministration.voided_at.is_(None)).subquery())
    return db.session.execute(
        select(ScheduledDose.id, ScheduledDose.status, live.c.outcome)
        .outerjoin(live, live.c.dose_id == ScheduledDose.id)).all()


def assert_status_mirrors_record(step):
    for dose_id, status, outcome in statuses_and_live_records():
        if outcome is None:
            assert status in UNRECORDED, (step, dose_id, status)
        else:
            assert status == outcome and status in RECORDED_OUTCOMES, (step, dose_id, status,
                                                                       outcome)


def record(order, day, outcome):
    d = dose(order, day)
    data = {"outcome": outcome, "administered_at": d.due_at}
    if outcome == "given":
        data["witnessed_by"] = "nurse.a"
    else:
        data["reason"] = "as the test decided"
    mar.record_administration(staff("nurse.a"), d, data, now=clock.now())


def void(order, day):
    mar.void_administration(staff("nurse.a"), dose(order, day), "recorded on the wrong dose",
                            now=clock.now())


@pytest.mark.parametrize("seed", range(6))
def test_status_mirrors_the_live_record_whatever_happens(ctx, seed):
    build_world()
    rnd = random.Random(seed)
    clock.set_now(at(8, 3))
    first, order = on_methadone("S-1")
    second, _ = on_methadone("S-2", drug="Buprenorphine sublingual")
    now, away, moved_at = at(8, 4), {}, {}
    for step in range(28):
        now += timedelta(hours=rnd.choice((2, 5, 9)))
        clock.set_now(now)
        day = rnd.choice([d for d in (now.day - 2, now.day - 1, now.day) if d >= 8])
        action = rnd.choice(("given", "refused", "held", "not_available", "void", "void",
                             "court", "hospital", "sweep", "sweep"))
        try:
            if action in RECORDED_OUTCOMES:
                record(order, day, action)
            elif action == "void":
                void(order, day)
            elif action in ("court", "hospital"):   # she leaves, or comes back
                patient = first if action == "court" else second
                back = away.get(patient.id, False)
                # posted late, often after doses were recorded inside the absence
                when = max(now - timedelta(minutes=rnd.choice((10, 90, 240, 480))),
                           moved_at.get(patient.id, now - timedelta(days=1)) + timedelta(minutes=5))
                event(patient, f"{action}_{'return' if back else 'out'}", when)
                away[patient.id], moved_at[patient.id] = not back, when
            else:
                sweep(now)
            db.session.commit()
        except DomainError:       # refused as the API would refuse it: nothing written
            db.session.rollback()
            if action in ("court", "hospital"):
                raise
        assert_status_mirrors_record((step, action, day))
    sweep(now + timedelta(days=1))
    assert_status_mirrors_record("the last sweep")
    statuses = {status for _id, status, _outcome in statuses_and_live_records()}
    assert statuses & set(RECORDED_OUTCOMES) and statuses & {"missed", "due"}, statuses

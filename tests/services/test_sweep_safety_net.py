"""The alert rules' safety net (issue 5): besides what changed, each evaluate-rules
run re-derives in full the patients of the quarters of an hour begun since its
watermark (patient id modulo 96), so every patient is re-derived once a day without
a full pass in any one sweep. Controlled clock."""
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS
from prisoncare.models import Alert
from prisoncare.services.sweep_watermark import Watermark, recheck_slices
from tests.factories import build_world

from .test_sweep_helpers import at, court_day, give, on_methadone, sweep
from .test_sweep_incremental_alerts import full_pass_changes

MIN = timedelta(minutes=1)
EVALUATE = tuple(j for j in JOBS if j.id == "evaluate-rules")


def slices(done_at, now):
    return recheck_slices(Watermark(done_at, None), now)


def test_a_run_rederives_the_quarters_of_an_hour_begun_since_the_last():
    assert slices(at(10, 10), at(10, 10, 15)) == (41,)      # 10:15 UTC is the 41st quarter
    assert slices(at(10, 10), at(10, 10, 14)) == ()         # none begun: nobody
    assert slices(at(10, 9, 58), at(10, 10, 31)) == (40, 41, 42)
    assert slices(at(10, 23, 50), at(11, 0, 20)) == (0, 1)  # across UTC midnight
    assert slices(at(10, 10), at(10, 10)) == ()             # a second run at the same instant
    assert len(slices(at(10, 10), at(11, 9, 59))) == 95
    assert slices(at(10, 10), at(11, 10)) is None           # a day or more: a full pass


def her_next_quarter(patient, after):
    """The next start of her quarter of an hour (patient id modulo 96), at least 30
    minutes after `after`."""
    t = after + 30 * MIN
    t = t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0) + 15 * MIN
    while int(t.timestamp()) // 900 % 96 != patient.id % 96:
        t += 15 * MIN
    return t


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def ladder():
    patient, order = on_methadone("S-1")
    clock.set_now(at(9, 8))
    give(order, 8)
    return patient, "OST-M-01:episode:"          # the 9th and 10th missed: the ladder


def custody():
    patient, order = on_methadone("S-1")
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    clock.set_now(at(10, 17, 30))
    court_day(patient, 10)                       # the 10th's dose lost at court
    return patient, "OST-E-02:event:"


def window():
    patient, _order = on_methadone("S-1", drug="Tenofovir/lamivudine/dolutegravir",
                                   programme="art", times=("09:00",))
    return patient, "ART-02:dose:"               # 8 to 10 March missed


@pytest.mark.parametrize("scenario", [ladder, custody, window])
def test_an_alert_lost_out_of_band_is_raised_again_by_the_run_of_her_quarter(w, scenario):
    patient, key = scenario()
    sweep(at(10, 18))

    def found():
        return [a for a in db.session.scalars(select(Alert)) if a.dedup_key.startswith(key)]
    [lost] = found()
    db.session.execute(delete(Alert).where(Alert.id == lost.id))   # a restore lost it
    db.session.commit()
    hers = her_next_quarter(patient, at(10, 18))
    sweep(hers - 30 * MIN, EVALUATE)
    sweep(hers - 1 * MIN, EVALUATE)              # runs of other quarters: not seen
    assert found() == []
    sweep(hers, EVALUATE)
    [again] = found()
    assert again.dedup_key == lost.dedup_key     # (perhaps resolved at once: a higher rung)
    assert not full_pass_changes(hers)           # where a full pass over everyone ends


def test_an_alert_reopened_out_of_band_is_closed_again_by_the_run_of_her_quarter(w):
    patient, order = on_methadone("S-1")
    clock.set_now(at(9, 8))
    give(order, 8)
    sweep(at(10, 18))                            # the 9th and 10th missed: the ladder
    [alert] = [a for a in db.session.scalars(select(Alert))
               if a.rule_code.startswith("OST-M-") and a.status == "open"]   # its top rung
    clock.set_now(at(11, 7))
    give(order, 11)                              # dosed again: the interruption ended
    sweep(at(11, 7, 15))
    db.session.refresh(alert)
    assert alert.status == "resolved" and alert.resolve_note.startswith("Interruption ended")
    alert.status, alert.resolved_at, alert.resolve_note = "open", None, None   # a restore
    db.session.commit()
    hers = her_next_quarter(patient, at(11, 7, 15))
    sweep(hers - 30 * MIN, EVALUATE)
    sweep(hers - 1 * MIN, EVALUATE)              # runs of other quarters: not seen
    db.session.refresh(alert)
    assert alert.status == "open"
    sweep(hers, EVALUATE)
    db.session.refresh(alert)
    assert alert.status == "resolved" and alert.resolve_note.startswith("Interruption ended")

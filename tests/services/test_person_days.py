"""Person-days on treatment (services/reports/population.py): custody segments tile
the days (a transfer day counts once, for the receiving facility), order versions
and concurrent orders of one programme count a day once, and a discontinued order
or a release stops the count."""
from datetime import date

import pytest

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import Facility
from prisoncare.services import orders
from prisoncare.services.reports import Scope
from prisoncare.services.reports.interruptions import interruption_rows
from tests.factories import admit, build_world, make_patient

from .test_sweep_helpers import at, event, staff

MARCH = Scope(date(2026, 3, 1), date(2026, 3, 9), None)


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(1, 12))
    return ctx


def _order(patient, programme, start, drug="x", end=None):
    data = {"programme": programme, "drug": drug, "dose": 1, "unit": "tablet", "route": "oral",
            "schedule": {"times": ["08:00"], "every_days": 1}, "start_at": start,
            "administration": "witnessed"}
    if end:
        data["end_at"] = end
    order = orders.create_order(staff("clinician.a"), patient, data, now=clock.now())
    db.session.commit()
    return order


def days(*groups, scope=MARCH):
    return {tuple(r[g] for g in groups): r["person_days_on_treatment"]
            for r in interruption_rows(scope, groups)}


def test_a_transfer_moves_the_days_to_the_receiving_facility_without_counting_twice(w):
    p = make_patient("PD-1")
    admit(p, at=at(1, 9))
    _order(p, "ost", at(1, 10))
    clock.set_now(at(4, 12))
    event(p, "transfer_out", at(4, 10), to_facility="FAC-B")
    clock.set_now(at(5, 12))
    event(p, "transfer_in", at(5, 9), facility="FAC-B", ward="M1")
    clock.set_now(at(10, 10))
    # FAC-A: 1-4 March (the day in transfer belongs to the sender), FAC-B: 5-9 March
    assert days("facility") == {("FAC-A",): 4, ("FAC-B",): 5}
    fac_b = db.session.scalar(db.select(Facility.id).where(Facility.code == "FAC-B"))
    assert days(scope=Scope(MARCH.first, MARCH.last, frozenset({fac_b}))) == {(): 5}


def test_versions_and_concurrent_orders_count_a_day_once_per_programme(w):
    p = make_patient("PD-2")
    admit(p, at=at(1, 9))
    first = _order(p, "art", at(1, 10), drug="TDF/3TC")
    _order(p, "art", at(3, 10), drug="DTG")                      # a second ART drug
    clock.set_now(at(5, 12))
    orders.change_order(staff("clinician.a"), first, {"dose": 2, "start_at": at(5, 12)},
                        now=clock.now())                          # a new version
    db.session.commit()
    _order(p, "tb", at(2, 10), end=at(4, 10))                     # 2-4 March
    clock.set_now(at(10, 10))
    assert days("programme") == {("art",): 9, ("tb",): 3}


def test_a_release_ends_the_days_and_the_period_clips_them(w):
    p = make_patient("PD-3")
    admit(p, at=at(1, 9), legal_status="sentenced")
    _order(p, "hcv", at(2, 10))
    clock.set_now(at(6, 12))
    event(p, "release", at(6, 11), release_from="facility")
    clock.set_now(at(10, 10))
    assert days("legal_status") == {("sentenced",): 5}            # 2-6 March
    assert days(scope=Scope(date(2026, 3, 4), date(2026, 3, 20), None)) == {(): 3}

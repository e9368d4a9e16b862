"""Cause attribution through the real sweep, as a table: what happened around her
08:00 methadone (Kyiv; 06:00 UTC) on 10 March, and the cause the interruption
episode is given from the timeline (controlled clock, both databases). The pure
rule, with episodes begun by one cause and continued by another, is in
tests/rules/test_interruptions.py."""
import pytest

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.services import administration as mar
from prisoncare.services import community_medication
from tests.factories import admit, build_world, make_patient

from .test_sweep_helpers import at, dose, episodes, event, give, on_methadone, staff, sweep


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def dosed_on_the_8th_and_9th():
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(9, 8))
    clock.set_now(at(10, 18))
    return patient, order


def record(order, day, outcome, reason):
    d = dose(order, day)
    mar.record_administration(staff("nurse.a"), d, {"outcome": outcome, "reason": reason,
                                                    "administered_at": d.due_at}, now=clock.now())
    db.session.commit()


def court(patient, order):
    event(patient, "court_out", at(10, 5))               # 07:00 Kyiv
    event(patient, "court_return", at(10, 17))
    return at(10, 18)


def transfer(patient, order):
    event(patient, "transfer_scheduled", at(9, 10), expected_at=at(10, 5), to_facility="FAC-B")
    event(patient, "transfer_out", at(10, 5), to_facility="FAC-B")
    event(patient, "transfer_in", at(10, 12), facility="FAC-B", ward="M1")
    return at(10, 18)


def hospital(patient, order):
    event(patient, "hospital_out", at(10, 4))
    event(patient, "hospital_return", at(10, 15))
    return at(10, 18)


def intake_gap(patient, order):
    """A new admission with community methadone nobody continued (no order yet)."""
    woman = make_patient("S-9")
    admit(woman, at=at(9, 4))
    community_medication.record_community_medication(staff("nurse.a"), woman, {
        "programme": "ost", "drug": "Methadone", "dose": 80, "unit": "mg",
        "source": "patient_report"}, now=at(9, 4))
    db.session.commit()
    return at(10, 18), woman


def release_without_supply(patient, order):
    clock.set_now(at(10, 6, 30))
    give(order, 10)                                      # dosed, then to court and released there
    sweep(at(10, 6, 30))                                 # the 11th's dose is made
    clock.set_now(at(10, 12))
    event(patient, "court_out", at(10, 7))
    event(patient, "release", at(10, 11), release_from="court")
    return at(11, 12)


def refusal(patient, order):
    record(order, 10, "refused", "said she felt unwell")
    return at(10, 18)


def stock_out(patient, order):
    record(order, 10, "not_available", "pharmacy delivery late")
    return at(10, 18)


def documentation_gap(patient, order):
    return at(10, 18)                                    # nothing recorded, nowhere else


def transfer_then_court(patient, order):
    """Begun in transfer, continued at court the next day: the transfer's."""
    transfer(patient, order)
    clock.set_now(at(11, 18))
    event(patient, "court_out", at(11, 5))
    event(patient, "court_return", at(11, 17))
    return at(11, 18)


CASES = [
    # timeline, the episode's start (March), cause, the custody event it names
    (court, 10, "court", "court_out"),
    (transfer, 10, "transfer", "transfer_out"),
    (hospital, 10, "hospital", "hospital_out"),
    (intake_gap, 9, "intake_gap", None),
    (release_without_supply, 11, "release_without_supply", None),
    (refusal, 10, "refusal", None),
    (stock_out, 10, "stock_out", None),
    (documentation_gap, 10, "documentation_gap", None),
    (transfer_then_court, 10, "transfer", "transfer_out"),
]


@pytest.mark.parametrize("timeline, start, cause, event_type", CASES,
                         ids=[c[0].__name__ for c in CASES])
def test_the_episode_is_attributed_from_the_timeline(w, timeline, start, cause, event_type):
    patient, order = dosed_on_the_8th_and_9th()
    result = timeline(patient, order)
    instant, patient = result if isinstance(result, tuple) else (result, patient)
    sweep(instant)
    [episode] = episodes(patient)
    assert (episode.start_on.day, episode.cause) == (start, cause)
    assert (episode.cause_event.type if episode.cause_event else None) == event_type

"""The escort letter's facts (issue 5, item 4), as services with a frozen clock: the
last dose given in the facility's own time (across midnight and the change to summer
time in Europe/Kyiv), each dose due while she is away and what is to happen to it, no
orders, which absence, and a query count that does not grow with the orders."""
import re

import pytest
from sqlalchemy import event as sa_event

from prisoncare import clock
from prisoncare.errors import Conflict, NotFound
from prisoncare.extensions import db
from prisoncare.models import Patient
from prisoncare.rules.escort_doses import dose_status
from prisoncare.services import escort_letter as service
from prisoncare.services import administration as mar
from prisoncare.services import orders
from prisoncare.services.administration import EARLY_WINDOW
from tests.factories import admit, build_world, make_patient

from .test_sweep_helpers import at, dose, event, give, on_methadone, staff

HOURS = {"court_scheduled": 12, "transfer_scheduled": 24}


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def art(patient, times=("13:00",), start=None, drug="TLD"):
    order = orders.create_order(staff("clinician.a"), patient, {
        "programme": "art", "drug": drug, "dose": 1, "unit": "tablet", "route": "oral",
        "schedule": {"times": list(times), "every_days": 1}, "start_at": start or at(7, 10),
        "administration": "nurse_administered"}, now=clock.now())
    db.session.commit()
    return order


def letter(patient, **kw):
    return service.escort_letter(db.session, patient, now=clock.now(), **kw)


def line(result, programme):
    [found] = [o for o in result.orders if o.programme == programme]
    return found


def test_a_court_day_the_dose_to_give_early_and_the_one_to_send(w):
    patient, methadone = on_methadone()
    art(patient)                                              # 13:00 Kyiv, nurse-administered
    clock.set_now(at(9, 8))
    give(methadone, 8)
    give(methadone, 9)                                        # 08:00 Kyiv on the 9th
    court = event(patient, "court_scheduled", at(9, 8), expected_at=at(10, 5))   # 07:00 Kyiv
    clock.set_now(at(10, 4))                                  # 06:00 Kyiv, before departure
    result = letter(patient)
    a = result.absence
    assert (a.event_id, a.purpose, a.destination, a.departs_local, a.returns_local) == (
        court.id, "Court hearing", "Court", "2026-03-10 07:00 Kyiv time", "2026-03-10 19:00 Kyiv time")
    ost = line(result, "ost")
    assert (ost.drug, ost.dose, ost.unit, ost.route, ost.schedule, ost.witnessed) == (
        "Methadone oral solution", 60.0, "mg", "oral", "08:00 daily", True)
    assert (ost.last_dose.local, ost.last_dose.recorded_by, ost.last_dose.witnessed_by) == (
        "2026-03-09 08:00 Kyiv time", "nurse.a", "nurse.a")
    assert [(d.due_local, d.status) for d in ost.doses_during_absence] == [
        ("2026-03-10 08:00 Kyiv time", "not_yet_given")]
    assert ost.doses_during_absence[0].status_text == \
        "Not yet given: give it before departure at 07:00 (from 05:00)"
    # ART at 13:00 cannot be given before a 07:00 departure: it goes with the escort,
    # although the scheduler has not made that dose yet
    tld = line(result, "art")
    assert (tld.witnessed, tld.last_dose) == (False, None)
    assert [(d.due_local, d.status, d.status_text) for d in tld.doses_during_absence] == [
        ("2026-03-10 13:00 Kyiv time", "send_with_escort",
         "To be sent with the escort: due at 13:00")]

    clock.set_now(at(10, 4, 30))
    give(methadone, 10, when=at(10, 4, 30))                   # given early, 06:30 Kyiv
    ost = line(letter(patient), "ost")
    [early] = ost.doses_during_absence
    assert (early.status, early.status_text, early.recorded_by) == (
        "given_early", "Given early at 06:30", "nurse.a")
    assert ost.last_dose.local == "2026-03-10 06:30 Kyiv time"


def test_the_last_dose_is_read_in_kyiv_time_across_midnight(w):
    patient = make_patient("S-2")
    admit(patient, at=at(1, 9))
    order = art(patient, times=("20:00",))                    # 18:00 UTC
    clock.set_now(at(9, 23))
    late = dose(order, 9)
    mar.record_administration(staff("nurse.a"), late, {
        "outcome": "given", "administered_at": at(9, 22, 30)}, now=clock.now())   # 00:30 on the 10th
    db.session.commit()
    event(patient, "court_scheduled", at(9, 23), expected_at=at(10, 5))
    last = line(letter(patient), "art").last_dose
    assert (last.administered_at, last.local) == (at(9, 22, 30), "2026-03-10 00:30 Kyiv time")


def test_a_transfer_over_the_change_to_summer_time(w):
    """Kyiv moves from UTC+2 to UTC+3 at 03:00 on 29 March 2026: 08:00 is 06:00 UTC on
    the 28th and 05:00 UTC on the 29th."""
    clock.set_now(at(27, 8))
    patient, methadone = on_methadone("S-3", first_day=27, admitted=at(20, 9))
    clock.set_now(at(28, 9))
    give(methadone, 28)
    event(patient, "transfer_scheduled", at(28, 9), expected_at=at(29, 4), to_facility="FAC-B")
    clock.set_now(at(28, 20))
    result = letter(patient)
    a = result.absence
    assert (a.purpose, a.destination, a.destination_code, a.departs_local, a.hours) == (
        "Transfer", "Test facility FAC-B", "FAC-B", "2026-03-29 07:00 Kyiv time", 24)
    ost = line(result, "ost")
    assert ost.last_dose.local == "2026-03-28 08:00 Kyiv time"
    [due] = ost.doses_during_absence                           # the 30th's is after the 24 hours
    assert (due.due_at, due.due_local, due.status) == (at(29, 5), "2026-03-29 08:00 Kyiv time",
                                                       "not_yet_given")


def test_no_active_orders_and_no_absence(w):
    patient = make_patient("S-4")
    admit(patient, at=at(1, 9))
    with pytest.raises(Conflict) as err:
        letter(patient)
    assert err.value.code == "no_planned_absence"
    event(patient, "court_scheduled", at(8, 3), expected_at=at(10, 5))
    result = letter(patient)
    assert result.orders == [] and result.absence.destination == "Court"
    assert result.patient["prison_number"] == "S-4"


def test_which_absence_the_letter_is_for(w):
    patient, _ = on_methadone()
    other, _ = on_methadone("S-9")
    court = event(patient, "court_scheduled", at(8, 3), expected_at=at(12, 5))
    transfer = event(patient, "transfer_scheduled", at(8, 3), expected_at=at(11, 5),
                     to_facility="FAC-B")
    foreign = event(other, "court_scheduled", at(8, 3), expected_at=at(9, 5))
    assert letter(patient).absence.event_id == transfer.id          # the next one
    assert letter(patient, event_id=court.id).absence.event_id == court.id
    with pytest.raises(NotFound):
        letter(patient, event_id=foreign.id)                        # not hers
    clock.set_now(at(12, 6))                  # the transfer's 24 hours are over: the court
    assert letter(patient).absence.event_id == court.id
    assert [e for e, _t, _d in service.upcoming_absences(db.session, patient, now=clock.now(),
                                                         hours=HOURS)] == [court.id]


@pytest.mark.parametrize("due,outcome,given,expected", [
    (at(10, 6), None, None, "not_yet_given"),              # due an hour after departure
    (at(10, 5) + EARLY_WINDOW, None, None, "not_yet_given"),   # just within the MAR's window
    (at(10, 8, 1), None, None, "send_with_escort"),
    (at(10, 6), "given", at(10, 4, 30), "given_early"),
    (at(10, 6), "given", at(10, 16), "given"),             # back early and dosed
    (at(10, 6), "refused", at(10, 4, 30), "refused"),
])
def test_dose_status(due, outcome, given, expected):
    assert dose_status(due, at(10, 5), outcome, given, EARLY_WINDOW) == expected


def test_the_queries_do_not_grow_with_the_orders(w, app):
    patient, _ = on_methadone()
    pid = patient.id
    event(patient, "court_scheduled", at(8, 3), expected_at=at(10, 5))
    statements = []

    def seen(conn, cursor, statement, params, context, executemany):
        if re.match(r"\s*(SELECT|WITH)", statement):
            statements.append(statement)

    def count():
        db.session.expire_all()
        statements.clear()
        sa_event.listen(db.engine, "before_cursor_execute", seen)
        try:
            letter(db.session.get(Patient, pid), hours=HOURS)
        finally:
            sa_event.remove(db.engine, "before_cursor_execute", seen)
        return len(statements)

    one = count()
    for times in (("09:00",), ("13:00", "21:00"), ("10:00",)):
        art(patient, times=times, drug=f"ART {times[0]}")
    assert count() == one <= 7

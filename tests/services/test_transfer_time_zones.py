"""A transfer to a facility in another time zone: her doses before the arrival stay at
the sending zone's instants (never regenerated at the new zone's, never marked missed
for nothing), from the arrival on there is one dose per scheduled time and local day
at the receiving zone's local times, on the receiving ward, and the routine generation
ends where a full pass does. Custody events are posted through the API; the sweep runs
the scheduler's jobs at frozen instants.

Europe/Kyiv is UTC+2 until 29 March 2026 (UTC+3 after), Asia/Almaty UTC+5: 08:00 is
06:00Z in Kyiv (05:00Z from 29 March) and 03:00Z in Almaty."""
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import Alert, Facility, Patient
from prisoncare.models.medication import DoseAdministration, ScheduledDose
from prisoncare.services import administration as mar
from prisoncare.services import orders, pill_pass
from tests.factories import admit, make_facility, make_patient, make_user

from .test_sweep_helpers import at, episodes, staff, sweep
from .test_sweep_incremental import each_ends_where_a_full_pass_does, full_generation

ZONES = {"FAC-A": ("Europe/Kyiv", "A", "a"), "FAC-K": ("Asia/Almaty", "K1", "k")}


@pytest.fixture
def zones(app, world):
    """FAC-A (Kyiv, from build_world) and FAC-K (Almaty, ward K1) with a nurse, a
    clinician and a custody officer each."""
    with app.app_context():
        make_facility("FAC-K", timezone="Asia/Almaty", wards=("K1",))
        for role in ("nurse", "clinician", "custody"):
            make_user(f"{role}.k", [role], ["FAC-K"])
        db.session.commit()
    return world


def on_methadone(facility, number="TZ-1", first_day=7):
    """Admitted on 1 March to `facility`, methadone daily at 08:00 from `first_day`."""
    _tz, ward, who = ZONES[facility]
    patient = make_patient(number, facility=facility)
    admit(patient, facility=facility, ward=ward, at=at(1, 9))
    order = orders.create_order(staff(f"clinician.{who}"), patient, {
        "programme": "ost", "drug": "Methadone oral solution", "dose": 60, "unit": "mg",
        "route": "oral", "schedule": {"times": ["08:00"], "every_days": 1},
        "start_at": at(first_day - 1, 10), "administration": "witnessed"}, now=clock.now())
    db.session.commit()
    return patient.id, order.id


def doses_of(patient_id):
    return db.session.scalars(select(ScheduledDose).where(ScheduledDose.patient_id == patient_id)
                              .order_by(ScheduledDose.due_at)).all()


def the_dose(patient_id, facility, day):
    fac = db.session.scalar(select(Facility).where(Facility.code == facility))
    return db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.patient_id == patient_id, ScheduledDose.facility_id == fac.id,
        ScheduledDose.local_date == date(2026, 3, day))).one()


def give(patient_id, facility, day):
    """The nurse of `facility` gives her dose of `day` March there, on time (recorded
    10 minutes later)."""
    dose = the_dose(patient_id, facility, day)
    nurse = f"nurse.{ZONES[facility][2]}"
    clock.set_now(dose.due_at + timedelta(minutes=10))
    mar.record_administration(staff(nurse), dose, {
        "outcome": "given", "witnessed_by": nurse, "administered_at": dose.due_at},
        now=clock.now())


def local_hhmm(dose):
    return dose.due_at.astimezone(ZoneInfo(dose.facility.timezone)).strftime("%H:%M")


def post_event(api, pid, **body):
    resp = api.post(f"/api/v1/patients/{pid}/custody-events", json=body)
    assert resp.status_code == 201, resp.get_json()


def transfer(as_user, pid, origin, destination, leave, arrive):
    """transfer_out posted by the sending facility's custody officer, transfer_in by
    the receiving one's, 5 minutes after the arrival."""
    clock.set_now(arrive + timedelta(minutes=5))
    post_event(as_user(f"custody.{ZONES[origin][2]}"), pid, type="transfer_out",
               occurred_at=leave.isoformat(), to_facility=destination)
    post_event(as_user(f"custody.{ZONES[destination][2]}"), pid, type="transfer_in",
               occurred_at=arrive.isoformat(), facility=destination,
               ward=ZONES[destination][1])


def ward_mar(as_user, facility, day):
    _tz, ward, who = ZONES[facility]
    resp = as_user(f"nurse.{who}").get(
        f"/api/v1/doses?facility={facility}&ward={ward}&date=2026-03-{day:02d}")
    assert resp.status_code == 200
    return resp.get_json()["items"]


def assert_each_zone_in_its_time(pid, origin, destination, arrive):
    """Before the arrival: the sending facility's doses at 08:00 there; from it on:
    the receiving ward's, one per local day at 08:00 there. Nothing missed."""
    before = [d for d in doses_of(pid) if d.due_at < arrive]
    after = [d for d in doses_of(pid) if d.due_at >= arrive]
    assert before and after
    assert {(d.facility.code, local_hhmm(d)) for d in before} == {(origin, "08:00")}
    assert {(d.facility.code, d.ward.code, local_hhmm(d)) for d in after} == {
        (destination, ZONES[destination][1], "08:00")}
    for part in (before, after):
        days = [d.local_date for d in part]
        assert len(days) == len(set(days))                     # one a local day
        assert days == [days[0] + timedelta(days=i) for i in range(len(days))]
    assert after[0].local_date in (before[-1].local_date, before[-1].local_date + timedelta(days=1))
    assert [d.status for d in doses_of(pid) if d.status == "missed"] == []


# East: given at 08:00 Kyiv on the 10th (06:00Z), out at 07:00Z, in Almaty at 13:00Z
# (18:00 there): her first dose there is 08:00 on the 11th, a day later there.
# West: given at 08:00 Almaty on the 10th (03:00Z), out at 03:30Z, in Kyiv at 05:00Z
# (07:00 there): 08:00 Kyiv on the 10th is the same local day, 3 hours later.
# West across Kyiv's change to summer time (29 March): 08:00 is 05:00Z from then on.
SCENARIOS = {
    "east": dict(origin="FAC-A", destination="FAC-K", day=10, leave=at(10, 7),
                 arrive=at(10, 13), first_there=11, same_day_there=False),
    "west": dict(origin="FAC-K", destination="FAC-A", day=10, leave=at(10, 3, 30),
                 arrive=at(10, 5), first_there=11, same_day_there=True),
    "west_dst": dict(origin="FAC-K", destination="FAC-A", day=28, leave=at(28, 4),
                     arrive=at(28, 12), first_there=29, same_day_there=False),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_transfer_to_another_time_zone_keeps_each_dose_in_the_zone_she_was_in(
        app, as_user, zones, name):
    s = SCENARIOS[name]
    origin, destination, day, arrive = s["origin"], s["destination"], s["day"], s["arrive"]
    with app.app_context():
        clock.set_now(at(day - 3, 0))
        pid, order_id = on_methadone(origin, first_day=day - 3)
        due = "06" if origin == "FAC-A" else "03"      # 08:00 there, before the 29th
        steps = [(at(day - 3, 1), lambda: None)] + [
            (at(d, int(due), 15), lambda d=d: give(pid, origin, d)) for d in range(day - 3, day + 1)]
        each_ends_where_a_full_pass_does(steps, full_generation)
    transfer(as_user, pid, origin, destination, s["leave"], arrive)
    first = s["first_there"]
    with app.app_context():
        # At once, before any sweep: her MAR there is complete, the rest is gone.
        assert_each_zone_in_its_time(pid, origin, destination, arrive)
        if s["same_day_there"]:                                  # given there today already
            dose = the_dose(pid, destination, day)
            assert mar.already_given_today([dose]) == {dose.id}
        steps = [(arrive + timedelta(minutes=15), lambda: None),
                 (at(first, 0), lambda: None),
                 (at(first, 12), lambda: give(pid, destination, first)),
                 (at(first + 1, 12), lambda: give(pid, destination, first + 1)),
                 (at(first + 2, 1), lambda: None)]
        if s["same_day_there"]:
            steps.insert(1, (arrive + timedelta(hours=2), lambda: mar.record_administration(
                staff("nurse.a"), the_dose(pid, destination, day),
                {"outcome": "held", "reason": "Dosed in Almaty at 08:00 before the transfer"},
                now=clock.now())))
        each_ends_where_a_full_pass_does(steps, full_generation)
        assert_each_zone_in_its_time(pid, origin, destination, arrive)
        assert episodes() == []
        assert [k for k in db.session.scalars(select(Alert.dedup_key))   # ladders, ART-02
                if ":episode:" in k or ":dose:" in k] == []
        here = db.session.get(Patient, pid)
        pill = pill_pass.ward_rows(here.facility, here.ward_id, date(2026, 3, first + 2))
        assert [(r.due, r.blocks) for r in pill] == [("08:00", ())]
    # Her first dose there was given (not blocked); the ward MAR shows one a day.
    rows = ward_mar(as_user, destination, first)
    assert [(r["local_time"], r["status"]) for r in rows] == [("08:00", "given")]
    rows = ward_mar(as_user, destination, first + 2)
    assert [(r["local_time"], r["status"], r["blocks"]) for r in rows] == [("08:00", "due", [])]


def dosed_in_almaty_then_moved_west(app, as_user) -> int:
    """Her methadone given at 08:00 in Almaty on the 10th (02:00 UTC), then a transfer
    that has her in Kyiv by 07:00 there, before the Kyiv round of the same local day."""
    with app.app_context():
        clock.set_now(at(9, 0))
        pid, _ = on_methadone("FAC-K", first_day=9)
        sweep(at(10, 1))
        give(pid, "FAC-K", 10)
        db.session.commit()
    transfer(as_user, pid, "FAC-K", "FAC-A", at(10, 3, 30), at(10, 5))
    return pid


def test_a_second_dose_on_the_same_local_day_there_is_refused_over_http(app, as_user, zones):
    """West: dosed at 08:00 in Almaty, in Kyiv by 07:00 there: the Kyiv dose of the
    same local day (3 hours later) is refused, the next day's is given."""
    dosed_in_almaty_then_moved_west(app, as_user)
    clock.set_now(at(10, 6, 5))
    nurse = as_user("nurse.a")
    [today] = ward_mar(as_user, "FAC-A", 10)
    assert (today["local_time"], today["blocks"]) == ("08:00", ["dose_already_given_today"])
    resp = nurse.post(f"/api/v1/doses/{today['id']}/administration",
                      json={"outcome": "given", "witnessed_by": "nurse.a"})
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "dose_already_given_today"
    clock.set_now(at(11, 6, 5))
    [tomorrow] = ward_mar(as_user, "FAC-A", 11)
    assert (tomorrow["local_time"], tomorrow["blocks"]) == ("08:00", [])
    resp = as_user("nurse.a").post(f"/api/v1/doses/{tomorrow['id']}/administration",
                      json={"outcome": "given", "witnessed_by": "nurse.a"})
    assert resp.status_code == 201, resp.get_json()


def test_a_late_entered_arrival_removes_what_the_sending_zone_had_ahead_but_no_record(
        app, as_user, zones):
    """The arrival in Almaty entered two days late: the Kyiv doses after it, marked
    absent meanwhile (in transfer) or still due, go, except one with a (voided)
    record, which stays where it is; Almaty's doses take over from the arrival."""
    with app.app_context():
        clock.set_now(at(8, 0))
        pid, order_id = on_methadone("FAC-A", first_day=8)
        clock.set_now(at(8, 9))
        give(pid, "FAC-A", 8)
        db.session.commit()
    clock.set_now(at(8, 10))
    post_event(as_user("custody.a"), pid, type="transfer_out", occurred_at=at(8, 10).isoformat(),
               to_facility="FAC-K")
    with app.app_context():
        sweep(at(9, 7))
        sweep(at(10, 7))
        kept = the_dose(pid, "FAC-A", 10)
        assert the_dose(pid, "FAC-A", 9).status == "absent"
        clock.set_now(at(10, 7, 30))
        record = mar.record_administration(staff("nurse.a"), kept, {
            "outcome": "given", "witnessed_by": "nurse.a", "administered_at": kept.due_at},
            now=clock.now())
        mar.void_administration(staff("nurse.a"), kept, "She was in transfer", now=clock.now())
        kept_id, record_id = kept.id, record.id
        db.session.commit()
    clock.set_now(at(10, 8))
    post_event(as_user("custody.k"), pid, type="transfer_in", occurred_at=at(8, 20).isoformat(),
               facility="FAC-K", ward="K1")
    with app.app_context():
        # 08:00 Kyiv is 06:00Z, 08:00 Almaty 03:00Z
        kyiv = [(d.id, d.facility.code, d.local_date.day) for d in doses_of(pid)
                if d.due_at >= at(8, 20) and d.due_at.hour == 6]
        assert kyiv == [(kept_id, "FAC-K", 10)]        # moved with her, kept
        almaty = [(d.facility.code, d.local_date.day) for d in doses_of(pid)
                  if d.due_at.hour == 3]
        assert almaty == [("FAC-K", 9), ("FAC-K", 10), ("FAC-K", 11)]
        assert db.session.get(DoseAdministration, record_id).voided_at is not None
        sweep(at(10, 9))
        assert [d.id for d in doses_of(pid) if d.due_at >= at(8, 20) and d.due_at.hour == 6
                ] == [kept_id]                      # the sweep makes none at Kyiv's instants
        assert [d.due_at.hour for d in doses_of(pid) if d.due_at < at(8, 20)] == [6]


def test_a_transfer_in_the_same_zone_keeps_her_doses(app, as_user, zones):
    """FAC-A to FAC-A2, both in Kyiv: the same rows move to the receiving ward, none
    is removed or made anew, and the week before the arrival is still filled."""
    with app.app_context():
        make_facility("FAC-A2", wards=("C",))
        make_user("custody.a2", ["custody"], ["FAC-A2"])
        db.session.commit()
        clock.set_now(at(8, 0))
        pid, order_id = on_methadone("FAC-A", first_day=8)
        sweep(at(10, 5))
        ids = [d.id for d in doses_of(pid)]
    clock.set_now(at(10, 12))
    post_event(as_user("custody.a"), pid, type="transfer_out", occurred_at=at(10, 7).isoformat(),
               to_facility="FAC-A2")
    post_event(as_user("custody.a2"), pid, type="transfer_in", occurred_at=at(10, 11).isoformat(),
               facility="FAC-A2", ward="C")
    with app.app_context():
        after = doses_of(pid)
        assert [d.id for d in after] == ids
        assert [d.facility.code for d in after if d.due_at >= at(10, 11)] == ["FAC-A2"]
        # a hole before her arrival (deleted here) is filled as before
        db.session.delete(the_dose(pid, "FAC-A", 10))
        db.session.commit()
        assert full_generation(at(10, 13)) == 1
        assert db.session.get(Patient, pid).facility.code == "FAC-A2"

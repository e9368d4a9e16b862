"""Orders and dose generation, as services with a controlled clock (no HTTP)."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from prisoncare import clock
from prisoncare.errors import Conflict, ValidationFailed
from prisoncare.extensions import db
from prisoncare.models import StaffUser
from prisoncare.models.medication import MedicationOrder, ScheduledDose
from prisoncare.services import custody, doses, orders
from prisoncare.rules.schedule import local_day_bounds
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, build_world, make_patient

UTC = timezone.utc
KYIV = "Europe/Kyiv"


def staff(username):
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def ost(**over):
    body = {"programme": "ost", "drug": "Methadone oral solution", "dose": 60, "unit": "mg",
            "route": "oral", "schedule": {"times": ["08:00"], "every_days": 1},
            "start_at": NOW - timedelta(days=2), "administration": "witnessed"}
    body.update(over)
    return body


def admitted(number="T-1", ward="A", at=None, facility="FAC-A"):
    patient = make_patient(number, facility=facility)
    admit(patient, facility=facility, ward=ward, at=at or NOW - timedelta(days=20))
    return patient


def count_doses(**where):
    query = select(func.count()).select_from(ScheduledDose)
    for key, value in where.items():
        query = query.where(getattr(ScheduledDose, key) == value)
    return db.session.scalar(query)


@pytest.fixture
def w(ctx):
    build_world()
    return ctx


def test_an_ost_order_gets_its_past_doses_up_to_today(w):
    patient = admitted()
    order = orders.create_order(staff("clinician.a"), patient, ost(), now=NOW)
    db.session.commit()
    rows = db.session.scalars(select(ScheduledDose).order_by(ScheduledDose.due_at)).all()
    # 08:00 Kyiv = 06:00 UTC; started two days ago at 10:00 UTC: 9th and 10th March.
    assert [r.due_at for r in rows] == [datetime(2026, 3, 9, 6, tzinfo=UTC),
                                        datetime(2026, 3, 10, 6, tzinfo=UTC)]
    assert {r.status for r in rows} == {"due"} and rows[0].local_date == date(2026, 3, 9)
    assert order.version == 1 and order.lineage_id == order.id
    assert orders.active_programmes(patient.id, NOW) == {"ost"}
    assert orders.active_programmes(patient.id, NOW - timedelta(days=3)) == set()


@pytest.mark.parametrize("over,field", [
    ({"administration": "nurse_administered"}, "administration"),
    ({"start_at": NOW - timedelta(days=31)}, "start_at"),
    ({"schedule": {"times": ["8am"], "every_days": 1}}, "schedule.times"),
    ({"schedule": {"times": ["08:00"], "every_days": 0}}, "schedule.every_days"),
    ({"dose": 0}, "dose"),
    ({"end_at": NOW - timedelta(days=3)}, "end_at"),
    ({"programme": "art", "drug": "TLD", "administration": "keep_on_person"}, "quantity"),
])
def test_order_field_rules(w, over, field):
    patient = admitted()
    with pytest.raises(ValidationFailed) as err:
        orders.create_order(staff("clinician.a"), patient, ost(**over), now=NOW)
    assert field in err.value.fields


def test_keep_on_person_has_no_doses_and_a_run_out_date(w):
    patient = admitted()
    order = orders.create_order(staff("clinician.a"), patient, ost(
        programme="art", drug="TLD", administration="keep_on_person", quantity=30,
        days_supply=30, start_at=NOW), now=NOW)
    assert count_doses() == 0
    assert orders.run_out_on(order, KYIV) == date(2026, 4, 9)
    assert orders.active_programmes(patient.id, NOW) == {"art"}


def test_generation_is_idempotent_and_set_based(w):
    patients = [admitted(f"T-{i}") for i in range(3)]
    for p in patients:
        orders.create_order(staff("clinician.a"), p, ost(start_at=NOW - timedelta(days=10),
                            schedule={"times": ["08:00", "20:00"]}), now=NOW)
    db.session.commit()
    start, end = local_day_bounds(date(2026, 3, 11), KYIV)
    assert doses.generate_doses(db.session, start, end, NOW) == 6
    assert doses.generate_doses(db.session, start, end, NOW) == 0
    before = count_doses()
    assert doses.generate_doses(db.session, NOW - timedelta(days=20), end, NOW) == 0
    assert count_doses() == before


def test_generation_across_the_dst_change_keeps_local_time(w):
    patient = admitted(at=datetime(2026, 3, 1, tzinfo=UTC))
    orders.create_order(staff("clinician.a"), patient, ost(start_at=NOW), now=NOW)
    start, _ = local_day_bounds(date(2026, 3, 28), KYIV)
    _, end = local_day_bounds(date(2026, 3, 30), KYIV)
    doses.generate_doses(db.session, start, end, NOW)
    rows = db.session.scalars(select(ScheduledDose).where(ScheduledDose.due_at >= start)
                              .order_by(ScheduledDose.due_at)).all()
    # 08:00 Kyiv: UTC+2 on the 28th, UTC+3 from the 29th.
    assert [(r.local_date.day, r.due_at.hour) for r in rows] == [(28, 6), (29, 5), (30, 5)]


def test_no_doses_before_admission_nor_after_release(w):
    patient = admitted(at=NOW - timedelta(hours=1))  # admitted at 11:00 Kyiv today
    orders.create_order(staff("clinician.a"), patient, ost(), now=NOW)
    assert count_doses() == 0   # today's 08:00 was before she arrived
    custody.record_event(SYSTEM, patient, {"type": "release", "occurred_at": NOW,
                                           "release_from": "facility"}, now=NOW)
    start, end = local_day_bounds(date(2026, 3, 11), KYIV)
    assert doses.generate_doses(db.session, start, end, NOW) == 0


def test_at_court_she_still_has_doses(w):
    patient = admitted()
    custody.record_event(SYSTEM, patient, {"type": "court_out", "occurred_at": NOW}, now=NOW)
    orders.create_order(staff("clinician.a"), patient, ost(start_at=NOW), now=NOW)
    start, end = local_day_bounds(date(2026, 3, 11), KYIV)
    assert doses.generate_doses(db.session, start, end, NOW) == 1


def test_a_change_is_a_new_linked_version(w):
    patient = admitted()
    order = orders.create_order(staff("clinician.a"), patient, ost(), now=NOW)
    later = NOW + timedelta(hours=1)
    new = orders.change_order(staff("clinician.a"), order, {"dose": 40}, now=later)
    assert (order.status, order.end_at) == ("superseded", later)
    assert (new.version, new.replaces_id, new.lineage_id, float(new.dose)) == (2, order.id, order.id, 40)
    assert orders.active_programmes(patient.id, NOW) == {"ost"}
    with pytest.raises(Conflict):
        orders.change_order(staff("clinician.a"), order, {"dose": 30}, now=later)
    # Tomorrow's dose belongs to the new version only.
    start, end = local_day_bounds(date(2026, 3, 11), KYIV)
    doses.generate_doses(db.session, start, end, later)
    assert [d.order_id for d in db.session.scalars(
        select(ScheduledDose).where(ScheduledDose.local_date == date(2026, 3, 11)))] == [new.id]


def test_discontinuing_needs_a_reason_and_drops_planned_doses(w):
    patient = admitted()
    order = orders.create_order(staff("clinician.a"), patient, ost(), now=NOW)
    start, end = local_day_bounds(date(2026, 3, 12), KYIV)
    doses.generate_doses(db.session, NOW, end, NOW)
    assert count_doses(local_date=date(2026, 3, 12)) == 1
    with pytest.raises(ValidationFailed):
        orders.discontinue_order(staff("clinician.a"), order, " ", now=NOW)
    orders.discontinue_order(staff("clinician.a"), order, "Patient request", now=NOW)
    assert order.status == "discontinued" and order.discontinue_reason == "Patient request"
    assert count_doses(local_date=date(2026, 3, 12)) == 0
    assert count_doses(local_date=date(2026, 3, 9)) == 1   # the past stays
    assert orders.active_programmes(patient.id, NOW + timedelta(minutes=1)) == set()


def test_doses_not_yet_due_follow_her_on_transfer(w):
    patient = admitted()
    orders.create_order(staff("clinician.a"), patient, ost(), now=NOW)
    start, end = local_day_bounds(date(2026, 3, 12), KYIV)
    doses.generate_doses(db.session, NOW, end, NOW)
    custody.record_event(SYSTEM, patient, {"type": "transfer_out", "occurred_at": NOW,
                                           "to_facility": "FAC-B"}, now=NOW)
    later = NOW + timedelta(hours=3)
    clock.set_now(later)
    custody.record_event(SYSTEM, patient, {"type": "transfer_in", "occurred_at": later,
                                           "facility": "FAC-B", "ward": "M1"}, now=later)
    moved = db.session.scalars(select(ScheduledDose).where(ScheduledDose.due_at > later)).all()
    assert moved and {d.facility_id for d in moved} == {patient.facility_id}
    past = db.session.scalars(select(ScheduledDose).where(ScheduledDose.due_at < NOW)).all()
    assert {d.facility_id for d in past} != {patient.facility_id}

"""Recording doses: the review block, the same-day double-dose guard, late
entries, witnesses, voiding (services, controlled clock, no HTTP)."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from prisoncare import clock
from prisoncare.errors import Conflict, NotFound, ValidationFailed
from prisoncare.extensions import db
from prisoncare.models import AuditEntry
from prisoncare.models.medication import DoseAdministration, ScheduledDose
from prisoncare.services import administration as mar
from prisoncare.services import custody, orders, reviews
from tests.conftest import NOW
from tests.factories import SYSTEM, make_facility

from .test_mar_orders import admitted, ost, staff, w  # noqa: F401  (fixture)

UTC = timezone.utc


def dose_on(day: int, order=None) -> ScheduledDose:
    query = select(ScheduledDose).where(ScheduledDose.local_date == date(2026, 3, day))
    if order is not None:
        query = query.where(ScheduledDose.order_id == order.id)
    return db.session.scalars(query.order_by(ScheduledDose.due_at)).first()


def give(dose, who="nurse.a", **extra):
    data = {"outcome": "given", "witnessed_by": who, "administered_at": dose.due_at, **extra}
    return mar.record_administration(staff(who), dose, data, now=clock.now())


def on_methadone(first_day):
    """On methadone from `first_day` March (08:00 Kyiv = 06:00 UTC), admitted long before."""
    patient = admitted()
    order = orders.create_order(staff("clinician.a"), patient,
                                ost(start_at=datetime(2026, 3, first_day - 1, 10, tzinfo=UTC)),
                                now=NOW)
    db.session.commit()
    return patient, order


@pytest.fixture
def methadone(w):
    """Doses on 9 and 10 March."""
    return on_methadone(9)


@pytest.fixture
def since_fifth(w):
    """Doses from 5 March."""
    return on_methadone(5)


def test_a_witnessed_dose_is_given_and_the_status_follows(methadone):
    dose = dose_on(10)
    record = give(dose, administered_at=None)
    assert (record.outcome, record.late, record.administered_at) == ("given", False, NOW)
    assert dose.status == "given" and dose.administration.id == record.id
    assert record.witnessed_by.username == "nurse.a"   # the recorder may be the witness


@pytest.mark.parametrize("data,field", [
    ({"outcome": "given"}, "witnessed_by"),
    ({"outcome": "given", "witnessed_by": "custody.a"}, "witnessed_by"),
    ({"outcome": "given", "witnessed_by": "nobody"}, "witnessed_by"),
    ({"outcome": "refused"}, "reason"),
    ({"outcome": "held", "reason": " "}, "reason"),
    ({"outcome": "given", "witnessed_by": "nurse.a",
      "administered_at": NOW + timedelta(minutes=10)}, "administered_at"),
    ({"outcome": "given", "witnessed_by": "nurse.a", "dose_given": 0}, "dose_given"),
])
def test_field_rules_of_a_record(methadone, data, field):
    with pytest.raises(ValidationFailed) as err:
        mar.record_administration(staff("nurse.a"), dose_on(10), data, now=NOW)
    assert field in err.value.fields
    assert db.session.scalars(select(DoseAdministration)).all() == []


def test_late_entries_up_to_seven_days_back_are_marked_late(since_fifth):
    clock.set_now(NOW + timedelta(days=1))
    dose = dose_on(5)
    with pytest.raises(ValidationFailed) as err:   # 5 March 06:00 is 6 days 4 h back: fine
        mar.record_administration(staff("nurse.a"), dose, {
            "outcome": "refused", "reason": "asleep",
            "administered_at": dose.due_at - timedelta(days=2)}, now=clock.now())
    assert "administered_at" in err.value.fields
    record = mar.record_administration(staff("nurse.a"), dose, {
        "outcome": "refused", "reason": "asleep", "administered_at": dose.due_at}, now=clock.now())
    assert record.late is True
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "dose.refused")).one()
    assert audit.detail["late"] is True
    with pytest.raises(ValidationFailed):
        mar.record_administration(staff("nurse.a"), dose_on(6), {
            "outcome": "refused", "reason": "x", "administered_at": dose_on(6).due_at},
            now=clock.now(), late_limit=timedelta(days=2))   # a deployment's shorter limit


def test_a_system_mark_still_takes_a_late_entry(methadone):
    dose = dose_on(9)
    dose.status = "absent"   # as the scheduler marks it
    give(dose)
    assert dose.status == "given"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "dose.given")).one()
    assert entry.detail["superseded_mark"] == "absent" and entry.detail["late"] is True


def test_already_recorded_is_409_then_void_and_record_again(methadone):
    dose = dose_on(10)
    give(dose, administered_at=None)
    with pytest.raises(Conflict) as err:
        mar.record_administration(staff("nurse.a"), dose, {"outcome": "refused", "reason": "x"},
                                  now=NOW)
    assert err.value.code == "dose_already_recorded"
    with pytest.raises(ValidationFailed):
        mar.void_administration(staff("nurse.a"), dose, "", now=NOW)
    voided = mar.void_administration(staff("nurse.a"), dose, "Wrong patient's row", now=NOW)
    assert voided.voided_at == NOW and dose.status == "due" and dose.administration is None
    again = mar.record_administration(staff("nurse.a"), dose, {"outcome": "refused",
                                                              "reason": "Declined"}, now=NOW)
    assert dose.status == "refused" and dose.administration.id == again.id
    rows = db.session.scalars(select(DoseAdministration).order_by(DoseAdministration.id)).all()
    assert [(r.outcome, r.voided_at is not None) for r in rows] == [("given", True), ("refused", False)]
    with pytest.raises(NotFound):
        mar.void_administration(staff("nurse.a"), dose_on(9), "nothing there", now=NOW)


def test_three_missed_methadone_days_block_until_a_review(since_fifth):
    patient, order = since_fifth
    give(dose_on(5))
    give(dose_on(6))
    # 7, 8, 9 March: nobody recorded a dose (the scheduler has not marked them yet).
    today = dose_on(10)
    assert mar.review_blocked([today]) == {today.id}
    with pytest.raises(ValidationFailed) as err:
        give(today, administered_at=None)
    assert err.value.code == "review_required" and err.value.status == 422
    reviews.record_review(staff("clinician.a"), patient,
                          {"programme": "ost", "note": "Seen, not intoxicated; half dose"}, now=NOW)
    assert mar.review_blocked([today]) == set()
    give(today, administered_at=None)


def test_two_missed_days_do_not_block_and_refusals_count(since_fifth):
    give(dose_on(5))
    give(dose_on(6))
    give(dose_on(7))
    mar.record_administration(staff("nurse.a"), dose_on(8), {
        "outcome": "refused", "reason": "x", "administered_at": dose_on(8).due_at}, now=NOW)
    today = dose_on(10)
    assert mar.review_blocked([today]) == set()   # 8 and 9: two days
    give(today, administered_at=None)


def test_buprenorphine_waits_five_days(w):
    patient = admitted()
    orders.create_order(staff("clinician.a"), patient, ost(
        drug="Buprenorphine/naloxone", dose=16, start_at=datetime(2026, 3, 5, 1, tzinfo=UTC)), now=NOW)
    assert mar.review_blocked([dose_on(9)]) == set()    # 5..8: four days
    assert mar.review_blocked([dose_on(10)]) == {dose_on(10).id}


def test_art_is_never_review_blocked(w):
    patient = admitted()
    orders.create_order(staff("clinician.a"), patient, ost(
        programme="art", drug="TLD", administration="nurse_administered"), now=NOW)
    dose = dose_on(10)
    assert mar.review_blocked([dose]) == set()
    record = mar.record_administration(staff("nurse.a"), dose, {"outcome": "given"}, now=NOW)
    assert record.witnessed_by_id is None


def test_a_review_with_a_new_dose_makes_a_new_version(methadone):
    patient, order = methadone
    review = reviews.record_review(staff("clinician.a"), patient,
                                   {"programme": "ost", "note": "Restart low", "new_dose": 30},
                                   now=NOW)
    assert order.status == "superseded" and review.order_id != order.id
    with pytest.raises(ValidationFailed):
        reviews.record_review(staff("clinician.a"), patient,
                              {"programme": "tb", "note": "x", "new_dose": 3}, now=NOW)


def test_a_second_given_dose_the_same_day_is_refused(methadone):
    patient, order = methadone
    give(dose_on(10), administered_at=None)
    later = NOW + timedelta(hours=1)
    clock.set_now(later)
    new = orders.change_order(staff("clinician.a"), order,
                              {"schedule": {"times": ["14:00"]}}, now=later)
    afternoon = dose_on(10, new)
    assert afternoon is not None
    assert mar.already_given_today([afternoon]) == {afternoon.id}
    with pytest.raises(Conflict) as err:
        give(afternoon, administered_at=None)
    assert err.value.code == "dose_already_given_today"
    # Other outcomes are still recorded.
    mar.record_administration(staff("nurse.a"), afternoon, {"outcome": "held",
                                                           "reason": "Already dosed at 08:00"},
                              now=later)


def test_a_twice_daily_order_allows_two(w):
    patient = admitted()
    orders.create_order(staff("clinician.a"), patient, ost(
        start_at=NOW - timedelta(hours=8), schedule={"times": ["08:00", "11:30"]}), now=NOW)
    morning, noon = db.session.scalars(select(ScheduledDose).order_by(ScheduledDose.due_at)).all()
    give(morning)
    assert mar.already_given_today([noon]) == set()
    give(noon, administered_at=None)


def test_the_day_travels_with_her_to_another_time_zone(w):
    make_facility("FAC-L", timezone="Europe/London", wards=("L1",))
    patient = admitted()
    orders.create_order(staff("clinician.a"), patient, ost(start_at=NOW - timedelta(hours=8)), now=NOW)
    give(dose_on(10))                                    # 08:00 Kyiv (06:00 UTC)
    # In London by 07:30 there: its 08:00 on the 10th (08:00 UTC) is hers, the same day.
    custody.record_event(SYSTEM, patient, {"type": "transfer_out",
                                           "occurred_at": NOW - timedelta(hours=3, minutes=30),
                                           "to_facility": "FAC-L"}, now=NOW)
    custody.record_event(SYSTEM, patient, {"type": "transfer_in",
                                           "occurred_at": NOW - timedelta(hours=2, minutes=30),
                                           "facility": "FAC-L", "ward": "L1"}, now=NOW)
    # Her next local day in London starts at 00:00 UTC on the 11th; generate the 10th there.
    from prisoncare.services.doses import generate_doses
    generate_doses(db.session, datetime(2026, 3, 10, 0, tzinfo=UTC),
                   datetime(2026, 3, 11, 0, tzinfo=UTC), NOW)
    london = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.due_at == datetime(2026, 3, 10, 8, tzinfo=UTC))).one()  # 08:00 London
    assert london.local_date == date(2026, 3, 10)
    assert mar.already_given_today([london]) == {london.id}


def test_the_database_allows_one_live_record_per_dose(methadone):
    """The partial unique index behind the 409 when two nurses race past the check."""
    from sqlalchemy.exc import IntegrityError
    dose = dose_on(10)
    first = give(dose, administered_at=None)
    twin = DoseAdministration(dose_id=dose.id, order_id=dose.order_id, patient_id=dose.patient_id,
                              outcome="given", administered_at=NOW, recorded_at=NOW, late=False)
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    first = db.session.get(DoseAdministration, first.id)
    assert first is None   # rolled back with the transaction: nothing was committed
    dose = dose_on(10)
    voided = DoseAdministration(dose_id=dose.id, order_id=dose.order_id, patient_id=dose.patient_id,
                                outcome="given", administered_at=NOW, recorded_at=NOW, late=False,
                                voided_at=NOW, void_reason="x")
    live = DoseAdministration(dose_id=dose.id, order_id=dose.order_id, patient_id=dose.patient_id,
                              outcome="refused", administered_at=NOW, recorded_at=NOW, late=False)
    db.session.add_all([voided, live])
    db.session.flush()   # a voided record does not count


def test_discontinuing_keeps_a_later_dose_whose_record_was_voided(methadone):
    _patient, order = methadone
    early = NOW - timedelta(hours=5)  # 05:00Z: today's 06:00Z dose is still ahead
    today = dose_on(10)
    mar.record_administration(staff("nurse.a"), today, {"outcome": "held", "reason": "Sedated"},
                              now=early)
    mar.void_administration(staff("nurse.a"), today, "Held on the wrong row", now=early)
    orders.discontinue_order(staff("clinician.a"), order, "Transferred to depot", now=early)
    db.session.commit()  # on PostgreSQL, deleting that dose broke the voided record's key
    assert db.session.get(ScheduledDose, today.id) is not None
    record = db.session.scalars(select(DoseAdministration)).one()
    assert record.dose_id == today.id and record.voided_at == early


@pytest.mark.parametrize("given_on_first,blocked", [(True, False), (False, True)])
def test_a_sparse_schedule_counts_scheduled_days_not_calendar_days(w, given_on_first, blocked):
    """Every third day (1, 4, 7, 10 March): the last few calendar days hold one dose
    only, so the guard reads further back for her, and counts doses, not days."""
    patient = admitted()
    order = orders.create_order(staff("clinician.a"), patient, ost(
        schedule={"times": ["08:00"], "every_days": 3},
        start_at=datetime(2026, 2, 28, 23, tzinfo=UTC)), now=NOW)
    assert [d.day for d in db.session.scalars(select(ScheduledDose.local_date).where(
        ScheduledDose.order_id == order.id).order_by(ScheduledDose.local_date))] == [1, 4, 7, 10]
    if given_on_first:                        # then 4 and 7 missed: two doses
        first = dose_on(1)
        mar.record_administration(staff("nurse.a"), first, {
            "outcome": "given", "witnessed_by": "nurse.a", "administered_at": first.due_at},
            now=NOW, late_limit=timedelta(days=30))
    today = dose_on(10)
    assert (today.id in mar.review_blocked([today])) is blocked

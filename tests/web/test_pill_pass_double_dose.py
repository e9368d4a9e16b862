"""The pill pass's same-day double-dose block (pill_pass.ward_rows: a count per row in
its query) counts the doses given of the row's own order lineage, as the recording
guard does (guards.given_counts), not every dose given to her that day: her ART given
at 08:00 does not block her methadone at 08:00, and the page says so; her methadone
given in Almaty before a transfer west blocks the Kyiv dose of the same local day."""
from datetime import date, timedelta

from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import Facility, Patient
from prisoncare.models.medication import MedicationOrder, ScheduledDose
from prisoncare.services import administration as mar
from prisoncare.services import orders, pill_pass
from prisoncare.services.guards import ALREADY_GIVEN_TODAY, already_given_today
from tests.conftest import NOW
from tests.web.helpers import get
from tests.services.test_sweep_helpers import at, staff
from tests.services.test_transfer_time_zones import dosed_in_almaty_then_moved_west
from tests.services.test_transfer_time_zones import zones  # noqa: F401  (a fixture)
from tests.web.test_mar_pages import on_methadone

TODAY = date(2026, 3, 10)
ART = {"programme": "art", "drug": "TLD", "dose": 1, "unit": "tablet", "route": "oral",
       "schedule": {"times": ["08:00"], "every_days": 1}, "start_at": NOW - timedelta(days=1),
       "administration": "witnessed"}


def todays(patient_id, programme):
    return db.session.scalars(select(ScheduledDose).join(
        MedicationOrder, ScheduledDose.order_id == MedicationOrder.id).where(
        ScheduledDose.patient_id == patient_id, ScheduledDose.local_date == TODAY,
        MedicationOrder.programme == programme)).one()


def rows_of(patient_id):
    patient = db.session.get(Patient, patient_id)
    return {r.programme: r for r in pill_pass.ward_rows(patient.facility, patient.ward_id, TODAY)
            if r.patient_id == patient_id}


def test_her_art_given_does_not_block_her_methadone(app, world, logged_in):
    pid = on_methadone(app, "DD-1")
    with app.app_context():
        clock.set_now(NOW)
        orders.create_order(staff("clinician.a"), db.session.get(Patient, pid), ART, now=NOW)
        art = todays(pid, "art")
        mar.record_administration(staff("nurse.a"), art, {
            "outcome": "given", "witnessed_by": "nurse.a", "administered_at": art.due_at}, now=NOW)
        db.session.commit()
        rows = rows_of(pid)
        assert rows["ART"].status == "given"
        assert rows["OST"].blocks == ()
        assert already_given_today([todays(pid, "ost")]) == set()   # as recording says
    page = get(logged_in("nurse.a"), "/mar/pill-pass?date=2026-03-10&round=08:00")
    [methadone] = [tr for tr in page.find_all("tr")
                   if tr.get("data-prison-number") == "DD-1" and "Methadone" in tr.text]
    assert "Already given today" not in methadone.text
    assert not methadone.find("option", value="given").has("disabled")


def test_her_methadone_given_before_a_transfer_west_blocks_the_same_local_day(
        app, as_user, zones):
    pid = dosed_in_almaty_then_moved_west(app, as_user)
    with app.app_context():
        clock.set_now(at(10, 6, 5))
        kyiv = db.session.scalar(select(Facility).where(Facility.code == "FAC-A"))
        [row] = [r for r in pill_pass.ward_rows(kyiv, None, TODAY) if r.patient_id == pid]
        assert (row.due, row.status, row.blocks) == ("08:00", "due", (ALREADY_GIVEN_TODAY,))

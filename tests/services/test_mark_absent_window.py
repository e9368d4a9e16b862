"""mark-absent at the start of its window, where a dose's local day is not the UTC day
of its due instant: the bound on local days that keeps the job from reading a
patient's whole history must not drop it (services, controlled clock)."""
from datetime import date

import pytest
from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models.interruptions import DoseMark
from prisoncare.models.medication import ScheduledDose
from prisoncare.services import orders
from tests.factories import admit, build_world, make_facility, make_patient

from .test_sweep_helpers import at, event, staff, sweep


@pytest.fixture
def w(ctx):
    build_world()
    return ctx


def test_a_dose_due_at_the_window_start_on_the_previous_local_day_is_marked_absent(w):
    # Pago Pago is UTC-11: 23:30 on 2 March there is 10:30Z on 3 March.
    make_facility("FAC-P", timezone="Pacific/Pago_Pago", wards=("P1",))
    patient = make_patient("S-P", facility="FAC-P")
    admit(patient, facility="FAC-P", ward="P1", at=at(1, 9))
    clinician = staff("clinician.a")
    clinician.all_facilities = True
    orders.create_order(clinician, patient, {
        "programme": "ost", "drug": "Methadone oral solution", "dose": 60, "unit": "mg",
        "route": "oral", "schedule": {"times": ["23:30"], "every_days": 1},
        "start_at": at(1, 12), "administration": "witnessed"}, now=clock.now())
    db.session.commit()
    # at court from 20:00 on 2 March to 12:00 on 3 March, local time; entered late
    event(patient, "court_out", at(3, 7))
    event(patient, "court_return", at(3, 23))
    sweep(at(10, 10))    # its window starts at 10:00Z on 3 March, 23:00 on 2 March there
    lost = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.patient_id == patient.id, ScheduledDose.local_date == date(2026, 3, 2))).one()
    assert lost.due_at == at(3, 10, 30)
    assert lost.status == "absent"
    mark = db.session.scalars(select(DoseMark).where(DoseMark.dose_id == lost.id)).one()
    assert (mark.mark, mark.cause, mark.custody_event.type) == ("absent", "court", "court_out")
    # the next day's dose, due after her return, is left for the nurses
    later = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.patient_id == patient.id, ScheduledDose.local_date == date(2026, 3, 3))).one()
    assert later.status != "absent"

"""Correcting the SRH record from the page: re-dating by scan, a child leaving
(with where she went), a child's HIV exposure from her mother's ART, and the labour
escort a custody officer records."""
from datetime import date, timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.models import Alert
from prisoncare.models.srh import Child
from prisoncare.services import srh, srh_care
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient
from tests.web.helpers import get


@pytest.fixture
def mother(app, world):
    with app.app_context():
        patient = make_patient("W-8", facility="FAC-A", given="Iryna", family="Shevchenko")
        admit(patient, at=NOW - timedelta(days=40))
        srh.record_pregnancy(SYSTEM, patient, {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)},
                             now=NOW)
        srh_care.record_child(SYSTEM, patient, {"name": "Daria", "born_at": NOW - timedelta(days=20)},
                              now=NOW)
        db.session.commit()
        return patient.id


def post_form(client, pid, kind, data):
    page = get(client, f"/patients/{pid}/srh")
    action = f"/patients/{pid}/srh"
    return client.post(action, data={"csrf_token": page.csrf_token(action), "form": kind, **data})


def test_re_dating_by_scan_from_the_page(logged_in, mother):
    client = logged_in("nurse.a")
    page = get(client, f"/patients/{mother}/srh")
    assert page.by_id("gestation").text == "11+3" and page.by_id("form-pregnancy_correction") is not None
    bad = post_form(client, mother, "pregnancy_correction", {"dating_method": "scan"})
    assert bad.status_code == 422
    html = bad.get_data(as_text=True)
    assert 'id="e-pregnancy_correction-reason"' in html
    bad = post_form(client, mother, "pregnancy_correction", {"reason": "scan", "dating_method": "scan"})
    assert "Required when dating by scan" in bad.get_data(as_text=True)
    ok = post_form(client, mother, "pregnancy_correction", {
        "reason": "dating scan", "dating_method": "scan", "scan_on": "2026-03-10",
        "scan_gestation_weeks": "13", "scan_gestation_days": "0"})
    assert ok.status_code == 302
    page = get(client, f"/patients/{mother}/srh")
    assert page.by_id("gestation").text == "13+0"
    assert page.by_id("next-screening").text.startswith("Next screening: Cervical screening")


def test_a_child_leaving_is_recorded_from_the_page(app, logged_in, mother):
    client = logged_in("nurse.a")
    with app.app_context():
        srh_care.raise_srh_alerts(now=NOW)
        db.session.commit()
        child_id = db.session.scalar(db.select(Child.id))
    bad = post_form(client, mother, "child_update", {"child_id": str(child_id), "left_at": "2026-03-10T09:00"})
    assert bad.status_code == 422 and "Say where the child went" in bad.get_data(as_text=True)
    ok = post_form(client, mother, "child_update", {"child_id": str(child_id), "left_at": "2026-03-10T09:00",
                                                    "left_to": "her father"})
    assert ok.status_code == 302
    page = get(client, f"/patients/{mother}/srh")
    assert "Left her mother 2026-03-10: her father" in page.by_id(f"child-{child_id}").text
    with app.app_context():
        keys = db.session.scalars(db.select(Alert.dedup_key).where(
            Alert.patient_id == mother, Alert.status == "open")).all()
        assert not [k for k in keys if "child" in k]

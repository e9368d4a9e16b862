"""In a women's facility the SRH panel comes first among the clinical panels and
stands out; elsewhere the same panel sits in the normal order."""
from datetime import timedelta

import pytest

from prisoncare.extensions import db
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient
from tests.web.helpers import get
from prisoncare.services import orders, srh
from prisoncare.services.alerts import AlertSpec, raise_alert


def section_ids(page):
    main = page.main
    return [s.get("id") for s in main.find_all("section") if s.get("id")]


@pytest.fixture
def patients(app, world):
    with app.app_context():
        out = {}
        for number, facility, ward, sex in (("W-21", "FAC-A", "A", "female"), ("M-21", "FAC-B", "M1", "female")):
            patient = make_patient(number, facility=facility, sex=sex)
            admit(patient, facility=facility, ward=ward, at=NOW - timedelta(hours=3))
            srh.record_pregnancy(SYSTEM, patient, {"dating_method": "lmp", "lmp_on": NOW.date() - timedelta(weeks=12)},
                                 now=NOW)
            orders.create_order(SYSTEM, patient, {
                "programme": "ost", "drug": "methadone", "dose": 60, "unit": "mg", "route": "oral",
                "schedule": {"times": ["14:00"], "every_days": 1}, "administration": "witnessed"}, now=NOW)
            raise_alert(AlertSpec(rule_code="TEST-1", severity="warning", role="nurse", programme="ost",
                                  message="check", action="check"), patient, now=NOW,
                        dedup_key=f"TEST-1:{number}")
            out[facility] = patient.id
        db.session.commit()
        return out


def test_first_and_prominent_in_a_womens_facility(logged_in, patients):
    page = get(logged_in("nurse.a"), f"/patients/{patients['FAC-A']}")
    ids = section_ids(page)
    clinical = [i for i in ids if i in ("srh", "alerts", "checklists", "medication", "handover", "release")]
    assert clinical[:4] == ["srh", "alerts", "checklists", "medication"], ids
    assert "prominent" in page.by_id("srh").get("class").split()


def test_normal_order_elsewhere(logged_in, world, patients):
    client = logged_in("nurse.b")
    page = get(client, f"/patients/{patients['FAC-B']}")
    ids = section_ids(page)
    assert ids.index("alerts") < ids.index("checklists") < ids.index("srh") < ids.index("medication"), ids
    assert "prominent" not in page.by_id("srh").get("class").split()
    assert "pregnant" in page.by_id("srh").text.lower()


def test_the_stylesheet_sets_the_panel_apart(app):
    client = app.test_client()
    css = client.get("/static/app.css").get_data(as_text=True)
    assert ".srh-panel.prominent" in css

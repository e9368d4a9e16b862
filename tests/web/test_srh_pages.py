"""SRH pages: the summary panel with gestation on the patient page, the SRH page and
its forms, the protection flags a custody officer sees (and nothing else), the
confidential violence page."""
from datetime import date, timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.models import Alert, AuditEntry
from prisoncare.services import srh
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient
from tests.web.helpers import get, submit


@pytest.fixture
def pregnant(app, world):
    with app.app_context():
        patient = make_patient("W-7", facility="FAC-A", given="Olena", family="Kovalenko")
        admit(patient, at=NOW - timedelta(hours=3))
        srh.record_pregnancy(SYSTEM, patient, {"dating_method": "lmp", "lmp_on": date(2025, 8, 1),
                                               "drug_dependent": True}, now=NOW)
        db.session.commit()
        return patient.id


def test_the_patient_page_shows_gestation_to_a_nurse(logged_in, pregnant):
    page = get(logged_in("nurse.a"), f"/patients/{pregnant}")
    assert page.status == 200
    assert page.by_id("gestation").text == "31+4"
    assert "Rule 24" in page.by_id("protection").text


def test_a_custody_officer_sees_the_flags_and_no_srh_data(logged_in, pregnant):
    page = get(logged_in("custody.a"), f"/patients/{pregnant}")
    assert page.status == 200
    flags = page.by_id("protection").text
    assert "Rule 22: no close confinement" in flags and "Rule 24: no restraints" in flags
    text = page.text.lower()
    assert "pregnan" not in text and "gestation" not in text and "31+4" not in text
    assert page.by_id("srh") is None
    assert page.form(f"/patients/{pregnant}/hospital-escorts") is not None


def test_the_srh_page_records_a_contact_and_shows_field_errors(logged_in, pregnant):
    client = logged_in("nurse.a")
    page = get(client, f"/patients/{pregnant}/srh")
    assert page.status == 200 and page.in_layout() and page.by_id("gestation").text == "31+4"
    action = f"/patients/{pregnant}/srh"
    forms = [f for f in page.find_all("form") if f.get("action") == action]
    contact = next(f for f in forms if f.find("input", name="form", value="contact"))
    assert contact is not None
    body = {"csrf_token": page.csrf_token(action), "form": "contact", "kind": "antenatal",
            "contact_on": "2027-01-01"}
    bad = client.post(action, data=body)
    assert bad.status_code == 422
    assert "Cannot be in the future" in bad.get_data(as_text=True)
    ok = client.post(action, data={**body, "contact_on": "2026-03-10"})
    assert ok.status_code == 302
    page = get(client, f"/patients/{pregnant}/srh")
    assert "done (2026-03-10)" in page.by_id("contacts").text


def test_the_violence_page_is_confidential_and_its_reads_are_logged(logged_in, pregnant, app):
    client = logged_in("clinician.a")
    page = get(client, f"/patients/{pregnant}/srh/violence")
    assert page.status == 200 and page.h1 == "Violence history and disclosures"
    resp = submit(client, page, {"form": "violence", "period": "before_custody",
                                 "disclosure": "abuse by partner", "informed_of_recourse": "yes",
                                 "support_accepted": "psychological"},
                  action=f"/patients/{pregnant}/srh")
    assert resp.status == 302
    page = get(client, f"/patients/{pregnant}/srh/violence")
    assert "abuse by partner" in page.text
    assert "abuse by partner" not in get(client, f"/patients/{pregnant}/srh").text
    assert "abuse by partner" not in get(client, f"/patients/{pregnant}").text
    assert get(logged_in("release_officer.a"), f"/patients/{pregnant}/srh/violence").status == 403
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(AuditEntry.id))
                                 .filter_by(action="srh.violence.read")) == 2


def test_custody_records_an_escort_with_restraint(app, logged_in, pregnant):
    client = logged_in("custody.a")
    page = get(client, f"/patients/{pregnant}")
    resp = submit(client, page, {"escorted_at": "2026-03-10T11:00", "restraint_used": "yes",
                                 "restraint_note": "cuffed in ambulance"},
                  action=f"/patients/{pregnant}/hospital-escorts", follow_redirects=True)
    assert resp.status == 200
    assert any("director is alerted" in f for f in resp.flashes())
    with app.app_context():
        alerts = db.session.scalars(db.select(Alert).where(Alert.rule_code == "BR-05")).all()
        assert [a.patient_id for a in alerts] == [pregnant] and alerts[0].severity == "critical"


@pytest.fixture
def man(app, world):
    with app.app_context():
        patient = make_patient("M-9", facility="FAC-B", sex="male", given="Taras", family="Bondar")
        admit(patient, facility="FAC-B", ward="M1", at=NOW - timedelta(hours=3))
        db.session.commit()
        return patient.id


def test_a_clinician_opens_and_closes_a_mans_srh_record_from_the_pages(logged_in, man):
    nurse = logged_in("nurse.b")
    assert get(nurse, f"/patients/{man}").by_id("srh") is None
    page = get(nurse, f"/patients/{man}/srh")
    assert page.by_id("not-enabled") is not None
    assert not [f for f in page.find_all("form") if f.get("action") == f"/patients/{man}/srh/enable"]
    clinician = logged_in("clinician.b")
    assert "Open one" in get(clinician, f"/patients/{man}").by_id("srh").text
    page = get(clinician, f"/patients/{man}/srh")
    bad = submit(clinician, page, {"reason": "  "}, action=f"/patients/{man}/srh/enable")
    assert bad.status == 422 and "Say why." in bad.by_id("e-enable-reason").text
    ok = submit(clinician, page, {"reason": "trans man: cervical screening"},
                action=f"/patients/{man}/srh/enable")
    assert ok.status == 302
    page = get(clinician, f"/patients/{man}/srh")
    assert "trans man: cervical screening" in page.by_id("enabled-reason").text
    assert page.by_id("not-enabled") is None and page.by_id("pregnancy") is not None
    assert get(nurse, f"/patients/{man}").by_id("srh") is not None     # available in a men's facility
    assert submit(clinician, page, {"reason": "recorded in error"},
                  action=f"/patients/{man}/srh/revoke").status == 302
    assert get(clinician, f"/patients/{man}/srh").by_id("not-enabled") is not None


def test_the_srh_worklist_page_lists_the_facility_s_due_items(logged_in, pregnant):
    page = get(logged_in("nurse.a"), "/srh/worklist")
    assert page.status == 200 and page.in_layout()
    rows = page.by_id("srh-worklist").text
    assert "Kovalenko" in rows and "Antenatal booking" in rows
    overdue = get(logged_in("clinician.a"), "/srh/worklist?status=overdue")
    assert overdue.by_id("nothing-due") is not None        # the booking is due for 24 hours
    assert get(logged_in("custody.a"), "/srh/worklist").status == 403

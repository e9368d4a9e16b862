"""The release-plan API end to end: the contract's routes, the PDF documents read
back, the FHIR Bundle parsed with the R4B models, consent limits."""
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle

from tests.pdf_text import extract_text
from tests.conftest import NOW
from tests.services.test_release_support import complete_plan_data, make_providers, make_woman

PLAN = "/api/v1/patients/{}/release-plan"


@pytest.fixture
def woman_id(app, world):
    from prisoncare.extensions import db
    with app.app_context():
        make_providers()
        patient = make_woman()
        db.session.commit()
        return patient.id


def _json(data):
    """Instants as the API takes them."""
    out = {**data, "referrals": [{**r, "appointment_at": r["appointment_at"].isoformat()}
                                 for r in data["referrals"]]}
    return out


def test_get_put_finalize(as_user, woman_id):
    officer = as_user("release_officer.a")
    resp = officer.get(PLAN.format(woman_id))
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "draft" and body["programmes"] == ["art", "ost"]
    assert "Naloxone kit issued" in body["missing"]
    assert body["last_doses"][0]["administered_at"].endswith("Z")

    resp = officer.post(PLAN.format(woman_id) + "/finalize")
    assert resp.status_code == 409
    error = resp.get_json()["error"]
    assert error["code"] == "plan_incomplete"
    assert "naloxone_issued" in error["fields"] and "Naloxone kit issued" in error["message"]

    resp = officer.put(PLAN.format(woman_id), json=_json(complete_plan_data()))
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["missing"] == []
    resp = officer.post(PLAN.format(woman_id) + "/finalize")
    assert resp.status_code == 200 and resp.get_json()["status"] == "finalized"


def test_put_field_errors(as_user, woman_id):
    resp = as_user("clinician.a").put(PLAN.format(woman_id), json={
        "referrals": [{"need": "ost", "provider": "NOPE", "supply_days": -1}],
        "social_needs": {"housing": {"outcome": "maybe"}}})
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert any(k.startswith("referrals.0.supply_days") for k in fields)
    assert any(k.startswith("social_needs.housing") for k in fields)


def test_nurse_reads_but_cannot_write_and_other_facility_sees_nothing(as_user, woman_id):
    plan = as_user("nurse.a").get(PLAN.format(woman_id))
    assert plan.status_code == 200 and plan.get_json()["programmes"] == ["art", "ost"]
    assert as_user("nurse.a").put(PLAN.format(woman_id), json={}).status_code == 403
    assert as_user("release_officer.b").get(PLAN.format(woman_id)).status_code == 404


def test_patient_copy_prints_in_ukrainian(as_user, woman_id):
    officer = as_user("release_officer.a")
    officer.put(PLAN.format(woman_id), json=_json(complete_plan_data()))
    resp = officer.get(PLAN.format(woman_id) + ".pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = extract_text(resp.data)
    assert "Ваш план виходу з в'язниці" in text
    assert "Kyiv OST Centre" in text and "Бережіть себе від передозування" in text
    assert "Your plan for leaving prison" not in text


def test_patient_copy_in_russian_and_english(app, as_user, woman_id):
    from prisoncare.extensions import db
    from prisoncare.models import Patient
    officer = as_user("release_officer.a")
    for language, title in (("ru-RU", "Ваш план выхода из тюрьмы"), (None, "Your plan for leaving prison"),
                            ("de", "Your plan for leaving prison")):
        with app.app_context():
            db.session.get(Patient, woman_id).preferred_language = language
            db.session.commit()
        assert title in extract_text(officer.get(PLAN.format(woman_id) + ".pdf").data)


def test_referral_letter_omits_what_she_did_not_consent_to(as_user, woman_id):
    officer = as_user("release_officer.a")
    officer.put(PLAN.format(woman_id), json=_json(complete_plan_data()))
    resp = officer.get(PLAN.format(woman_id) + "/referrals/HIV-KYIV.pdf")
    assert resp.status_code == 200
    text = extract_text(resp.data)
    assert "Referral to Kyiv HIV Clinic" in text and "TLD" in text
    assert "methadone" not in text and "Opioid substitution" not in text and "violence" not in text
    ost = extract_text(officer.get(PLAN.format(woman_id) + "/referrals/OST-KYIV.pdf").data)
    assert "methadone" in ost and "TLD" not in ost
    assert officer.get(PLAN.format(woman_id) + "/referrals/HOUSE.pdf").status_code == 409


def test_fhir_bundle_validates_with_codes(as_user, woman_id):
    officer = as_user("release_officer.a")
    officer.put(PLAN.format(woman_id), json=_json(complete_plan_data()))
    resp = officer.get(PLAN.format(woman_id) + "/fhir")
    assert resp.status_code == 200
    bundle = Bundle.model_validate(resp.get_json())
    assert bundle.type == "collection"
    by_type = {}
    for entry in bundle.entry:
        by_type.setdefault(entry.resource.__resource_type__, []).append(entry.resource)
    assert {"Patient", "CarePlan", "MedicationStatement", "Appointment", "ServiceRequest", "Consent"} <= set(by_type)
    assert by_type["Patient"][0].gender == "female"
    assert by_type["CarePlan"][0].status == "draft"
    assert all(a.status == "booked" for a in by_type["Appointment"])
    assert all(c.provision.type == "permit" for c in by_type["Consent"])
    # every reference resolves inside the bundle
    ids = {f"{e.resource.__resource_type__}/{e.resource.id}" for e in bundle.entry}
    assert by_type["CarePlan"][0].subject.reference in ids
    activity = by_type["CarePlan"][0].activity
    assert activity and all(a.reference.reference in ids for a in activity if a.reference)
    # and every performer of a needs' activity (naloxone, social needs) too
    assert all(p.reference in ids for a in activity if a.detail for p in a.detail.performer or ())

    hiv = officer.get(PLAN.format(woman_id) + "/fhir?provider=HIV-KYIV").get_json()
    drugs = [e["resource"]["medicationCodeableConcept"]["text"] for e in hiv["entry"]
             if e["resource"]["resourceType"] == "MedicationStatement"]
    assert drugs == ["TLD"]
    officer.post(PLAN.format(woman_id) + "/finalize")
    final = Bundle.model_validate(officer.get(PLAN.format(woman_id) + "/fhir").get_json())
    assert next(e.resource for e in final.entry if e.resource.__resource_type__ == "CarePlan").status == "active"


def test_follow_up_after_release(app, as_user, woman_id):
    from prisoncare.extensions import db
    from prisoncare.models import Patient
    from prisoncare.services import custody
    from tests.factories import SYSTEM
    officer = as_user("release_officer.a")
    officer.put(PLAN.format(woman_id), json=_json(complete_plan_data(0)))
    body = {"provider": "OST-KYIV", "attended": None, "checked_at": NOW.isoformat()}
    assert officer.post(PLAN.format(woman_id) + "/follow-up", json=body).status_code == 409
    with app.app_context():
        custody.record_event(SYSTEM, db.session.get(Patient, woman_id),
                             dict(type="release", occurred_at=NOW, release_from="facility"), now=NOW)
        db.session.commit()
    resp = officer.post(PLAN.format(woman_id) + "/follow-up", json=body)
    assert resp.status_code == 201
    assert resp.get_json()["follow_ups"] == [{"provider": "OST-KYIV", "attended": None,
                                              "checked_at": "2026-03-10T10:00:00Z", "note": None,
                                              "need": "ost", "day": 3}]
    future = {**body, "checked_at": (NOW + timedelta(days=2)).isoformat()}
    assert officer.post(PLAN.format(woman_id) + "/follow-up", json=future).status_code == 422


def test_provider_directory(as_user, world):
    admin = as_user("admin.a")
    resp = admin.post("/api/v1/providers", json={"code": "TB-1", "name": "TB Dispensary",
                                                 "services": ["tb"], "women_only": False})
    assert resp.status_code == 201
    assert admin.post("/api/v1/providers", json={"code": "TB-1", "name": "x",
                                                 "services": ["tb"]}).status_code == 409
    assert admin.post("/api/v1/providers", json={"code": "X", "name": "x",
                                                 "services": ["astrology"]}).status_code == 422
    officer = as_user("release_officer.a")
    assert officer.get("/api/v1/providers?service=tb").get_json()["total"] == 1
    assert admin.patch("/api/v1/providers/TB-1", json={"active": False}).status_code == 200
    assert officer.get("/api/v1/providers?service=tb").get_json()["total"] == 0
    assert officer.post("/api/v1/providers", json={}).status_code == 403


def test_follow_up_worklist(app, as_user, woman_id):
    from prisoncare import clock
    from prisoncare.extensions import db
    from prisoncare.models import Patient
    from prisoncare.services import custody
    from tests.factories import SYSTEM
    officer = as_user("release_officer.a")
    officer.put(PLAN.format(woman_id), json=_json(complete_plan_data(0)))
    with app.app_context():
        custody.record_event(SYSTEM, db.session.get(Patient, woman_id),
                             dict(type="release", occurred_at=NOW, release_from="facility"), now=NOW)
        db.session.commit()
    clock.set_now(NOW + timedelta(days=4))
    officer = as_user("release_officer.a")  # the earlier session has timed out
    body = officer.get("/api/v1/release-follow-ups").get_json()
    assert body["total"] == 2 and {i["need"] for i in body["items"]} == {"ost", "art"}
    item = body["items"][0]
    assert (item["day"], item["status"], item["due_on"]) == (3, "due", "2026-03-13")
    assert item["patient"]["id"] == woman_id and item["released_at"] == "2026-03-10T10:00:00Z"
    resp = officer.post(PLAN.format(woman_id) + "/follow-up", json={
        "provider": "OST-KYIV", "need": "ost", "day": 3, "attended": True,
        "checked_at": (NOW + timedelta(days=4)).isoformat()})
    assert resp.status_code == 201
    assert officer.get("/api/v1/release-follow-ups").get_json()["total"] == 1
    everything = officer.get("/api/v1/release-follow-ups?status=all&limit=2&offset=1").get_json()
    assert everything["total"] == 6 and len(everything["items"]) == 2
    assert as_user("release_officer.b").get("/api/v1/release-follow-ups?facility=FAC-A").status_code == 404
    assert officer.get("/api/v1/release-follow-ups?status=late").status_code == 422


def test_officers_see_the_violence_support_status_never_the_history(app, as_user, woman_id):
    from prisoncare.extensions import db
    from prisoncare.models import Patient
    from prisoncare.services import srh_care
    from tests.services.test_release_support import nurse
    disclosure = "Beaten by her partner at the flat on Lesi Ukrainky"
    with app.app_context():
        srh_care.record_violence(nurse(), db.session.get(Patient, woman_id), {
            "period": "before_custody", "disclosure": disclosure, "informed_of_recourse": True,
            "support_accepted": ["psychological"]}, now=NOW)
        db.session.commit()
    officer = as_user("release_officer.a")
    body = officer.get(PLAN.format(woman_id)).get_json()
    assert body["violence_support"] == {"status": "not_discussed"}  # never whether she needs it
    officer.put(PLAN.format(woman_id), json={"circumstances": {"violence_support_needed": True},
                                             "social_needs": {"violence_support": {"outcome": "referred",
                                                                                   "provider": "HOUSE"}}})
    resp = officer.get(PLAN.format(woman_id))
    assert resp.get_json()["violence_support"] == {"status": "referral_accepted"}
    officer.put(PLAN.format(woman_id), json={"social_needs": {"violence_support": {"outcome": "declined"}}})
    assert officer.get(PLAN.format(woman_id)).get_json()["violence_support"]["status"] == "declined"
    for path in (PLAN, PLAN + "/fhir"):
        assert "Lesi Ukrainky" not in officer.get(path.format(woman_id)).get_data(as_text=True)
    assert "Lesi Ukrainky" not in extract_text(officer.get(PLAN.format(woman_id) + ".pdf").data)


def _letter(officer, woman_id, code):
    resp = officer.get(PLAN.format(woman_id) + f"/referrals/{code}.pdf")
    assert resp.status_code == 200, resp.get_json()
    return extract_text(resp.data)


@pytest.fixture
def on_hcv(app, woman_id):
    from prisoncare.extensions import db
    from prisoncare.models import Patient
    from prisoncare.services import orders
    from tests.factories import SYSTEM
    with app.app_context():
        orders.create_order(SYSTEM, db.session.get(Patient, woman_id), {
            "programme": "hcv", "drug": "sofosbuvir/velpatasvir", "dose": 1, "unit": "tablet",
            "route": "oral", "schedule": {"times": ["08:00"], "every_days": 1},
            "start_at": NOW - timedelta(days=2), "administration": "witnessed"}, now=NOW)
        db.session.commit()
    return woman_id


def test_a_shelter_with_general_consent_reads_only_her_housing(as_user, on_hcv):
    officer = as_user("release_officer.a")
    data = _json(complete_plan_data())
    data["referrals"].append({"need": "hcv", "supply_days": 30})
    data["circumstances"] = {"children_outside": True, "pregnant": True, "violence_support_needed": True}
    data["consents"] += [{"provider": "HOUSE", "categories": ["general"]}]
    assert officer.put(PLAN.format(on_hcv), json=data).status_code == 200
    text = _letter(officer, on_hcv, "HOUSE")
    assert "housing: arranged" in text
    for leak in ("Hepatitis", "sofosbuvir", "harm reduction", "child custody", "pregnant",
                 "methadone", "TLD", "violence"):
        assert leak not in text, leak
    # Only the shelter's own items, even with every category consented.
    data = {"consents": [{"provider": "HOUSE", "categories": ["general", "ost", "srh", "hiv"]}]}
    assert officer.put(PLAN.format(on_hcv), json=data).status_code == 200
    text = _letter(officer, on_hcv, "HOUSE")
    for leak in ("Hepatitis", "harm reduction", "child custody", "methadone", "TLD", "HIV"):
        assert leak not in text, leak
    bundle = officer.get(PLAN.format(on_hcv) + "/fhir?provider=HOUSE").get_json()
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    assert "MedicationStatement" not in kinds and "ServiceRequest" not in kinds
    assert "sofosbuvir" not in str(bundle) and "hcv" not in str(bundle)


def test_harm_reduction_and_children_need_their_own_consent(as_user, woman_id):
    officer = as_user("release_officer.a")
    data = _json(complete_plan_data())
    data["circumstances"] = {"children_outside": True}
    for key in ("women_harm_reduction", "child_custody", "legal_aid"):
        data["social_needs"][key] = {"outcome": "arranged", "provider": "HOUSE"}
    data["consents"] += [{"provider": "HOUSE", "categories": ["general"]}]
    assert officer.put(PLAN.format(woman_id), json=data).status_code == 200
    text = _letter(officer, woman_id, "HOUSE")
    assert "legal aid: arranged" in text
    assert "harm reduction" not in text and "child custody" not in text
    officer.put(PLAN.format(woman_id), json={"consents": [
        {"provider": "HOUSE", "categories": ["general", "ost", "srh"]}]})
    text = _letter(officer, woman_id, "HOUSE")
    assert "women harm reduction: arranged" in text and "child custody: arranged" in text


def test_consent_for_a_provider_not_in_the_plan_is_refused(as_user, woman_id):
    officer = as_user("release_officer.a")
    resp = officer.put(PLAN.format(woman_id), json={
        "consents": [{"provider": "HOUSE", "categories": ["hiv", "ost", "srh", "violence"]}]})
    assert resp.status_code == 422
    assert "consents.0.provider" in resp.get_json()["error"]["fields"]
    assert officer.get(PLAN.format(woman_id)).get_json()["consents"] == []


def _items(body):
    return {i["id"]: i for i in body["items"]}


def test_hcv_without_an_end_date_needs_the_days_entered_and_a_community_appointment(as_user, on_hcv):
    officer = as_user("release_officer.a")
    release = NOW + timedelta(days=30)
    resp = officer.put(PLAN.format(on_hcv), json={"referrals": [{"need": "hcv", "supply_days": 0}]})
    items = _items(resp.get_json())
    assert items["hcv_supply"]["done"] is False and "no end date" in items["hcv_supply"]["problem"]
    assert items["hcv_appointment"]["name"] == "Community HCV prescriber appointment within 14 days of release"
    assert items["hcv_appointment"]["problem"] == "no appointment booked"
    late = (release + timedelta(days=20)).isoformat()
    items = _items(officer.put(PLAN.format(on_hcv), json={"referrals": [
        {"need": "hcv", "supply_days": 56, "appointment_at": late}]}).get_json())
    assert items["hcv_supply"]["done"] is True
    assert items["hcv_appointment"]["problem"] == "appointment is 20 days after release (at most 14)"
    soon = (release + timedelta(days=10)).isoformat()
    items = _items(officer.put(PLAN.format(on_hcv), json={"referrals": [
        {"need": "hcv", "appointment_at": soon}]}).get_json())
    assert items["hcv_appointment"]["done"] is True


def test_fhir_has_every_consent_and_naloxone_and_social_needs_as_activities(as_user, woman_id):
    officer = as_user("release_officer.a")
    data = _json(complete_plan_data())
    data["consents"] += [{"provider": "HOUSE", "categories": ["general"]}]
    data["checks"]["naloxone_training"] = False
    assert officer.put(PLAN.format(woman_id), json=data).status_code == 200

    def parsed(query=""):
        bundle = Bundle.model_validate(officer.get(PLAN.format(woman_id) + "/fhir" + query).get_json())
        by_type = {}
        for entry in bundle.entry:
            by_type.setdefault(entry.resource.__resource_type__, []).append(entry.resource)
        ids = {f"{e.resource.__resource_type__}/{e.resource.id}" for e in bundle.entry}
        return by_type, ids

    by_type, ids = parsed()
    # HOUSE has no referral, only housing: her consent to it is in the bundle all the same.
    consented = {c.provision.actor[0].reference.reference for c in by_type["Consent"]}
    assert consented == {"Organization/provider-OST-KYIV", "Organization/provider-HIV-KYIV",
                         "Organization/provider-HOUSE"} and consented <= ids
    details = {a.detail.code.coding[0].code: a.detail for a in by_type["CarePlan"][0].activity if a.detail}
    assert (details["naloxone"].status, details["naloxone"].productCodeableConcept.text) == (
        "in-progress", "naloxone")  # kit issued, training not yet
    assert details["housing"].status == "scheduled"
    assert details["housing"].performer[0].reference == "Organization/provider-HOUSE"
    assert {"violence_support", "women_harm_reduction", "child_custody"} <= set(details)

    by_type, _ = parsed("?provider=HIV-KYIV")  # no drug use, no social needs for the HIV clinic
    assert not [a for a in by_type["CarePlan"][0].activity if a.detail]
    by_type, _ = parsed("?provider=OST-KYIV")
    assert [a.detail.code.coding[0].code for a in by_type["CarePlan"][0].activity if a.detail] == ["naloxone"]
    by_type, _ = parsed("?provider=HOUSE")
    assert [a.detail.code.coding[0].code for a in by_type["CarePlan"][0].activity if a.detail] == ["housing"]
    assert [c.provision.actor[0].reference.reference for c in by_type["Consent"]] == [
        "Organization/provider-HOUSE"]

"""Issue 7's "Done when", as one story through the API and the scheduler.

A woman on methadone and ART with a child outside (recorded at intake) gets a plan
30 days ahead, pre-filled; it cannot be finalized without naloxone, an OST
appointment by the next day and 30 days of ART. A court then releases her
unexpectedly: the plan becomes an emergency plan with a critical alert. Her copy
prints in Ukrainian, the letter to her HIV clinic omits what she did not consent
to share, the FHIR Bundle validates, and her appointments reach the follow-up list.
"""
from datetime import timedelta

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from tests.pdf_text import extract_text
from tests.conftest import NOW
from tests.services.test_release_support import make_providers, make_woman

PLAN = "/api/v1/patients/{}/release-plan"


def _setup(app):
    from prisoncare.extensions import db
    from prisoncare.jobs import JOBS, run_job
    from prisoncare.models.intake import ChecklistAnswer, ChecklistInstance
    from prisoncare.services import custody
    from tests.factories import SYSTEM
    with app.app_context():
        make_providers()
        woman = make_woman(release_in_days=None)
        intake = db.session.scalar(select(ChecklistInstance).where(
            ChecklistInstance.patient_id == woman.id, ChecklistInstance.kind == "intake"))
        db.session.add(ChecklistAnswer(instance_id=intake.id, item_id="IN-04", answered_at=NOW,
                                       answer=[{"name": "Sofia", "age_years": 7, "with_her": False}]))
        custody.record_event(SYSTEM, woman, dict(type="sentenced", occurred_at=NOW,
                                                 expected_at=NOW + timedelta(days=30)), now=NOW)
        db.session.commit()
        job = next(j for j in JOBS if j.id == "open-release-plans")
        assert run_job(job, NOW) == (True, "1 release plans opened")
        return woman.id


def test_the_story_of_issue_7(app, as_user, world):
    from prisoncare.extensions import db
    from prisoncare.models import Alert, Patient
    from prisoncare.services import custody
    from tests.factories import SYSTEM
    woman_id = _setup(app)
    officer = as_user("release_officer.a")

    plan = officer.get(PLAN.format(woman_id)).get_json()
    assert (plan["trigger"], plan["kind"], plan["release_date"]) == ("release_window", "planned", "2026-04-09")
    assert plan["programmes"] == ["art", "ost"] and plan["circumstances"]["children_outside"] is True
    assert "Reunification and child custody support" in plan["missing"]

    release = NOW + timedelta(days=30)
    body = {
        "referrals": [
            {"need": "ost", "provider": "OST-KYIV", "appointment_at": (release + timedelta(days=2)).isoformat()},
            {"need": "art", "provider": "HIV-KYIV", "appointment_at": (release + timedelta(days=3)).isoformat(),
             "supply_days": 14}],
        "checks": {"naloxone_training": True, "overdose_counselling": True, "ost_prescription_sent": True,
                   "ost_discharge_letter": True, "reintegration_partners": True, "medical_summary": True},
        "social_needs": {k: {"outcome": "arranged"} for k in (
            "housing", "id_documents", "income", "health_insurance", "legal_aid", "child_custody",
            "violence_support", "women_harm_reduction")},
        "consents": [{"provider": "HIV-KYIV", "categories": ["hiv"]},
                     {"provider": "OST-KYIV", "categories": ["ost", "general"]}],
    }
    assert officer.put(PLAN.format(woman_id), json=body).status_code == 200
    refused = officer.post(PLAN.format(woman_id) + "/finalize")
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "plan_incomplete"
    assert set(error["fields"]) == {"naloxone_issued", "ost_appointment", "art_supply"}

    body["checks"]["naloxone_issued"] = True
    body["referrals"][0]["appointment_at"] = (release + timedelta(days=1)).isoformat()
    body["referrals"][1]["supply_days"] = 30
    assert officer.put(PLAN.format(woman_id), json=body).get_json()["missing"] == []

    # Before the release date a court lets her go: the plan turns into an emergency plan.
    with app.app_context():
        patient = db.session.get(Patient, woman_id)
        custody.record_event(SYSTEM, patient, dict(type="court_out", occurred_at=NOW), now=NOW)
        custody.record_event(SYSTEM, patient, dict(type="release", occurred_at=NOW,
                                                   release_from="court"), now=NOW)
        db.session.commit()
        alert = db.session.scalar(select(Alert).where(Alert.patient_id == woman_id,
                                                      Alert.rule_code == "RL-16"))
        assert (alert.severity, alert.role) == ("critical", "release_officer")
    plan = officer.get(PLAN.format(woman_id)).get_json()
    assert plan["kind"] == "emergency" and plan["release_date"] == "2026-03-10"
    assert "Community prescriber notified the same day (unplanned release)" in plan["missing"]

    copy = extract_text(officer.get(PLAN.format(woman_id) + ".pdf").data)
    assert "Ваш план виходу з в'язниці" in copy and "Your plan for leaving prison" not in copy

    letter = extract_text(officer.get(PLAN.format(woman_id) + "/referrals/HIV-KYIV.pdf").data)
    assert "Referral to Kyiv HIV Clinic" in letter and "TLD" in letter
    for withheld in ("methadone", "Opioid substitution", "Kyiv OST Centre", "violence", "children"):
        assert withheld not in letter

    bundle = Bundle.model_validate(officer.get(PLAN.format(woman_id) + "/fhir").get_json())
    kinds = {e.resource.__resource_type__ for e in bundle.entry}
    assert {"Patient", "CarePlan", "MedicationStatement", "Appointment", "Consent"} <= kinds

    worklist = officer.get("/api/v1/release-follow-ups?status=all").get_json()
    assert {(i["need"], i["day"]) for i in worklist["items"]} == {
        (n, d) for n in ("ost", "art") for d in (3, 7, 30)}

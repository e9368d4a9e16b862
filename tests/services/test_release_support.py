"""Shared set-up for the release tests: providers and the woman of issue 7
(methadone and ART, a child outside), built through the services."""
from datetime import timedelta

from sqlalchemy import select

from prisoncare.extensions import db
from prisoncare.models.medication import ScheduledDose
from prisoncare.models.staff import StaffUser
from prisoncare.services import administration, custody, orders, providers
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient

PROVIDERS = [
    dict(code="OST-KYIV", name="Kyiv OST Centre", services=["ost", "harm_reduction", "naloxone"],
         address="1 Main St", city="Kyiv", phone="+380 44 000 0001", hours="Mon-Sun 08:00-14:00"),
    dict(code="HIV-KYIV", name="Kyiv HIV Clinic", services=["art", "srh"], address="2 Clinic Rd",
         city="Kyiv", phone="+380 44 000 0002", hours="Mon-Fri 09:00-17:00"),
    dict(code="HOUSE", name="Women's Shelter", services=["housing", "violence_support"],
         women_only=True),
]


def make_providers():
    return [providers.create_provider(SYSTEM, dict(p), now=NOW) for p in PROVIDERS]


def nurse():
    return db.session.scalar(select(StaffUser).where(StaffUser.username == "nurse.a"))


def make_woman(prison_number="R-1", language="uk", release_in_days=30, give_dose=True):
    """Admitted 10 days ago on methadone and ART, a dose of each given this
    morning, release scheduled `release_in_days` ahead (None: no release yet)."""
    patient = make_patient(prison_number, facility="FAC-A", given="Olena", family="Koval")
    patient.preferred_language = language
    admit(patient, at=NOW - timedelta(days=10))
    for programme, drug, dose in (("ost", "methadone", 60), ("art", "TLD", 1)):
        orders.create_order(SYSTEM, patient, {
            "programme": programme, "drug": drug, "dose": dose, "unit": "mg" if programme == "ost" else "tablet",
            "route": "oral", "schedule": {"times": ["08:00"], "every_days": 1},
            "start_at": NOW - timedelta(days=2), "administration": "witnessed"}, now=NOW)
    db.session.flush()
    if give_dose:
        doses = db.session.scalars(select(ScheduledDose).where(
            ScheduledDose.patient_id == patient.id, ScheduledDose.due_at <= NOW,
            ScheduledDose.due_at > NOW - timedelta(hours=12))).all()
        for dose in doses:
            administration.record_administration(nurse(), dose, {
                "outcome": "given", "administered_at": NOW - timedelta(hours=1),
                "witnessed_by": "nurse.a"}, now=NOW)
    if release_in_days is not None:
        custody.record_event(SYSTEM, patient, dict(
            type="release_scheduled", occurred_at=NOW,
            expected_at=NOW + timedelta(days=release_in_days)), now=NOW)
    db.session.flush()
    return patient


def complete_plan_data(release_in_days=30):
    release = NOW + timedelta(days=release_in_days)
    return {
        "circumstances": {"children_outside": True},
        "referrals": [
            {"need": "ost", "provider": "OST-KYIV", "appointment_at": release + timedelta(days=1)},
            {"need": "art", "provider": "HIV-KYIV", "appointment_at": release + timedelta(days=3),
             "supply_days": 30},
        ],
        "checks": {k: True for k in ("ost_prescription_sent", "ost_discharge_letter", "naloxone_issued",
                                     "naloxone_training", "overdose_counselling", "reintegration_partners",
                                     "medical_summary")},
        "social_needs": {k: {"outcome": "arranged", "provider": "HOUSE" if k == "housing" else None}
                         for k in ("housing", "id_documents", "income", "health_insurance", "legal_aid",
                                   "child_custody", "violence_support", "women_harm_reduction")},
        "consents": [{"provider": "OST-KYIV", "categories": ["general", "ost"]},
                     {"provider": "HIV-KYIV", "categories": ["hiv"]}],
    }

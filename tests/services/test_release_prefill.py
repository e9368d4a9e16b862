"""A new plan starts from what the record knows: community treatment, intake
answers, the SRH record and the MAR; and the scheduler's release rules over plans
(raised once in bulk, resolved when the items are done)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from prisoncare.extensions import db
from prisoncare.models import Alert, AuditEntry
from prisoncare.models.intake import ChecklistAnswer, ChecklistInstance
from prisoncare.services import community_medication, custody, release, release_present, srh, srh_care
from prisoncare.services.release_alerts import evaluate_release_rules
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient

from .test_release_support import complete_plan_data, make_providers, make_woman, nurse

DISCLOSURE = "Beaten by X at the flat on Lesi Ukrainky street"


@pytest.fixture
def providers(ctx, world):
    return make_providers()


def _intake(patient):
    return db.session.scalar(select(ChecklistInstance).where(
        ChecklistInstance.patient_id == patient.id, ChecklistInstance.kind == "intake"))


def _answer(patient, item, answer):
    db.session.add(ChecklistAnswer(instance_id=_intake(patient).id, item_id=item, answer=answer,
                                   answered_at=NOW))
    db.session.flush()


def _admitted(number="P-1", sex="female", facility="FAC-A", ward="A"):
    patient = make_patient(number, facility=facility, sex=sex)
    admit(patient, facility=facility, ward=ward, at=NOW - timedelta(days=20))
    return patient


def _schedule(patient, days=20):
    custody.record_event(SYSTEM, patient, dict(type="release_scheduled", occurred_at=NOW,
                                               expected_at=NOW + timedelta(days=days)), now=NOW)
    return release.current_plan(patient)


def test_community_treatment_becomes_a_referral_to_her_clinic(providers):
    patient = _admitted()
    for programme, clinic in (("ost", "Kyiv OST Centre"), ("art", "Odesa AIDS Centre")):
        community_medication.record_community_medication(SYSTEM, patient, dict(
            programme=programme, drug="x", dose=1, unit="mg", source="patient_report",
            clinic=clinic), now=NOW)
    plan = _schedule(patient)
    by_need = {r.need: r for r in plan.referrals}
    assert by_need["ost"].provider.code == "OST-KYIV" and by_need["ost"].note is None
    assert by_need["art"].provider is None
    assert by_need["art"].note == "Community clinic at admission: Odesa AIDS Centre"
    detail = db.session.scalar(select(AuditEntry.detail).where(AuditEntry.action == "release_plan.open"))
    assert detail["prefilled"] == ["referral:ost", "referral:art"]


def test_children_outside_from_intake_add_child_custody(providers):
    patient = _admitted()
    _answer(patient, "IN-04", [{"name": "Ira", "age_years": 6, "with_her": False}])
    plan = _schedule(patient)
    assert plan.circumstances["children_outside"] is True
    assert "child_custody" in {s.item.id for s in release.Evaluation(plan, NOW).missing}


def test_children_all_with_her_are_not_children_outside(providers):
    patient = _admitted()
    _answer(patient, "IN-04", [{"name": "Ira", "age_years": 1, "with_her": True}])
    plan = _schedule(patient)
    assert plan.circumstances == {"children_outside": False, "child_with_her": True}
    assert "child_health_handover" in {s.item.id for s in release.Evaluation(plan, NOW).missing}


def test_pregnancy_from_srh_asks_for_antenatal_care(providers):
    patient = _admitted()
    srh.record_pregnancy(nurse(), patient, {"dating_method": "lmp",
                                            "lmp_on": (NOW - timedelta(days=70)).date()}, now=NOW)
    srh.record_breastfeeding(nurse(), patient, {"status": "not_breastfeeding"}, now=NOW)
    plan = _schedule(patient)
    assert plan.circumstances["pregnant"] is True and plan.circumstances["breastfeeding"] is False
    assert "antenatal_provider" in {s.item.id for s in release.Evaluation(plan, NOW).missing}


@pytest.mark.parametrize("source", ["intake", "srh"])
def test_violence_disclosed_becomes_a_need_never_its_content(providers, source):
    patient = _admitted()
    if source == "intake":
        _answer(patient, "IN-19", "disclosed")
    else:
        srh_care.record_violence(nurse(), patient, {
            "period": "before_custody", "disclosure": DISCLOSURE, "informed_of_recourse": True,
            "support_accepted": ["psychological"]}, now=NOW)
    plan = _schedule(patient)
    assert plan.circumstances == {"violence_support_needed": True}
    assert plan.social_needs == {"violence_support": {"outcome": "pending", "provider": None,
                                                      "note": None}}
    assert DISCLOSURE not in repr(release_present.plan_dict(release.Evaluation(plan, NOW)))


def test_nothing_known_nothing_filled_and_the_mar_gives_the_last_dose(providers):
    plain = _schedule(_admitted("P-2"))
    assert (plain.circumstances, plain.social_needs, plain.referrals) == ({}, {}, [])
    woman = make_woman("P-3", release_in_days=20)  # a methadone dose given an hour ago
    last = release.Evaluation(release.current_plan(woman), NOW).last_doses["ost"]
    assert (last["drug"], last["dose"], last["administered_at"]) == ("methadone", 60,
                                                                     NOW - timedelta(hours=1))


def test_the_scheduler_opens_and_prefills_many_plans_at_once(providers):
    patients = []
    for n in range(3):
        patient = _admitted(f"Q-{n}")
        _answer(patient, "IN-04", [{"name": "Ira", "age_years": 6, "with_her": False}])
        custody.record_event(SYSTEM, patient, dict(type="sentenced", occurred_at=NOW,
                                                   expected_at=NOW + timedelta(days=40)), now=NOW)
        patients.append(patient)
    later = NOW + timedelta(days=12)
    assert release.open_due_plans(now=later) == 3
    assert release.open_due_plans(now=later) == 0
    for patient in patients:
        plan = release.current_plan(patient)
        assert plan.trigger == "release_window" and plan.circumstances["children_outside"] is True


# --- the scheduler's release rules ------------------------------------------------------

def _alerts(patient):
    return {a.rule_code: a for a in db.session.scalars(select(Alert).where(
        Alert.patient_id == patient.id, Alert.dedup_key.like("%:release-plan:%")))}


def test_release_rules_raise_once_and_resolve_when_the_items_are_done(providers):
    woman = make_woman(release_in_days=10)
    assert evaluate_release_rules(now=NOW) == {"raised": 4, "resolved": 0}
    alerts = _alerts(woman)
    assert set(alerts) == {"OST-R-01", "OST-R-02", "ART-07", "BR-09"}
    assert (alerts["OST-R-02"].severity, alerts["OST-R-02"].role) == ("high", "nurse")
    assert "Naloxone kit issued" in alerts["OST-R-02"].message
    assert alerts["BR-09"].severity == "warning" and "in 10 day(s)" in alerts["BR-09"].message
    assert evaluate_release_rules(now=NOW) == {"raised": 0, "resolved": 0}

    data = complete_plan_data(10)
    data["referrals"][1]["supply_days"] = 14  # ART still short
    release.update_plan(SYSTEM, woman, data, now=NOW)
    assert evaluate_release_rules(now=NOW) == {"raised": 0, "resolved": 3}
    alerts = _alerts(woman)
    assert {k for k, a in alerts.items() if a.status == "resolved"} == {"OST-R-01", "OST-R-02", "BR-09"}
    assert alerts["ART-07"].status == "open"


def test_release_rules_wait_for_the_window_and_skip_released_women(providers):
    far = make_woman("W-1", release_in_days=20)
    gone = make_woman("W-2", release_in_days=5)
    custody.record_event(SYSTEM, gone, dict(type="release", occurred_at=NOW, release_from="facility"),
                         now=NOW)
    evaluate_release_rules(now=NOW)
    assert set(_alerts(far)) == {"BR-09"}  # 20 days: the 14-day rules wait
    assert _alerts(gone) == {}
    evaluate_release_rules(now=NOW + timedelta(days=7))
    assert set(_alerts(far)) == {"OST-R-01", "OST-R-02", "ART-07", "BR-09"}


def test_tb_handover_at_release(providers):
    from prisoncare.services import orders
    man = _admitted("T-9", sex="male", facility="FAC-B", ward="M1")
    orders.create_order(SYSTEM, man, {
        "programme": "tb", "drug": "HRZE", "dose": 4, "unit": "tablet", "route": "oral",
        "schedule": {"times": ["08:00"], "every_days": 1}, "start_at": NOW - timedelta(days=5),
        "administration": "witnessed"}, now=NOW)
    _schedule(man, days=7)
    evaluate_release_rules(now=NOW)
    alert = _alerts(man)["TB-06"]
    assert alert.programme == "tb" and "TB treatment card and doses remaining handed over" in alert.message
    assert set(_alerts(man)) == {"TB-06"}


def test_a_later_release_date_does_not_resolve_what_is_still_missing(providers):
    woman = make_woman(release_in_days=10)
    evaluate_release_rules(now=NOW)
    custody.record_event(SYSTEM, woman, dict(type="release_scheduled", occurred_at=NOW,
                                             expected_at=NOW + timedelta(days=20)), now=NOW)
    assert release.current_plan(woman).release_on == (NOW + timedelta(days=20)).date()
    assert evaluate_release_rules(now=NOW) == {"raised": 0, "resolved": 0}
    assert {a.status for a in _alerts(woman).values()} == {"open"}


def test_the_alerts_and_the_plan_read_the_same_configured_thresholds(ctx, providers):
    ctx.config["RELEASE_THRESHOLDS"] = {"bridging_days": {"art": 60},
                                        "appointment_within_days": {"ost": 3, "art": 7}}
    woman = make_woman(release_in_days=10)
    data = complete_plan_data(10)
    data["referrals"][0]["appointment_at"] = NOW + timedelta(days=12)  # 2 days after: within 3
    release.update_plan(SYSTEM, woman, data, now=NOW)
    e = release.read_plan(SYSTEM, woman, now=NOW)
    names = {s.item.id: s.item.name for s in e.statuses}
    assert names["art_supply"] == "Bridging supply of ARVs (at least 60 days)"
    assert names["art_appointment"] == "HIV clinic appointment within 7 days of release"
    assert names["ost_appointment"] == "First community OST dose within 3 day(s) of release"
    assert [s.item.id for s in e.missing] == ["art_supply"]  # 30 days given, 60 asked
    evaluate_release_rules(now=NOW)
    alerts = _alerts(woman)
    assert set(alerts) == {"ART-07"}  # OST-R-01 agrees with the plan: 2 days is in time
    assert "Bridging supply of ARVs (at least 60 days)" in alerts["ART-07"].message


@pytest.mark.parametrize("answer,naloxone", [("dependence_no_withdrawal", True),
                                             ("withdrawal_treatment_started", True),
                                             ("no_dependence", False)])
def test_drug_dependence_at_intake_asks_for_naloxone_and_overdose_education(providers, answer, naloxone):
    patient = _admitted(sex="male", facility="FAC-B", ward="M1")  # not on OST
    _answer(patient, "IN-16", answer)
    plan = _schedule(patient)
    e = release.read_plan(SYSTEM, patient, now=NOW)
    missing = {s.item.id for s in e.missing}
    wanted = {"naloxone_issued", "naloxone_training", "overdose_counselling"}
    assert (wanted <= missing) is naloxone and (not wanted & missing) is (not naloxone)
    assert e.subject.opioid_use is naloxone
    assert bool(plan.circumstances.get("opioid_use")) is naloxone
    # The plan's answer wins: alcohol only, no kit asked.
    release.update_plan(SYSTEM, patient, {"circumstances": {"opioid_use": False}}, now=NOW)
    assert not wanted & {s.item.id for s in release.read_plan(SYSTEM, patient, now=NOW).missing}

"""Release plans through the services: opening by custody events and the
scheduler, finalizing, consent-limited documents, follow-up alerts."""
from datetime import timedelta

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from prisoncare.errors import Conflict, ValidationFailed
from prisoncare.extensions import db
from prisoncare.fhir_export import build_bundle
from prisoncare.models import Alert, AuditEntry
from prisoncare.models.release import ReleasePlan
from prisoncare.services import custody, release, release_docs, release_followup
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient

from .test_release_support import complete_plan_data, make_providers, make_woman


@pytest.fixture
def woman(ctx, world):
    make_providers()
    return make_woman()


def test_release_scheduled_opens_a_plan_with_the_items_of_her_programmes(woman):
    plan = release.current_plan(woman)
    assert plan.kind == "planned" and plan.status == "draft" and plan.trigger == "release_scheduled"
    e = release.Evaluation(plan, NOW)
    assert set(e.orders) == {"ost", "art"} and e.subject.opioid_use
    missing = {s.item.id for s in e.missing}
    assert {"ost_provider", "ost_appointment", "naloxone_issued", "art_supply",
            "art_appointment", "housing", "violence_support"} <= missing
    assert "child_custody" not in missing  # children not yet known
    assert e.last_doses["ost"]["dose"] == 60


def test_cannot_finalize_without_naloxone_next_day_ost_and_30_days_of_art(woman):
    data = complete_plan_data()
    data["checks"]["naloxone_issued"] = False
    data["referrals"][0]["appointment_at"] = NOW + timedelta(days=33)  # 3 days after release
    data["referrals"][1]["supply_days"] = 14
    release.update_plan(SYSTEM, woman, data, now=NOW)
    with pytest.raises(Conflict) as err:
        release.finalize_plan(SYSTEM, woman, now=NOW)
    assert err.value.code == "plan_incomplete"
    assert set(err.value.fields) == {"naloxone_issued", "ost_appointment", "art_supply"}
    assert "Naloxone kit issued" in err.value.message
    assert "14 days supplied (at least 30)" in err.value.fields["art_supply"][0]


def test_a_complete_plan_finalizes_and_editing_returns_it_to_draft(woman):
    release.update_plan(SYSTEM, woman, complete_plan_data(), now=NOW)
    e = release.finalize_plan(SYSTEM, woman, now=NOW)
    assert e.plan.status == "finalized" and e.missing == []
    release.update_plan(SYSTEM, woman, {"checks": {"hcv_svr12": True}}, now=NOW)
    assert release.current_plan(woman).status == "draft"


def test_children_outside_adds_child_custody(woman):
    release.update_plan(SYSTEM, woman, {"circumstances": {"children_outside": True}}, now=NOW)
    e = release.read_plan(SYSTEM, woman, now=NOW)
    assert "child_custody" in {s.item.id for s in e.missing}


def test_field_errors_all_at_once_and_nothing_written(woman):
    data = {"referrals": [{"need": "ost", "provider": "HIV-KYIV"}, {"need": "art", "provider": "NOPE"}],
            "checks": {"bogus": True}, "consents": [{"provider": "NOPE", "categories": ["hiv"]}]}
    with pytest.raises(ValidationFailed) as err:
        release.update_plan(SYSTEM, woman, data, now=NOW)
    assert set(err.value.fields) == {"referrals.0.provider", "referrals.1.provider", "checks.bogus",
                                     "consents.0.provider"}
    plan = release.current_plan(woman)  # checked before anything was applied
    assert plan.referrals == [] and plan.checks == {} and plan.consents == []


def test_the_service_itself_refuses_unknown_outcomes_and_consent_categories(woman):
    """The page editor passes form values straight through: the service must check them."""
    data = {"social_needs": {"housing": {"outcome": "sorted"}},
            "referrals": [{"need": "art", "provider": "HIV-KYIV"}],
            "consents": [{"provider": "HIV-KYIV", "categories": ["hiv", "everything"]}]}
    with pytest.raises(ValidationFailed) as err:
        release.update_plan(SYSTEM, woman, data, now=NOW)
    assert set(err.value.fields) == {"social_needs.housing.outcome", "consents.0.categories"}
    assert release.current_plan(woman).consents == []


def test_women_only_provider_refused_for_a_man(ctx, world):
    make_providers()
    man = make_patient("M-1", facility="FAC-B", sex="male")
    admit(man, facility="FAC-B", ward="M1")
    with pytest.raises(ValidationFailed) as err:
        release.update_plan(SYSTEM, man, {"social_needs": {"housing": {"outcome": "arranged"}},
                                          "referrals": [{"need": "antenatal", "provider": "HOUSE"}]}, now=NOW)
    assert "referrals.0.provider" in err.value.fields


def test_unplanned_release_from_court_opens_emergency_plan_and_critical_alert(ctx, world):
    make_providers()
    patient = make_woman("R-2", release_in_days=None)
    custody.record_event(SYSTEM, patient, dict(type="court_out", occurred_at=NOW), now=NOW)
    custody.record_event(SYSTEM, patient, dict(type="release", occurred_at=NOW, release_from="court"),
                         now=NOW)
    plan = release.current_plan(patient)
    assert plan.kind == "emergency" and plan.release_on == NOW.date()
    alert = db.session.scalar(select(Alert).where(Alert.patient_id == patient.id, Alert.rule_code == "RL-16"))
    assert (alert.severity, alert.role, alert.programme) == ("critical", "release_officer", "ost")
    assert alert.cause_event_type == "release"
    e = release.Evaluation(plan, NOW)
    assert "prescriber_notified_same_day" in {s.item.id for s in e.missing}
    assert set(e.orders) == {"ost", "art"}


def test_sentencing_opens_a_plan_only_when_release_is_near(ctx, world):
    near, far = make_patient("S-1"), make_patient("S-2")
    for patient, days in ((near, 20), (far, 200)):
        admit(patient, at=NOW - timedelta(days=5))
        custody.record_event(SYSTEM, patient, dict(type="sentenced", occurred_at=NOW,
                                                    expected_at=NOW + timedelta(days=days)), now=NOW)
    assert release.current_plan(near).trigger == "sentenced"
    assert release.current_plan(far) is None


def test_scheduler_opens_plans_30_days_ahead_once(ctx, world):
    patient = make_patient("S-3")
    admit(patient, at=NOW - timedelta(days=5))
    custody.record_event(SYSTEM, patient, dict(type="sentenced", occurred_at=NOW,
                                               expected_at=NOW + timedelta(days=45)), now=NOW)
    assert release.open_due_plans(now=NOW) == 0
    later = NOW + timedelta(days=15)
    assert release.open_due_plans(now=later) == 1
    assert release.open_due_plans(now=later) == 0
    assert release.current_plan(patient).trigger == "release_window"


def test_documents_share_only_what_she_consented_to(woman):
    release.update_plan(SYSTEM, woman, complete_plan_data(), now=NOW)
    e = release.read_plan(SYSTEM, woman, now=NOW)
    to_hiv = release_docs.shared_content(e, "HIV-KYIV")
    assert [r.need for r in to_hiv["referrals"]] == ["art"]
    assert [m["programme"] for m in to_hiv["medications"]] == ["art"]
    assert "violence_support" not in to_hiv["social_needs"]
    with pytest.raises(Conflict):
        release_docs.shared_content(e, "HOUSE")  # no consent at all


def test_fhir_bundle_parses_and_is_draft_until_finalized(woman):
    release.update_plan(SYSTEM, woman, complete_plan_data(), now=NOW)
    e = release.read_plan(SYSTEM, woman, now=NOW)
    bundle = build_bundle(release_docs.shared_content(e), now=NOW)
    parsed = Bundle.model_validate(bundle)
    kinds = [entry.resource.__resource_type__ for entry in parsed.entry]
    for kind in ("Patient", "CarePlan", "MedicationStatement", "Appointment", "ServiceRequest", "Consent"):
        assert kind in kinds
    care_plan = next(x.resource for x in parsed.entry if x.resource.__resource_type__ == "CarePlan")
    assert care_plan.status == "draft" and care_plan.intent == "plan"


def test_follow_up_and_missing_outcome_alert(woman):
    release.update_plan(SYSTEM, woman, complete_plan_data(0), now=NOW)
    custody.record_event(SYSTEM, woman, dict(type="release", occurred_at=NOW, release_from="facility"),
                         now=NOW)
    plan = release.current_plan(woman)
    assert release_followup.alert_missing_outcomes(now=NOW + timedelta(days=5)) == 1  # OST only
    later = NOW + timedelta(days=7)  # the ART appointment (day 3) is 72 h past too
    assert release_followup.alert_missing_outcomes(now=later) == 1
    assert release_followup.alert_missing_outcomes(now=later) == 0
    release_followup.record_follow_up(SYSTEM, plan, {"provider": "OST-KYIV", "attended": True,
                                                     "checked_at": later}, now=later)
    assert release_followup.follow_ups_of(plan)[0]["attended"] is True
    with pytest.raises(ValidationFailed):
        release_followup.record_follow_up(SYSTEM, plan, {"provider": "NOPE", "attended": None,
                                                         "checked_at": later}, now=later)


def test_reads_and_writes_are_audited(woman):
    release.update_plan(SYSTEM, woman, {"checks": {"naloxone_issued": True}}, now=NOW)
    release.read_plan(SYSTEM, woman, now=NOW)
    actions = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.patient_id == woman.id)))
    assert {"release_plan.open", "release_plan.update", "release_plan.read"} <= actions
    assert db.session.scalar(select(ReleasePlan.id)) is not None


def _sweep_alerts(patient, at):
    from prisoncare.rules.alert_rules import load_rules
    from prisoncare.services.dose_marks import sweep_settings
    from prisoncare.services.rule_evaluation import evaluate_rules
    evaluate_rules(db.session, at, load_rules(), sweep_settings(None))
    return {a.rule_code: a.severity for a in db.session.scalars(
        select(Alert).where(Alert.patient_id == patient.id))}


def test_a_release_never_scheduled_bail_is_unplanned(ctx, world):
    make_providers()
    patient = make_woman("R-3", release_in_days=None)  # bail: no release_scheduled
    custody.record_event(SYSTEM, patient, dict(type="release", occurred_at=NOW, release_from="facility"),
                         now=NOW)
    plan = release.current_plan(patient)
    assert plan.kind == "emergency"
    assert "prescriber_notified_same_day" in {s.item.id for s in release.Evaluation(plan, NOW).missing}
    alerts = _sweep_alerts(patient, NOW + timedelta(minutes=5))
    assert alerts["RL-16"] == "critical"
    assert alerts["OST-R-03"] == "critical" and alerts["ART-U-01"] == "critical"
    rl16 = db.session.scalar(select(Alert).where(Alert.patient_id == patient.id, Alert.rule_code == "RL-16"))
    assert "never scheduled" in rl16.message


@pytest.mark.parametrize("expected_in_days,kind", [
    (0, "planned"),      # released on the date the sentence set, no release_scheduled posted
    (7, "planned"),      # a week early: the plan opened 30 days before that date
    (8, "emergency"),    # earlier than that: nobody was preparing her release
])
def test_a_release_on_the_sentences_expected_date_is_planned(ctx, world, expected_in_days, kind):
    make_providers()
    patient = make_woman("R-5", release_in_days=None)
    custody.record_event(SYSTEM, patient, dict(
        type="sentenced", occurred_at=NOW - timedelta(days=1), legal_status="sentenced",
        expected_at=NOW + timedelta(days=expected_in_days)), now=NOW)
    custody.record_event(SYSTEM, patient, dict(type="release", occurred_at=NOW, release_from="facility"),
                         now=NOW)
    assert release.current_plan(patient).kind == kind
    alerts = _sweep_alerts(patient, NOW + timedelta(minutes=5))
    assert ("OST-R-03" in alerts) == (kind == "emergency")


def test_a_scheduled_release_from_the_facility_stays_planned(woman):
    custody.record_event(SYSTEM, woman, dict(type="release", occurred_at=NOW, release_from="facility"),
                         now=NOW)
    assert release.current_plan(woman).kind == "planned"
    alerts = _sweep_alerts(woman, NOW + timedelta(minutes=5))
    assert not {"RL-16", "OST-R-03", "ART-U-01"} & set(alerts)


def test_a_finalized_plan_still_gets_the_same_day_notification_on_an_unplanned_release(ctx, world):
    make_providers()
    patient = make_woman("R-4", release_in_days=30)
    release.update_plan(SYSTEM, patient, complete_plan_data(30), now=NOW)
    release.finalize_plan(SYSTEM, patient, now=NOW)
    custody.record_event(SYSTEM, patient, dict(type="court_out", occurred_at=NOW), now=NOW)
    custody.record_event(SYSTEM, patient, dict(type="release", occurred_at=NOW, release_from="court"),
                         now=NOW)
    plan = release.current_plan(patient)
    assert (plan.kind, plan.status) == ("emergency", "draft")
    e = release.Evaluation(plan, NOW)
    # (the appointments were booked for the planned date, so they are late now too)
    assert "prescriber_notified_same_day" in {s.item.id for s in e.missing}
    alert = db.session.scalar(select(Alert).where(Alert.patient_id == patient.id, Alert.rule_code == "RL-16"))
    assert alert.severity == "critical"

"""Alert lifecycle with a controlled clock: idempotent raising, escalation
computed from the data, acknowledgement and resolution, who sees what."""
from datetime import timedelta

import pytest

from prisoncare.errors import Conflict
from prisoncare.extensions import db
from prisoncare.models import Alert, StaffUser
from prisoncare.services import alerts
from tests.conftest import NOW
from tests.factories import admit, build_world, make_patient

ART_MISSED = alerts.AlertSpec(
    rule_code="ART-06", severity="high", role="clinician", programme="art",
    message="Community ART not continued within 24 hours of admission.",
    action="Verify the regimen and continue without a gap.",
    custody_message="Health review needed before any transfer.")
MIN = timedelta(minutes=1)


@pytest.fixture
def w(ctx):
    build_world()
    patient = make_patient()
    admit(patient)
    db.session.commit()
    return patient


def user(name):
    return db.session.scalars(db.select(StaffUser).where(StaffUser.username == name)).one()


def test_the_same_condition_never_raises_twice(w):
    first = alerts.raise_alert(ART_MISSED, w, dedup_key="ART-06:1:episode-1", now=NOW)
    again = alerts.raise_alert(ART_MISSED, w, dedup_key="ART-06:1:episode-1", now=NOW + 60 * MIN)
    assert first is not None and again is None
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(Alert)) == 1
    assert first.facility_id == w.facility_id and first.status == "open"


@pytest.mark.parametrize("severity,waited,level", [
    ("critical", 14, 0), ("critical", 15, 1), ("critical", 31, 2), ("critical", 600, 3),
    ("high", 59, 0), ("high", 60, 1), ("warning", 239, 0), ("warning", 240, 1),
    ("info", 10_000, 0),
])
def test_escalation_level_is_a_function_of_the_wait(severity, waited, level):
    assert alerts.escalation_level(severity, NOW, NOW + waited * MIN) == level


def test_escalation_catches_up_and_a_second_run_at_the_same_instant_changes_nothing(w):
    alert = alerts.raise_alert(ART_MISSED, w, dedup_key="k1", now=NOW)
    db.session.commit()
    later = NOW + 150 * MIN  # the scheduler was down for two and a half hours
    assert alerts.escalate_open_alerts(now=later) == 1
    assert alert.escalation_level == 2 and alert.escalated_at == NOW + 120 * MIN
    assert alerts.escalate_open_alerts(now=later) == 0
    assert alerts.escalate_open_alerts(now=NOW + 30 * MIN) == 0  # never goes back down


def test_acknowledging_stops_escalation_and_resolving_needs_an_open_alert(w):
    alert = alerts.raise_alert(ART_MISSED, w, dedup_key="k2", now=NOW)
    nurse = user("nurse.a")
    alerts.acknowledge(nurse, alert, "calling the community clinic", now=NOW + 5 * MIN)
    assert alerts.escalate_open_alerts(now=NOW + 600 * MIN) == 0
    with pytest.raises(Conflict):
        alerts.acknowledge(nurse, alert, None, now=NOW + 6 * MIN)
    alerts.resolve(nurse, alert, "dosed 14:10 after verification", now=NOW + 60 * MIN)
    assert alert.status == "resolved" and alert.resolved_by_id == nurse.id
    with pytest.raises(Conflict):
        alerts.resolve(nurse, alert, "again", now=NOW + 61 * MIN)


def test_custody_staff_see_only_alerts_with_a_custody_task(w):
    alerts.raise_alert(ART_MISSED, w, dedup_key="with-task", now=NOW)
    clinical_only = alerts.AlertSpec("OST-M-01", "info", "nurse", "ost", "Missed methadone dose.")
    alerts.raise_alert(clinical_only, w, dedup_key="clinical-only", now=NOW)
    db.session.commit()
    seen, _ = alerts.list_alerts(user("custody.a"), now=NOW)
    assert [a.dedup_key for a in seen] == ["with-task"]
    seen, total = alerts.list_alerts(user("nurse.a"), now=NOW)
    assert total == 2 and seen[0].severity == "high"  # most severe first
    assert alerts.list_alerts(user("nurse.b"), now=NOW)[1] == 0  # another facility
    assert alerts.list_alerts(user("release_officer.a"), now=NOW)[1] == 0


def test_escalation_minutes_and_roles_are_configuration_data(w, app):
    # sweep.toml [escalation], overridden by the deployment's SWEEP_SETTINGS
    app.config["SWEEP_SETTINGS"] = {"escalation": {"minutes": {"high": 10, "warning": 20}}}
    try:
        nurse_art = alerts.AlertSpec("ART-06", "high", "nurse", "art", "ART not continued.")
        art = alerts.raise_alert(nurse_art, w, dedup_key="art", now=NOW)  # escalate_to clinician
        own = alerts.AlertSpec("OST-M-01", "warning", "nurse", "ost", "Missed dose.")
        ost = alerts.raise_alert(own, w, dedup_key="ost", now=NOW)          # next_role: clinician
        rel = alerts.AlertSpec("X-REL", "high", "release_officer", None, "Plan incomplete.")
        plan = alerts.raise_alert(rel, w, dedup_key="rel", now=NOW)        # no role to go to
        db.session.commit()
        assert alerts.escalate_open_alerts(now=NOW + 9 * MIN) == 0
        assert alerts.escalate_open_alerts(now=NOW + 20 * MIN) == 3
        assert (art.escalation_level, art.escalated_to, art.escalated_at) == (
            2, "clinician", NOW + 20 * MIN)
        assert (ost.escalation_level, ost.escalated_to) == (1, "clinician")
        assert (plan.escalation_level, plan.escalated_to) == (2, None)
    finally:
        app.config.pop("SWEEP_SETTINGS", None)

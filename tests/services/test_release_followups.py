"""After release: the follow-up worklist of each appointment at 3, 7 and 30 days."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from prisoncare.errors import ValidationFailed
from prisoncare.extensions import db
from prisoncare.models import Alert, Facility, StaffUser
from prisoncare.models.release import ReleaseFollowUp
from prisoncare.services import custody, release
from prisoncare.services.release_followup import alert_missing_outcomes, checkpoint_for, record_follow_up
from prisoncare.services.release_worklist import check_status, follow_up_worklist
from tests.conftest import NOW
from tests.factories import SYSTEM

from .test_release_support import complete_plan_data, make_providers, make_woman


def _user(name):
    return db.session.scalar(select(StaffUser).where(StaffUser.username == name))


def _facility(code):
    return db.session.scalar(select(Facility).where(Facility.code == code))


@pytest.fixture
def released(ctx, world):
    """Released today; OST appointment tomorrow, ART in 3 days."""
    make_providers()
    woman = make_woman(release_in_days=0)
    release.update_plan(SYSTEM, woman, complete_plan_data(0), now=NOW)
    custody.record_event(SYSTEM, woman, dict(type="release", occurred_at=NOW, release_from="facility"),
                         now=NOW)
    return release.current_plan(woman)


def _worklist(at, status="all", user="release_officer.a", facility="FAC-A"):
    items, total = follow_up_worklist(_user(user), _facility(facility), now=at, status=status)
    return {(i["need"], i["day"]): i["status"] for i in items}, total


def test_each_appointment_has_three_checks_that_fall_due(released):
    checks, total = _worklist(NOW + timedelta(days=1))
    assert total == 6 and set(checks.values()) == {"upcoming"}
    assert _worklist(NOW + timedelta(days=3), "open")[0] == {("ost", 3): "due", ("art", 3): "due"}
    checks, _ = _worklist(NOW + timedelta(days=6))
    assert checks[("ost", 3)] == "overdue" and checks[("ost", 7)] == "upcoming"
    assert _worklist(NOW + timedelta(days=6), "overdue")[1] == 2


def test_recording_a_check_takes_it_off_the_open_list(released):
    at = NOW + timedelta(days=6)
    record_follow_up(SYSTEM, released, {"provider": "OST-KYIV", "need": "ost", "day": 3,
                                        "attended": True, "checked_at": at}, now=at)
    record_follow_up(SYSTEM, released, {"provider": "HIV-KYIV", "attended": None,
                                        "checked_at": at}, now=at)  # day 3 by date, need by provider
    checks, _ = _worklist(at)
    assert checks[("ost", 3)] == "attended" and checks[("art", 3)] == "unknown"
    assert _worklist(at, "open") == ({}, 0)
    later = NOW + timedelta(days=8)
    record_follow_up(SYSTEM, released, {"provider": "OST-KYIV", "attended": False,
                                        "checked_at": later}, now=later)
    assert _worklist(later)[0][("ost", 7)] == "not_attended"


def test_a_check_must_name_an_appointment_of_the_plan(released):
    at = NOW + timedelta(days=3)
    with pytest.raises(ValidationFailed) as err:
        record_follow_up(SYSTEM, released, {"provider": "OST-KYIV", "need": "art", "day": 5,
                                            "attended": True, "checked_at": at}, now=at)
    assert set(err.value.fields) == {"need", "day"}


def test_another_facility_sees_none_of_them(released):
    assert _worklist(NOW + timedelta(days=3), user="release_officer.b", facility="FAC-B") == ({}, 0)


@pytest.mark.parametrize("days_after_due,recorded,status", [
    (-1, None, "upcoming"), (0, None, "due"), (2, None, "due"), (3, None, "overdue"),
    (5, True, "attended"), (5, False, "not_attended"), (5, "unknown", "unknown"),
])
def test_check_status(days_after_due, recorded, status):
    class Row:
        attended = None if recorded == "unknown" else recorded
    due = NOW.date()
    assert check_status(due + timedelta(days=days_after_due), due,
                        None if recorded is None else Row()) == status


@pytest.mark.parametrize("after,day", [(timedelta(days=1), 3), (timedelta(days=3), 3),
                                       (timedelta(days=6, hours=23), 3), (timedelta(days=7), 7),
                                       (timedelta(days=40), 30)])
def test_a_check_recorded_without_a_day_answers_the_latest_due(after, day):
    assert checkpoint_for(NOW, NOW + after) == day


def _outcome_alerts(patient_id):
    return db.session.scalars(select(Alert).where(Alert.patient_id == patient_id,
                                                  Alert.dedup_key.like("release-outcome:%"))).all()


def test_the_72_hour_alert_is_in_local_time_and_closes_when_the_outcome_is_recorded(released):
    later = NOW + timedelta(days=5)
    assert alert_missing_outcomes(now=later) == 1  # OST tomorrow 10:00 UTC; ART not yet 72 h
    [alert] = _outcome_alerts(released.patient_id)
    # Kyiv is UTC+2 in March: the nurse reads the time on the ward clock.
    assert "due 2026-03-11 12:00 (Europe/Kyiv time)" in alert.message and "UTC" not in alert.message
    record_follow_up(SYSTEM, released, {"provider": "OST-KYIV", "attended": True,
                                        "checked_at": later}, now=later)
    assert alert.status == "resolved" and alert.resolved_at == later
    assert alert_missing_outcomes(now=later + timedelta(hours=1)) == 0
    assert alert.status == "resolved"


def test_an_unknown_outcome_leaves_the_alert_open(released):
    later = NOW + timedelta(days=5)
    alert_missing_outcomes(now=later)
    record_follow_up(SYSTEM, released, {"provider": "OST-KYIV", "attended": None,
                                        "checked_at": later}, now=later)
    assert [a.status for a in _outcome_alerts(released.patient_id)] == ["open"]


def test_the_job_closes_an_alert_whose_outcome_was_recorded_without_closing_it(released):
    later = NOW + timedelta(days=5)
    alert_missing_outcomes(now=later)
    # An outcome written straight to the table (an import, or before this fix).
    referral = next(r for r in released.referrals if r.need == "ost")
    db.session.add(ReleaseFollowUp(plan_id=released.id, provider_id=referral.provider_id,
                                   attended=False, checked_at=later, recorded_at=later,
                                   need="ost", checkpoint_day=3))
    db.session.flush()
    alert_missing_outcomes(now=later + timedelta(hours=1))
    [alert] = _outcome_alerts(released.patient_id)
    assert alert.status == "resolved"

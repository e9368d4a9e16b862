"""SRH services on the database: pregnancy status for other domains, protection
flags, audit of every write, and nothing half-written."""
from datetime import date, timedelta

import pytest

from prisoncare.errors import Conflict, ValidationFailed
from prisoncare.extensions import db
from prisoncare.models import AuditEntry
from prisoncare.models.srh import Pregnancy
from prisoncare.services import srh, srh_care
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, build_world, make_patient


@pytest.fixture
def woman(ctx):
    build_world()
    patient = make_patient("S-1", facility="FAC-A")
    admit(patient, at=NOW - timedelta(hours=1))
    db.session.flush()
    return patient


def test_is_pregnant_follows_the_episode(woman):
    assert not srh.is_pregnant(woman.id, NOW)
    srh.record_pregnancy(SYSTEM, woman, {"dating_method": "lmp", "lmp_on": date(2025, 12, 1)}, now=NOW)
    assert srh.is_pregnant(woman.id, NOW)
    assert not srh.is_pregnant(woman.id, NOW - timedelta(minutes=1))  # not yet recorded then
    assert srh.pregnant_patient_ids([woman.id, 999], NOW) == {woman.id}
    later = NOW + timedelta(days=2)
    srh.record_outcome(SYSTEM, woman, {"outcome": "miscarriage", "ended_on": date(2026, 3, 11)}, now=later)
    assert srh.is_pregnant(woman.id, NOW + timedelta(hours=5))   # before the end date
    assert not srh.is_pregnant(woman.id, later)


def test_every_write_is_audited(woman):
    srh.record_pregnancy_test(SYSTEM, woman, {"status": "offered"}, now=NOW)
    srh.record_pregnancy(SYSTEM, woman, {"dating_method": "lmp", "lmp_on": date(2025, 12, 1)}, now=NOW)
    srh_care.record_preventive(SYSTEM, woman, {"kind": "hygiene_materials", "done_on": date(2026, 3, 10)},
                               now=NOW)
    actions = set(db.session.scalars(db.select(AuditEntry.action).filter_by(patient_id=woman.id)))
    assert {"srh.pregnancy_test.create", "srh.pregnancy.create",
            "srh.preventive.hygiene_materials"} <= actions


def test_a_refused_write_writes_nothing(woman):
    with pytest.raises(ValidationFailed) as err:
        srh.record_pregnancy(SYSTEM, woman, {"dating_method": "lmp", "lmp_on": date(2024, 1, 1)}, now=NOW)
    assert "lmp_on" in err.value.fields
    assert db.session.scalar(db.select(db.func.count(Pregnancy.id))) == 0
    with pytest.raises(Conflict):
        srh.record_outcome(SYSTEM, woman, {"outcome": "live_birth", "ended_on": date(2026, 3, 10)}, now=NOW)


def test_protection_flags_for_a_man_are_empty(ctx):
    build_world()
    man = make_patient("S-2", facility="FAC-B", sex="male")
    assert srh.protection_flags(man, NOW) == []
    assert not srh.srh_available(man)


def test_ost_in_pregnancy_is_never_stopped_without_a_clinical_reason_code(woman):
    from prisoncare.models import Alert
    from prisoncare.services import orders
    order = orders.create_order(SYSTEM, woman, {
        "programme": "ost", "drug": "methadone", "dose": 60, "unit": "mg", "route": "oral",
        "schedule": {"times": ["08:00"], "every_days": 1}, "administration": "witnessed"}, now=NOW)
    srh.record_pregnancy(SYSTEM, woman, {"dating_method": "lmp", "lmp_on": date(2025, 12, 1)}, now=NOW)
    with pytest.raises(ValidationFailed) as refused:
        orders.discontinue_order(SYSTEM, order, "she asked", now=NOW + timedelta(hours=1))
    assert refused.value.code == "pregnancy_ost_reason_required"
    assert list(refused.value.fields) == ["reason_code"] and order.status == "active"
    orders.discontinue_order(SYSTEM, order, "she asked, informed of the risks",
                             now=NOW + timedelta(hours=1), reason_code="patient_request_informed")
    alert = db.session.scalars(db.select(Alert).where(Alert.rule_code == "OST-P-02")).one()
    assert alert.patient_id == woman.id and alert.severity == "high"

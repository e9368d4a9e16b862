"""The patient page's Discontinue form for a pregnant woman's OST asks for the
clinical reason code, and a refusal comes back on the page by the field."""

from prisoncare.extensions import db
from prisoncare.models import Alert
from prisoncare.models.medication import MedicationOrder
from tests.api.test_intake_api import admitted
from tests.web.helpers import get, submit

ORDER = {"route": "oral", "schedule": {"times": ["08:00"], "every_days": 1}, "programme": "ost",
         "drug": "methadone", "dose": 60, "unit": "mg", "administration": "witnessed"}


def setup(as_user, pregnant=True):
    _, pid = admitted(as_user)
    if pregnant:
        as_user("nurse.a").post(f"/api/v1/patients/{pid}/srh/pregnancies",
                                json={"dating_method": "lmp", "lmp_on": "2025-12-20"})
    oid = as_user("clinician.a").post(f"/api/v1/patients/{pid}/orders", json=ORDER).get_json()["id"]
    return pid, oid


def test_discontinuing_a_pregnant_womans_ost_from_the_page(app, world, as_user, logged_in):
    pid, oid = setup(as_user)
    client = logged_in("clinician.a")
    page = get(client, f"/patients/{pid}")
    action = f"/mar/orders/{oid}/discontinue"
    assert page.label_for(f"f-dc-{oid}-reason_code") is not None
    refused = submit(client, page, {"reason": "she asked"}, action=action)
    assert refused.status == 422 and refused.in_layout()
    assert "pregnant" in refused.field_error(f"dc-{oid}-reason_code")
    with app.app_context():
        assert db.session.get(MedicationOrder, oid).status == "active"
    done = submit(client, refused, {"reason": "she asked", "reason_code": "patient_request_informed"},
                  action=action)
    assert done.status == 302
    with app.app_context():
        assert db.session.get(MedicationOrder, oid).status == "discontinued"
        assert db.session.scalar(db.select(Alert.rule_code).where(Alert.patient_id == pid)) == "OST-P-02"


def test_no_reason_code_field_when_she_is_not_pregnant(app, world, as_user, logged_in):
    pid, oid = setup(as_user, pregnant=False)
    page = get(logged_in("clinician.a"), f"/patients/{pid}")
    assert page.root.find(id=f"f-dc-{oid}-reason_code") is None
    assert page.root.find(id=f"f-dc-{oid}-reason") is not None

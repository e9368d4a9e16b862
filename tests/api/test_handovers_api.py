"""The transfer handover (OST-T-01, TB-06) through the API and the patient page, the TB
phase of orders, and the alert worklist's single query (clock frozen at NOW)."""
from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS, run_all
from prisoncare.models import Alert, AuditEntry
from prisoncare.models.handovers import TransferHandover
from prisoncare.services import alerts as alert_service
from tests.conftest import NOW
from tests.web.helpers import get, login, submit

from .test_custody_api import new_patient, post_event

TRANSFER = {"type": "transfer_scheduled", "occurred_at": "2026-03-10T09:00:00Z",
            "expected_at": "2026-03-11T07:00:00Z", "to_facility": "FAC-B"}
OST = {"programmes": ["ost"], "prescription_sent": True, "mar_summary_sent": True,
       "last_dose_at": "2026-03-10T06:05:00Z", "take_home_doses": 0, "note": "sealed envelope"}


def on_ost(as_user, transfer=True):
    custody, pid = new_patient(as_user)
    post_event(custody, pid, type="admission", occurred_at="2026-03-01T09:00:00Z",
               facility="FAC-A", ward="A", legal_status="pretrial")
    clinician = as_user("clinician.a")
    resp = clinician.post(f"/api/v1/patients/{pid}/orders", json={
        "programme": "ost", "drug": "Methadone oral solution", "dose": 60, "unit": "mg",
        "route": "oral", "schedule": {"times": ["08:00"]}, "administration": "witnessed",
        "start_at": "2026-03-05T08:00:00Z"})
    assert resp.status_code == 201, resp.get_json()
    if transfer:
        assert post_event(custody, pid, **TRANSFER).status_code == 201
    return custody, pid


def sweep(app, now=NOW):
    with app.app_context():
        with clock.frozen(now):
            assert all(ok for _, ok, _ in run_all(now, [j for j in JOBS if j.id == "evaluate-rules"]))


def alert_of(app, pid, rule):
    with app.app_context():
        return db.session.scalars(select(Alert).where(Alert.patient_id == pid,
                                                      Alert.rule_code == rule)).all()


def test_the_nurse_records_the_handover_and_the_alert_resolves(app, as_user, world):
    _, pid = on_ost(as_user)
    sweep(app)
    [alert] = alert_of(app, pid, "OST-T-01")
    assert alert.status == "open"
    nurse = as_user("nurse.a")
    resp = nurse.post(f"/api/v1/patients/{pid}/transfer-handovers", json=OST)
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["from_facility"], body["to_facility"], body["programmes"]) == ("FAC-A", "FAC-B", ["ost"])
    assert (body["last_dose_at"], body["take_home_doses"], body["recorded_by"]) == (
        "2026-03-10T06:05:00Z", 0, "nurse.a")
    assert body["transfer_event_type"] == "transfer_scheduled" and body["sent_at"] == "2026-03-10T10:00:00Z"
    [alert] = alert_of(app, pid, "OST-T-01")
    assert alert.status == "resolved" and "recorded by nurse.a" in alert.resolve_note
    page = as_user("clinician.a").get(f"/api/v1/patients/{pid}/transfer-handovers").get_json()
    assert page["total"] == 1 and page["items"][0]["note"] == "sealed envelope"
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "transfer_handover.create")).all()
        assert (entry.username, entry.patient_id, entry.detail["alerts_resolved"]) == ("nurse.a", pid, 1)


def test_what_a_handover_must_say(app, as_user, world):
    _, pid = on_ost(as_user)
    nurse = as_user("nurse.a")
    url = f"/api/v1/patients/{pid}/transfer-handovers"
    cases = [
        ({**OST, "last_dose_at": None}, "last_dose_at"),
        ({k: v for k, v in OST.items() if k != "take_home_doses"}, "take_home_doses"),
        ({**OST, "prescription_sent": False}, "prescription_sent"),
        ({**OST, "programmes": ["ost", "tb"]}, "programmes"),          # no TB order
        ({**OST, "programmes": []}, "programmes"),
        ({**OST, "last_dose_at": "2026-03-10T12:00:00Z"}, "last_dose_at"),   # future
        ({**OST, "to_facility": "FAC-A"}, "to_facility"),             # not where she goes
    ]
    for body, field in cases:
        resp = nurse.post(url, json=body)
        assert resp.status_code == 422, (field, resp.get_json())
        assert field in resp.get_json()["error"]["fields"], (field, resp.get_json())
    with app.app_context():
        assert db.session.scalar(select(TransferHandover.id)) is None   # nothing half-written


def test_no_transfer_no_handover_and_only_the_sending_unit_records_it(app, as_user, world):
    custody, pid = on_ost(as_user, transfer=False)
    nurse = as_user("nurse.a")
    url = f"/api/v1/patients/{pid}/transfer-handovers"
    resp = nurse.post(url, json=OST)
    assert resp.status_code == 409 and resp.get_json()["error"]["code"] == "no_transfer_planned"
    assert as_user("nurse.b").post(url, json=OST).status_code == 404      # not hers to see
    post_event(custody, pid, **TRANSFER)
    post_event(custody, pid, type="transfer_out", occurred_at="2026-03-10T09:30:00Z",
               to_facility="FAC-B")
    receiving = as_user("nurse.b")                                          # sees her now
    assert receiving.get(url).status_code == 200
    resp = receiving.post(url, json=OST)
    assert resp.status_code == 403
    assert nurse.post(url, json=OST).status_code == 201                    # under way: still ok


def test_the_patient_page_form_records_it(app, as_user, world):
    _, pid = on_ost(as_user)
    sweep(app)
    client = app.test_client()
    login(client, "nurse.a")
    page = get(client, f"/patients/{pid}")
    section = page.by_id("handover")
    assert section is not None and "No handover recorded yet for OST" in section.text
    done = submit(client, page, {"programmes": "ost", "prescription_sent": "1",
                                 "last_dose_at": "2026-03-10T08:05", "take_home_doses": "0"},
                  action=f"/patients/{pid}/transfer-handovers", follow_redirects=True)
    assert "Transfer handover recorded." in done.flashes()
    assert "Handover recorded." in done.by_id("handover").text
    with app.app_context():
        row = db.session.scalar(select(TransferHandover))
        assert row.last_dose_at.isoformat() == "2026-03-10T06:05:00+00:00"   # Kyiv time read
    [alert] = alert_of(app, pid, "OST-T-01")
    assert alert.status == "resolved"
    custody = app.test_client()
    login(custody, "custody.a")
    assert get(custody, f"/patients/{pid}").by_id("handover") is None      # no clinical data


def test_tb_orders_carry_their_phase(app, as_user, world):
    _, pid = on_ost(as_user, transfer=False)
    clinician = as_user("clinician.a")
    base = {"drug": "Rifampicin/isoniazid", "dose": 600, "unit": "mg", "route": "oral",
            "schedule": {"times": ["08:00"]}, "administration": "witnessed"}
    tb = clinician.post(f"/api/v1/patients/{pid}/orders", json={**base, "programme": "tb"})
    assert tb.status_code == 201 and tb.get_json()["phase"] == "intensive"
    resp = clinician.post(f"/api/v1/patients/{pid}/orders",
                          json={**base, "programme": "art", "phase": "intensive"})
    assert resp.status_code == 422 and "phase" in resp.get_json()["error"]["fields"]
    resp = clinician.post(f"/api/v1/patients/{pid}/orders",
                          json={**base, "programme": "tb", "phase": "maintenance"})
    assert resp.status_code == 422 and "phase" in resp.get_json()["error"]["fields"]
    changed = clinician.patch(f"/api/v1/orders/{tb.get_json()['id']}", json={"phase": "continuation"})
    assert changed.status_code == 200, changed.get_json()
    assert (changed.get_json()["phase"], changed.get_json()["version"]) == ("continuation", 2)
    orders = clinician.get(f"/api/v1/patients/{pid}/orders").get_json()["items"]
    assert {(o["programme"], o["phase"], o["status"]) for o in orders} >= {
        ("tb", "intensive", "superseded"), ("tb", "continuation", "active"), ("ost", None, "active")}


def test_the_worklist_lists_open_and_acknowledged_alerts_in_one_query(app, as_user, world):
    _, pid = on_ost(as_user, transfer=False)
    with app.app_context():
        from prisoncare.models import Patient, StaffUser
        patient = db.session.get(Patient, pid)
        for key, severity in (("a", "warning"), ("b", "critical"), ("c", "high")):
            spec = alert_service.AlertSpec(f"T-{key}", severity, "nurse", "ost", f"alert {key}")
            alert_service.raise_alert(spec, patient, dedup_key=key, now=NOW)
        db.session.flush()
        nurse = db.session.scalar(select(StaffUser).where(StaffUser.username == "nurse.a"))
        high = db.session.scalar(select(Alert).where(Alert.dedup_key == "c"))
        alert_service.acknowledge(nurse, high, None, now=NOW)
        db.session.commit()
    client = app.test_client()
    login(client, "nurse.a")
    page = get(client, "/alerts")
    text = page.main.text
    assert text.index("alert b") < text.index("alert c") < text.index("alert a")   # severity
    with app.app_context():
        lists = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "alert.list")).all()
        assert [e.detail["status"] for e in lists] == [["open", "acknowledged"]]


def test_the_prescribe_form_sets_the_tb_phase_and_the_page_shows_it(app, as_user, world):
    _, pid = on_ost(as_user, transfer=False)
    client = app.test_client()
    login(client, "clinician.a")
    page = get(client, f"/patients/{pid}")
    assert page.label_for("f-phase") == "TB treatment phase (TB only)"
    done = submit(client, page, {"programme": "tb", "drug": "Rifampicin/isoniazid", "dose": "600",
                                 "unit": "mg", "route": "oral", "times": "08:00",
                                 "administration": "witnessed", "phase": "continuation"},
                  action=f"/mar/patients/{pid}/orders", follow_redirects=True)
    assert any(f.startswith("Prescribed Rifampicin") for f in done.flashes()), done.flashes()
    assert "continuation phase" in done.by_id("medication").text
    bad = submit(client, done, {"programme": "art", "drug": "TLD", "dose": "1", "unit": "tab",
                                "route": "oral", "times": "09:00", "administration": "witnessed",
                                "phase": "intensive"}, action=f"/mar/patients/{pid}/orders")
    assert bad.status == 422                        # the MAR page's error page, field-less
    orders = as_user("clinician.a").get(f"/api/v1/patients/{pid}/orders").get_json()["items"]
    assert sorted((o["programme"], o["phase"]) for o in orders) == [
        ("ost", None), ("tb", "continuation")]

from .test_patients_api import register


def test_auditor_reads_the_access_log_filtered_by_patient_and_user(as_user, world):
    pid = register(as_user("custody.a")).get_json()["id"]
    as_user("nurse.a").get(f"/api/v1/patients/{pid}")
    auditor = as_user("auditor.a")
    body = auditor.get(f"/api/v1/audit-log?patient={pid}").get_json()
    actions = {(e["user"], e["action"]) for e in body["items"]}
    assert ("custody.a", "patient.create") in actions and ("nurse.a", "patient.read") in actions
    entry = body["items"][0]
    assert set(entry) == {"at", "user", "action", "entity", "entity_id", "patient", "remote_addr"}
    assert entry["at"].endswith("Z")
    only_nurse = auditor.get("/api/v1/audit-log?user=nurse.a").get_json()["items"]
    assert only_nurse and {e["user"] for e in only_nurse} == {"nurse.a"}


def test_audit_log_is_for_auditors_only_and_scoped(as_user, world):
    pid = register(as_user("custody.a")).get_json()["id"]
    for username in ("nurse.a", "clinician.a", "custody.a", "admin.a", "release_officer.a"):
        assert as_user(username).get("/api/v1/audit-log").status_code == 403, username
    assert as_user("auditor.b").get(f"/api/v1/audit-log?patient={pid}").get_json()["items"] == []
    assert as_user("auditor.national").get(f"/api/v1/audit-log?patient={pid}").get_json()["total"] >= 1


def test_period_filter(as_user, world):
    register(as_user("custody.a"))
    auditor = as_user("auditor.national")
    assert auditor.get("/api/v1/audit-log?from=2026-03-11T00:00:00Z").get_json()["items"] == []
    assert auditor.get("/api/v1/audit-log?from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z"
                       ).get_json()["total"] > 0

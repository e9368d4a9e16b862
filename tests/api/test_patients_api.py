from prisoncare.extensions import db
from prisoncare.models import AuditEntry

OLENA = {"prison_number": "W-100", "given_name": "Olena", "family_name": "Sample",
         "date_of_birth": "1991-04-02", "sex": "female", "preferred_language": "uk"}


def register(api, body=OLENA, **extra):
    return api.post("/api/v1/patients", json={**body, **extra})


def test_register_patient_returns_201_with_custody_never_admitted(as_user, world):
    api = as_user("custody.a")
    resp = register(api)
    assert resp.status_code == 201
    body = resp.get_json()
    assert body["prison_number"] == "W-100" and body["date_of_birth"] == "1991-04-02"
    assert body["custody"]["status"] == "never_admitted"
    assert body["custody"]["facility"] == "FAC-A"  # the user's only facility
    assert api.get(f"/api/v1/patients/{body['id']}").get_json()["given_name"] == "Olena"


def test_duplicate_prison_number_is_409(as_user, world):
    api = as_user("custody.a")
    register(api)
    resp = register(api, given_name="Someone")
    assert resp.status_code == 409
    assert resp.get_json()["error"]["code"] == "duplicate_prison_number"


def test_field_errors_are_422_with_every_field_named(as_user, world):
    api = as_user("nurse.a")
    resp = api.post("/api/v1/patients", json={"prison_number": "", "given_name": "A",
                                              "date_of_birth": "1990-13-01", "sex": "woman"})
    assert resp.status_code == 422
    fields = resp.get_json()["error"]["fields"]
    assert set(fields) == {"prison_number", "family_name", "date_of_birth", "sex"}
    resp = register(api, date_of_birth="2027-01-01")
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"date_of_birth": ["Cannot be in the future."]}


def test_roles_that_cannot_register(as_user, world):
    for username in ("release_officer.a", "auditor.a", "admin.a"):
        resp = register(as_user(username))
        assert resp.status_code == 403, username
        assert resp.get_json()["error"]["code"] == "forbidden"


def test_search_is_scoped_to_the_users_facilities(as_user, world):
    register(as_user("custody.a"))
    register(as_user("custody.b"), {**OLENA, "prison_number": "M-200", "given_name": "Petro",
                                     "sex": "male"})
    a = as_user("nurse.a").get("/api/v1/patients").get_json()
    assert [p["prison_number"] for p in a["items"]] == ["W-100"] and a["total"] == 1
    national = as_user("auditor.national").get("/api/v1/patients?q=sample").get_json()
    assert sorted(p["prison_number"] for p in national["items"]) == ["M-200", "W-100"]
    assert as_user("nurse.b").get("/api/v1/patients?facility=FAC-A").status_code == 404


def test_other_facility_patient_is_404_not_403(as_user, world):
    pid = register(as_user("custody.a")).get_json()["id"]
    resp = as_user("clinician.b").get(f"/api/v1/patients/{pid}")
    assert resp.status_code == 404
    assert resp.get_json()["error"]["code"] == "not_found"
    assert as_user("clinician.b").get("/api/v1/patients/999999").status_code == 404


def test_search_by_name_or_prison_number_and_pagination(as_user, world):
    api = as_user("custody.a")
    for i in range(5):
        register(api, {**OLENA, "prison_number": f"W-{i}", "family_name": f"Family{i}"})
    assert api.get("/api/v1/patients?q=W-3").get_json()["total"] == 1
    assert api.get("/api/v1/patients?q=family").get_json()["total"] == 5
    page = api.get("/api/v1/patients?q=family&limit=2&offset=2").get_json()
    assert page["total"] == 5
    assert [p["family_name"] for p in page["items"]] == ["Family2", "Family3"]
    assert api.get("/api/v1/patients?limit=1001").status_code == 422
    assert api.get("/api/v1/patients?limit=0").status_code == 422


def test_reads_are_audited_with_who_what_and_from_where(app, as_user, world):
    pid = register(as_user("custody.a")).get_json()["id"]
    as_user("nurse.a").get(f"/api/v1/patients/{pid}")
    with app.app_context():
        entry = db.session.scalars(db.select(AuditEntry).where(
            AuditEntry.action == "patient.read", AuditEntry.username == "nurse.a")).one()
        assert entry.patient_id == pid and entry.remote_addr == "127.0.0.1"
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "patient.create", AuditEntry.patient_id == pid)) == 1

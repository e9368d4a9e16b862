BODY = {"code": "NEW-1", "name": "New Women's Prison", "kind": "prison", "population": "women",
        "timezone": "Europe/Kyiv", "wards": [{"code": "W1", "name": "Ward 1"}]}


def test_admin_creates_a_facility_with_wards(as_user, world):
    admin = as_user("admin.a")
    resp = admin.post("/api/v1/facilities", json=BODY)
    assert resp.status_code == 201
    assert resp.get_json()["wards"] == [{"code": "W1", "name": "Ward 1"}]
    assert admin.post("/api/v1/facilities", json=BODY).status_code == 409


def test_facility_fields_are_validated(as_user, world):
    resp = as_user("admin.a").post("/api/v1/facilities", json={
        **BODY, "timezone": "Mars/Olympus", "kind": "jail",
        "wards": [{"code": "W1", "name": "A"}, {"code": "W1", "name": "B"}]})
    assert resp.status_code == 422
    assert set(resp.get_json()["error"]["fields"]) == {"kind"}
    resp = as_user("admin.a").post("/api/v1/facilities", json={
        **BODY, "timezone": "Mars/Olympus", "wards": [{"code": "W1", "name": "A"}, {"code": "W1", "name": "B"}]})
    assert set(resp.get_json()["error"]["fields"]) == {"timezone", "wards"}


def test_only_admins_create_and_users_see_their_facilities(as_user, world):
    assert as_user("custody.a").post("/api/v1/facilities", json=BODY).status_code == 403
    assert [f["code"] for f in as_user("nurse.b").get("/api/v1/facilities").get_json()["items"]] == ["FAC-B"]
    national = as_user("auditor.national").get("/api/v1/facilities").get_json()["items"]
    assert [f["code"] for f in national] == ["FAC-A", "FAC-B"]

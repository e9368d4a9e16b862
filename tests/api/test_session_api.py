from datetime import timedelta

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import ApiToken, AuditEntry, StaffUser
from prisoncare.services import auth, users
from tests.factories import PASSWORD, SYSTEM


def login(client, username, password=PASSWORD):
    return client.post("/api/v1/session", json={"username": username, "password": password})


def test_login_returns_user_roles_facilities_and_csrf_token(client, world):
    resp = login(client, "nurse.a")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["user"]["username"] == "nurse.a"
    assert body["user"]["roles"] == ["nurse"]
    assert body["user"]["facilities"] == ["FAC-A"]
    assert len(body["csrf_token"]) > 20
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/api/v1/session").get_json()["user"]["username"] == "nurse.a"


def test_wrong_password_is_401_in_the_error_envelope(client, world):
    resp = login(client, "nurse.a", "wrong-password")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "invalid_credentials"
    resp = login(client, "nobody", "wrong-password")
    assert resp.get_json()["error"]["code"] == "invalid_credentials"


def test_repeated_failures_lock_the_account_even_for_the_right_password(app, client, world):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert login(client, "nurse.a", "wrong-password").status_code == 401
    resp = login(client, "nurse.a")
    assert resp.status_code == 429
    assert resp.get_json()["error"]["code"] == "locked_out"
    clock.set_now(clock.now() + timedelta(minutes=app.config["LOCKOUT_MINUTES"] + 1))
    assert login(client, "nurse.a").status_code == 200
    with app.app_context():
        actions = [a.action for a in AuditEntry.query.filter_by(username="nurse.a")]
    assert actions.count("login.failed") == app.config["LOGIN_MAX_FAILURES"] - 1
    assert "login.locked_out" in actions and "login.locked" in actions and "login" in actions


def test_not_logged_in_is_401(client, world):
    resp = client.get("/api/v1/session")
    assert resp.status_code == 401
    assert resp.get_json()["error"]["code"] == "not_authenticated"
    assert client.get("/api/v1/patients").status_code == 401


def test_logout_ends_the_session_on_the_server(client, world):
    token = login(client, "nurse.a").get_json()["csrf_token"]
    stolen = client.get_cookie("prisoncare_session").value
    assert client.delete("/api/v1/session", headers={"X-CSRF-Token": token}).status_code == 204
    assert client.get("/api/v1/session").status_code == 401
    client.set_cookie("prisoncare_session", stolen)  # a copy of the old cookie is dead too
    assert client.get("/api/v1/session").status_code == 401


def test_session_expires_after_inactivity(app, client, world):
    login(client, "nurse.a")
    idle = app.config["IDLE_TIMEOUT_MINUTES"]
    clock.set_now(clock.now() + timedelta(minutes=idle - 1))
    assert client.get("/api/v1/session").status_code == 200  # activity resets the timer
    clock.set_now(clock.now() + timedelta(minutes=idle - 1))
    assert client.get("/api/v1/session").status_code == 200
    clock.set_now(clock.now() + timedelta(minutes=idle + 1))
    assert client.get("/api/v1/session").status_code == 401


def test_cookie_writes_need_the_csrf_header(client, world):
    token = login(client, "custody.a").get_json()["csrf_token"]
    body = {"prison_number": "C-1", "given_name": "A", "family_name": "B",
            "date_of_birth": "1990-01-01", "sex": "female"}
    resp = client.post("/api/v1/patients", json=body)
    assert resp.status_code == 403
    assert resp.get_json()["error"]["code"] == "csrf_failed"
    resp = client.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": "forged"})
    assert resp.status_code == 403
    resp = client.post("/api/v1/patients", json=body, headers={"X-CSRF-Token": token})
    assert resp.status_code == 201


def test_bearer_token_needs_no_csrf_and_can_be_revoked(app, world):
    with app.app_context():
        user = StaffUser.query.filter_by(username="custody.a").one()
        row, raw = auth.issue_token(SYSTEM, user, now=clock.now())
        db.session.commit()
        token_id = row.id
    client = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    body = {"prison_number": "C-2", "given_name": "A", "family_name": "B",
            "date_of_birth": "1990-01-01", "sex": "male"}
    assert client.post("/api/v1/patients", json=body, headers=headers).status_code == 201
    assert client.get("/api/v1/patients", headers={"Authorization": "Bearer pc_wrong"}).status_code == 401
    with app.app_context():
        auth.revoke_token(SYSTEM, db.session.get(ApiToken, token_id), now=clock.now())
        db.session.commit()
    assert client.get("/api/v1/patients", headers=headers).status_code == 401


def test_disabled_user_cannot_log_in_and_loses_open_sessions(app, client, world):
    login(client, "nurse.a")
    with app.app_context():
        users.disable_user(SYSTEM, StaffUser.query.filter_by(username="nurse.a").one(), now=clock.now())
        db.session.commit()
    assert client.get("/api/v1/session").status_code == 401
    assert login(client, "nurse.a").status_code == 401


def test_malformed_json_is_400_and_missing_fields_422(client, world):
    resp = client.post("/api/v1/session", data="{not json", content_type="application/json")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "malformed_json"
    resp = client.post("/api/v1/session", json={"username": "nurse.a"})
    assert resp.status_code == 422
    assert resp.get_json()["error"]["fields"] == {"password": ["Missing data for required field."]}

"""The command line: `users create|token|revoke-token|disable` and `demo`.

The commands are invoked through a FlaskGroup, as `flask --app wsgi ...` does: it
loads the app and pushes its app context for every command. (`users ...` push
their own context; `demo` relies on the FlaskGroup's.)
"""
from datetime import timedelta

import pytest
from flask.cli import FlaskGroup
from sqlalchemy import func, select

from prisoncare import clock
from prisoncare.demo import DEMO_PASSWORD, DEMO_USERS
from prisoncare.extensions import db
from prisoncare.models import ApiToken, AuditEntry, CustodyEvent, Facility, Patient, StaffUser
from prisoncare.models.staff import ROLES
from prisoncare.services import auth
from tests.conftest import NOW

NEW_PASSWORD = "a-long-enough-password"


@pytest.fixture
def flask(app, monkeypatch):
    """run("users", "create", ...) -> click Result, as `flask --app wsgi users create ...`."""
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)  # FlaskGroup sets it
    cli = FlaskGroup(create_app=lambda: app, load_dotenv=False, set_debug_flag=False)
    runner = app.test_cli_runner()

    def run(*args, **kw):
        return runner.invoke(cli, list(args), **kw)

    return run


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def get_user(app, username):
    with app.app_context():
        user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is not None:
            user.roles, user.facility_ids  # load before the session closes
            db.session.expunge(user)
        return user


def login_ok(app, username, password):
    with app.app_context():
        result = auth.authenticate(username, password, now=clock.now(), max_failures=5,
                                   lockout_minutes=15)
        db.session.rollback()
        return result.outcome == "ok"


def bearer(app, token):
    return app.test_client().get("/api/v1/session", headers={"Authorization": f"Bearer {token}"})


# --- users create ------------------------------------------------------------------------

def test_create_a_user_with_a_password(app, world, flask):
    result = flask("users", "create", "nurse.new", "--role", "nurse", "--role", "clinician",
                   "--facility", "FAC-A", "--facility", "FAC-B", "--password", NEW_PASSWORD,
                   "--name", "New Nurse")
    assert result.exit_code == 0, result.output
    assert "Created nurse.new" in result.output
    user = get_user(app, "nurse.new")
    assert user.roles == {"nurse", "clinician"}
    assert user.facility_ids == {world.fac_a_id, world.fac_b_id}
    assert user.display_name == "New Nurse" and not user.all_facilities
    assert user.password_hash.startswith("scrypt:") and NEW_PASSWORD not in user.password_hash
    assert login_ok(app, "nurse.new", NEW_PASSWORD)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff_user.create",
                                                           AuditEntry.entity_id == user.id))
        assert entry.username.startswith("cli:")


def test_create_a_national_user(app, world, flask):
    result = flask("users", "create", "auditor.new", "--role", "auditor", "--all-facilities",
                   "--password", NEW_PASSWORD)
    assert result.exit_code == 0, result.output
    user = get_user(app, "auditor.new")
    assert user.all_facilities and user.facility_ids == set()


def test_create_prompts_for_the_password_when_absent(app, world, flask):
    result = flask("users", "create", "nurse.new", "--role", "nurse", "--facility", "FAC-A",
                   input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password" in result.output
    assert NEW_PASSWORD not in result.output  # hidden input
    assert login_ok(app, "nurse.new", NEW_PASSWORD)


def test_a_mistyped_confirmation_is_asked_again(app, world, flask):
    result = flask("users", "create", "nurse.new", "--role", "nurse", "--facility", "FAC-A",
                   input=f"{NEW_PASSWORD}\ntypo-typo-typo\n{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert login_ok(app, "nurse.new", NEW_PASSWORD)


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "warden", "--facility", "FAC-A"], "'warden' is not one of"),
    (["--role", "nurse", "--facility", "NOPE"], "Unknown facility: NOPE"),
    (["--role", "nurse"], "Give one or more facilities, or all facilities"),
    (["--facility", "FAC-A"], "Missing option '--role'"),
], ids=["unknown-role", "unknown-facility", "no-facility", "no-role"])
def test_create_refuses_bad_input_with_a_clear_message(app, world, flask, args, message):
    users_before = count(app, StaffUser)
    result = flask("users", "create", "nurse.new", *args, "--password", NEW_PASSWORD)
    assert result.exit_code != 0
    assert message in result.output
    # A clean exit with a message, not an unhandled exception.
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert count(app, StaffUser) == users_before
    assert get_user(app, "nurse.new") is None


def test_create_refuses_a_short_password(app, world, flask):
    result = flask("users", "create", "nurse.new", "--role", "nurse", "--facility", "FAC-A",
                   "--password", "short")
    assert result.exit_code == 1
    assert "password: Use at least 10 characters." in result.output
    assert get_user(app, "nurse.new") is None


def test_create_refuses_a_duplicate_username(app, world, flask):
    before = get_user(app, "nurse.a")
    users_before = count(app, StaffUser)
    result = flask("users", "create", "nurse.a", "--role", "admin", "--all-facilities",
                   "--password", NEW_PASSWORD)
    assert result.exit_code == 1
    assert "The username nurse.a is taken." in result.output
    assert count(app, StaffUser) == users_before
    after = get_user(app, "nurse.a")
    assert after.roles == {"nurse"} and after.password_hash == before.password_hash


# --- tokens ------------------------------------------------------------------------------

def test_token_works_as_a_bearer_token_until_revoked(app, world, flask):
    result = flask("users", "token", "custody.a")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("pc_") and "\n" not in token  # stdout holds the token alone
    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        token_id, prefix = row.id, row.prefix
        assert row.token_hash == auth.digest(token)
    assert f"Token id {token_id}" in result.stderr and token not in result.stderr

    resp = bearer(app, token)
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["user"]["username"] == "custody.a"

    listed = flask("users", "tokens", "custody.a")
    assert listed.exit_code == 0
    assert prefix in listed.output and token not in listed.output and "active" in listed.output

    result = flask("users", "revoke-token", str(token_id))
    assert result.exit_code == 0, result.output
    assert f"Revoked token {token_id} of custody.a" in result.output
    assert bearer(app, token).status_code == 401
    assert "revoked" in flask("users", "tokens", "custody.a").output


def test_a_second_token_is_different_and_revoking_one_keeps_the_other(app, world, flask):
    first = flask("users", "token", "custody.a").stdout.strip()
    second = flask("users", "token", "custody.a").stdout.strip()
    assert first != second
    with app.app_context():
        first_id = db.session.scalar(select(ApiToken.id).where(
            ApiToken.token_hash == auth.digest(first)))
    assert flask("users", "revoke-token", str(first_id)).exit_code == 0
    assert bearer(app, first).status_code == 401
    assert bearer(app, second).status_code == 200


def test_token_for_an_unknown_user_is_a_clear_error(app, world, flask):
    result = flask("users", "token", "nobody")
    assert result.exit_code == 1
    assert "No user nobody." in result.output
    assert count(app, ApiToken) == 0


def test_revoking_an_unknown_token_is_a_clear_error(app, world, flask):
    result = flask("users", "revoke-token", "999999")
    assert result.exit_code == 1
    assert "No token 999999." in result.output


def test_listing_tokens_of_an_unknown_user_is_a_clear_error(app, world, flask):
    result = flask("users", "tokens", "nobody")
    assert result.exit_code == 1
    assert "No user nobody." in result.output


# --- disable -------------------------------------------------------------------------------

def test_disable_stops_logins_and_tokens(app, world, flask):
    token = flask("users", "token", "custody.a").stdout.strip()
    assert bearer(app, token).status_code == 200
    result = flask("users", "disable", "custody.a")
    assert result.exit_code == 0, result.output
    assert "Disabled custody.a." in result.output
    assert get_user(app, "custody.a").disabled_at == NOW
    assert bearer(app, token).status_code == 401
    assert not login_ok(app, "custody.a", "correct-horse-battery")
    # No new token for a disabled user; disabling twice is harmless.
    result = flask("users", "token", "custody.a")
    assert result.exit_code == 1 and "custody.a is disabled." in result.output
    assert flask("users", "disable", "custody.a").exit_code == 0
    # Others are untouched.
    assert get_user(app, "custody.b").disabled_at is None


def test_disable_an_unknown_user_is_a_clear_error(app, world, flask):
    result = flask("users", "disable", "nobody")
    assert result.exit_code == 1
    assert "No user nobody." in result.output


# --- demo ----------------------------------------------------------------------------------

DEMO_MODELS = (Facility, StaffUser, Patient, CustodyEvent)


def counts(app):
    return {m.__name__: count(app, m) for m in DEMO_MODELS}


def test_demo_loads_fictional_data_once_and_prints_the_logins(app, flask):
    assert set(counts(app).values()) == {0}
    first = flask("demo")
    assert first.exit_code == 0, first.output
    loaded = counts(app)
    assert loaded["Facility"] >= 2 and loaded["Patient"] >= 5 and loaded["CustodyEvent"] > loaded["Patient"]
    assert loaded["StaffUser"] == len(DEMO_USERS)

    clock.set_now(NOW + timedelta(days=1))  # a later run, too
    second = flask("demo")
    assert second.exit_code == 0, second.output
    assert counts(app) == loaded
    assert "0 facilities added, 0 users added, 0 patients added" in second.output

    for result in (first, second):
        assert DEMO_PASSWORD in result.output
        for username, _, _ in DEMO_USERS:
            assert username in result.output

    with app.app_context():
        numbers = db.session.scalars(select(Patient.prison_number)).all()
        assert numbers and all(n.startswith("DEMO-") for n in numbers)
        names = db.session.scalars(select(Facility.name)).all()
        assert all("fictional" in name for name in names)
        assert all(code.startswith("DEMO-") for code in db.session.scalars(select(Facility.code)))
        statuses = set(db.session.scalars(select(Patient.custody_status)))
        assert {"in_custody", "out_at_court", "out_at_hospital", "in_transfer",
                "released"} <= statuses
        roles = {r for u in db.session.scalars(select(StaffUser)) for r in u.roles}
        assert roles == set(ROLES)
    for username, _, _ in DEMO_USERS:
        assert login_ok(app, username, DEMO_PASSWORD), username


def test_demo_next_to_existing_data_adds_only_its_own(app, world, flask):
    before = counts(app)
    assert flask("demo").exit_code == 0
    after = counts(app)
    assert after["Facility"] == before["Facility"] + 3
    assert get_user(app, "nurse.a").roles == {"nurse"}

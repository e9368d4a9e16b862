"""Passwords, lock-out, server-side sessions with an idle timeout, bearer tokens."""
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import ApiToken, AuditEntry, StaffSession
from prisoncare.services import auth, users
from tests.conftest import NOW
from tests.factories import PASSWORD, SYSTEM, make_user

MAX_FAILURES = 3
LOCKOUT = 15  # minutes
IDLE = 15  # minutes
MIN = timedelta(minutes=1)


@pytest.fixture
def w(ctx, world):
    return world


def login(username, password=PASSWORD):
    """Authenticate and commit whatever the outcome, as the login view does."""
    result = auth.authenticate(username, password, now=clock.now(), max_failures=MAX_FAILURES,
                               lockout_minutes=LOCKOUT)
    db.session.commit()
    return result


def actions(username):
    return [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.username == username).order_by(AuditEntry.id))]


def session_user(token):
    user = auth.session_user(token, now=clock.now(), idle_minutes=IDLE)
    db.session.commit()
    return user


def advance(delta):
    clock.set_now(clock.now() + delta)


# --- authenticate ------------------------------------------------------------------

def test_the_right_password_logs_in_and_starts_a_session(w):
    result = login("nurse.a")
    assert result.outcome == "ok"
    assert result.user.username == "nurse.a"
    assert result.session_token and len(result.session_token) >= 32
    row = db.session.scalar(select(StaffSession).where(StaffSession.user_id == result.user.id))
    # Only a digest of the session token is stored.
    assert row.token_hash == hashlib.sha256(result.session_token.encode()).hexdigest()
    assert row.token_hash != result.session_token
    assert row.created_at == NOW and row.last_seen_at == NOW and row.ended_at is None
    assert actions("nurse.a") == ["login"]


def test_a_wrong_password_is_invalid_and_counted(w):
    result = login("nurse.a", "wrong-password")
    assert result.outcome == "invalid" and result.session_token is None
    assert result.user.failed_logins == 1
    assert db.session.scalar(select(StaffSession)) is None
    assert actions("nurse.a") == ["login.failed"]


def test_an_unknown_username_is_invalid_and_audited(w):
    result = login("nobody", "whatever-password")
    assert result.outcome == "invalid" and result.user is None and result.session_token is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login.failed"))
    assert entry.user_id is None and entry.detail == {"username": "nobody"}


def test_a_disabled_user_cannot_log_in_even_with_the_right_password(w):
    users.disable_user(SYSTEM, users.get_user("nurse.a"), now=clock.now())
    db.session.commit()
    result = login("nurse.a")
    assert result.outcome == "invalid" and result.session_token is None


def test_a_success_resets_the_failure_count(w):
    login("nurse.a", "wrong-password")
    login("nurse.a", "wrong-password")
    result = login("nurse.a")
    assert result.outcome == "ok" and result.user.failed_logins == 0
    # ...so it takes MAX_FAILURES new failures to lock the account.
    for _ in range(MAX_FAILURES - 1):
        login("nurse.a", "wrong-password")
    assert login("nurse.a").outcome == "ok"


def test_repeated_failures_lock_the_account_until_the_lockout_ends(w):
    for attempt in range(1, MAX_FAILURES):
        result = login("nurse.a", "wrong-password")
        assert result.outcome == "invalid"
        assert result.user.failed_logins == attempt and result.user.locked_until is None
    result = login("nurse.a", "wrong-password")  # the MAX_FAILURES-th failure
    assert result.outcome == "invalid"
    assert result.user.locked_until == NOW + timedelta(minutes=LOCKOUT)
    assert result.user.failed_logins == 0

    # Locked: even the right password is refused, and nothing more is counted.
    assert login("nurse.a").outcome == "locked"
    advance(timedelta(minutes=LOCKOUT) - MIN)
    assert login("nurse.a").outcome == "locked"
    assert login("nurse.a", "wrong-password").outcome == "locked"
    assert users.get_user("nurse.a").failed_logins == 0
    # Another user is not affected.
    assert login("nurse.b").outcome == "ok"

    advance(2 * MIN)  # past the lockout
    result = login("nurse.a")
    assert result.outcome == "ok"
    assert result.user.locked_until is None and result.user.failed_logins == 0
    assert actions("nurse.a") == (["login.failed"] * (MAX_FAILURES - 1)
                                  + ["login.locked_out"] + ["login.locked"] * 3 + ["login"])


# --- passwords ------------------------------------------------------------------------

def test_passwords_are_stored_as_salted_scrypt_hashes(w):
    first = users.get_user("nurse.a")
    second = users.get_user("nurse.b")
    for user in (first, second):
        assert user.password_hash.startswith("scrypt:")
        assert PASSWORD not in user.password_hash
        assert check_password_hash(user.password_hash, PASSWORD)
        assert not check_password_hash(user.password_hash, PASSWORD + "x")
    assert first.password_hash != second.password_hash  # salted: same password, other hash


def test_the_production_hash_method_is_full_strength_scrypt():
    from config import Config, ProductionConfig
    for cfg in (Config, ProductionConfig):
        assert getattr(cfg, "PASSWORD_HASH_METHOD", "scrypt") == "scrypt"


# --- sessions ---------------------------------------------------------------------------

def test_a_session_lives_while_used_and_ends_after_the_idle_timeout(w):
    token = login("nurse.a").session_token
    assert session_user(token).username == "nurse.a"
    advance(timedelta(minutes=IDLE) - MIN)
    assert session_user(token).username == "nurse.a"  # activity moves last-seen
    row = db.session.scalar(select(StaffSession))
    assert row.last_seen_at == clock.now()
    advance(timedelta(minutes=IDLE) - MIN)
    assert session_user(token).username == "nurse.a"
    last_seen = clock.now()
    advance(timedelta(minutes=IDLE) + MIN)
    assert session_user(token) is None
    db.session.expire_all()
    row = db.session.scalar(select(StaffSession))
    assert row.ended_at == last_seen + timedelta(minutes=IDLE)
    # An ended session stays ended, even if the clock were to come back.
    clock.set_now(last_seen)
    assert session_user(token) is None


def test_an_unknown_session_token_has_no_user(w):
    assert session_user("not-a-token") is None


def test_end_session_logs_out_once(w):
    token = login("nurse.a").session_token
    auth.end_session(token, now=clock.now())
    db.session.commit()
    assert session_user(token) is None
    row = db.session.scalar(select(StaffSession))
    assert row.ended_at == NOW
    auth.end_session(token, now=clock.now() + MIN)  # again: no change, no second entry
    auth.end_session("not-a-token", now=clock.now())
    db.session.commit()
    assert db.session.scalar(select(StaffSession)).ended_at == NOW
    assert actions("nurse.a") == ["login", "logout"]


def test_disabling_a_user_ends_their_sessions(w):
    token = login("nurse.a").session_token
    other = login("nurse.b").session_token
    users.disable_user(SYSTEM, users.get_user("nurse.a"), now=clock.now())
    db.session.commit()
    assert session_user(token) is None
    assert db.session.scalar(select(StaffSession).where(
        StaffSession.token_hash == auth.digest(token))).ended_at == NOW
    assert session_user(other).username == "nurse.b"


# --- bearer tokens ---------------------------------------------------------------------

def test_a_token_is_stored_only_as_its_digest_and_identifies_its_user(w):
    user = users.get_user("custody.a")
    row, raw = auth.issue_token(SYSTEM, user, now=clock.now())
    db.session.commit()
    assert raw.startswith("pc_") and len(raw) > 40
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert row.prefix == raw[:10] and raw not in (row.token_hash, row.prefix)
    assert auth.token_user(raw, now=clock.now()).username == "custody.a"
    db.session.commit()
    assert db.session.get(ApiToken, row.id).last_used_at == NOW
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api_token.create"))
    assert raw not in str(entry.detail)


def test_an_unknown_token_has_no_user(w):
    assert auth.token_user("pc_not-a-token", now=clock.now()) is None


def test_a_revoked_token_stops_working(w):
    row, raw = auth.issue_token(SYSTEM, users.get_user("custody.a"), now=clock.now())
    _, other = auth.issue_token(SYSTEM, users.get_user("custody.a"), now=clock.now())
    db.session.commit()
    auth.revoke_token(SYSTEM, row, now=clock.now())
    db.session.commit()
    assert auth.token_user(raw, now=clock.now()) is None
    assert auth.token_user(other, now=clock.now()).username == "custody.a"
    assert db.session.get(ApiToken, row.id).revoked_at == NOW


def test_a_disabled_users_token_stops_working(w):
    _, raw = auth.issue_token(SYSTEM, users.get_user("custody.a"), now=clock.now())
    db.session.commit()
    users.disable_user(SYSTEM, users.get_user("custody.a"), now=clock.now())
    db.session.commit()
    assert auth.token_user(raw, now=clock.now()) is None


def test_a_token_does_not_idle_out(w):
    _, raw = auth.issue_token(SYSTEM, make_user("feed", ["custody"], ["FAC-A"]), now=clock.now())
    db.session.commit()
    advance(timedelta(days=30))
    assert auth.token_user(raw, now=clock.now()).username == "feed"

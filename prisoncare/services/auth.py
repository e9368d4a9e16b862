"""Logging in and out, server-side sessions with an idle timeout, lock-out after
repeated failures, and bearer tokens for integrations."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit, db_prepared
from ..extensions import db
from ..models import ApiToken, StaffSession, StaffUser

def _with_user(relationship):
    """Load the session's or token's user with her roles and facility scope."""
    user = joinedload(relationship)
    return (user.joinedload(StaffUser.role_rows), user.joinedload(StaffUser.facility_rows))


# Hashing a password nobody has keeps a wrong username as slow as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def hash_password(password: str) -> str:
    """scrypt (werkzeug's default): a memory-hard KDF with a per-password salt."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if current_app else "scrypt"
    return generate_password_hash(password, method=method)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class LoginResult:
    outcome: str  # "ok" | "invalid" | "locked"
    user: StaffUser | None = None
    session_token: str | None = None


def authenticate(username: str, password: str, *, now, max_failures: int,
                 lockout_minutes: int) -> LoginResult:
    """Check a password. Failures are counted and audited in the session even
    though the login fails: the caller commits whatever the outcome."""
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None or user.is_disabled:
        check_password_hash(_DUMMY_HASH, password)
        audit.record(user, "login.failed", detail={"username": username[:64]}, at=now)
        return LoginResult("invalid")
    if user.locked_until and user.locked_until > now:
        audit.record(user, "login.locked", entity="staff_user", entity_id=user.id, at=now)
        return LoginResult("locked", user)
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + timedelta(minutes=lockout_minutes)
            user.failed_logins = 0
            audit.record(user, "login.locked_out", entity="staff_user", entity_id=user.id, at=now)
        else:
            audit.record(user, "login.failed", entity="staff_user", entity_id=user.id, at=now)
        return LoginResult("invalid", user)
    user.failed_logins = 0
    user.locked_until = None
    token = secrets.token_urlsafe(32)
    db.session.add(StaffSession(token_hash=digest(token), user=user, created_at=now,
                                last_seen_at=now, remote_addr=audit.remote_addr()))
    audit.record(user, "login", entity="staff_user", entity_id=user.id, at=now)
    db.session.flush()
    return LoginResult("ok", user, token)


@lru_cache(maxsize=1)
def _session_statement():
    """The session with its user, her roles and facilities in the same query (every
    request passes here; a user has a few of each, so the joined rows stay few).
    Built once (building it and its cache key cost about half a millisecond a
    request) and prepared on PostgreSQL (planning its joins cost 0.4 ms; the generic
    plan reads the token-hash index)."""
    return (select(StaffSession).options(*_with_user(StaffSession.user))
            .where(StaffSession.token_hash == bindparam("token_hash"))
            .execution_options(**db_prepared.PREPARED))


def session_user(token: str, *, now, idle_minutes: int) -> StaffUser | None:
    """The user of a live session, touching its last-seen time; None when the
    session ended, idled out or its user was disabled."""
    row = db.session.scalars(_session_statement(),
                             {"token_hash": digest(token)}).unique().first()
    if row is None or row.ended_at is not None or row.user.is_disabled:
        return None
    if now - row.last_seen_at > timedelta(minutes=idle_minutes):
        row.ended_at = row.last_seen_at + timedelta(minutes=idle_minutes)
        return None
    if now - row.last_seen_at > timedelta(seconds=20):
        row.last_seen_at = now
    return row.user


def end_session(token: str, *, now) -> None:
    row = db.session.scalar(select(StaffSession).where(StaffSession.token_hash == digest(token)))
    if row is not None and row.ended_at is None:
        row.ended_at = now
        audit.record(row.user, "logout", entity="staff_user", entity_id=row.user_id, at=now)


def token_user(token: str, *, now) -> StaffUser | None:
    row = db.session.scalars(select(ApiToken).options(*_with_user(ApiToken.user))
                             .where(ApiToken.token_hash == digest(token))).unique().first()
    if row is None or row.revoked_at is not None or row.user.is_disabled:
        return None
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return row.user


def issue_token(actor, user: StaffUser, *, now) -> tuple[ApiToken, str]:
    raw = "pc_" + secrets.token_urlsafe(32)
    row = ApiToken(user=user, token_hash=digest(raw), prefix=raw[:10], created_at=now)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "api_token.create", entity="api_token", entity_id=row.id, at=now,
                 detail={"for": user.username, "prefix": row.prefix})
    return row, raw


def revoke_token(actor, row: ApiToken, *, now) -> None:
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(actor, "api_token.revoke", entity="api_token", entity_id=row.id, at=now,
                     detail={"for": row.user.username, "prefix": row.prefix})

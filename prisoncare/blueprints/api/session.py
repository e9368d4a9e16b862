from flask import current_app, session
from flask_login import current_user
from flask_smorest import Blueprint
from flask_wtf.csrf import generate_csrf

from ... import clock
from ...errors import LockedOut, NotAuthenticated
from ...extensions import db
from ...schemas.session import LoginSchema, SessionSchema
from ...services import auth
from .docs import errors

blp = Blueprint("api_session", __name__, description="Logging in and out")


def session_payload(user):
    codes = sorted(f.code for f in user_facilities(user))
    return {"user": {"username": user.username, "display_name": user.display_name,
                     "roles": sorted(user.roles), "facilities": codes,
                     "all_facilities": user.all_facilities},
            "csrf_token": generate_csrf()}


def user_facilities(user):
    from ...services.facilities import visible_facilities
    return visible_facilities(user)


def start_session(result):
    session.clear()
    session["sid"] = result.session_token


def login_or_raise(username, password):
    """Authenticate, commit the outcome (failures count even when refused), and
    start the cookie session; raise the contract's error otherwise."""
    cfg = current_app.config
    result = auth.authenticate(username, password, now=clock.now(),
                               max_failures=cfg["LOGIN_MAX_FAILURES"],
                               lockout_minutes=cfg["LOCKOUT_MINUTES"])
    db.session.commit()
    if result.outcome == "locked":
        raise LockedOut("Too many failed logins: this account is locked for a while. "
                        "Ask an administrator if you need it now.")
    if result.outcome != "ok":
        raise NotAuthenticated("Wrong username or password.", code="invalid_credentials")
    start_session(result)
    return result.user


@blp.route("/session", methods=["POST"])
@blp.arguments(LoginSchema)
@blp.response(200, SessionSchema)
@errors(blp, 401, 422, 429)
def login(data):
    """Log in with a username and password; sets the session cookie."""
    user = login_or_raise(data["username"], data["password"])
    return session_payload(user)


@blp.route("/session", methods=["GET"])
@blp.response(200, SessionSchema)
@errors(blp, 401)
def whoami():
    """The logged-in user and a CSRF token for writes."""
    if not current_user.is_authenticated:
        raise NotAuthenticated("Not logged in.")
    return session_payload(current_user)


@blp.route("/session", methods=["DELETE"])
@blp.response(204)
def logout():
    """Log out: ends the session on the server too."""
    sid = session.get("sid")
    if sid:
        auth.end_session(sid, now=clock.now())
        db.session.commit()
    session.clear()
    return None

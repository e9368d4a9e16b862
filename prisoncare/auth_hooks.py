"""Who is asking: a cookie session (pages and the browser's JSON calls, CSRF
checked on writes) or a bearer token (integrations, no CSRF)."""
from flask import Flask, current_app, g, request, session
from flask_login import current_user

from . import clock
from .extensions import csrf, db, login_manager
from .services import auth

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
# Logging in starts the session, so there is no token to check yet: the JSON
# login is exempt (a cross-site form cannot send JSON without a CORS preflight).
CSRF_EXEMPT_ENDPOINTS = {"api_session.login"}


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.user_loader(lambda _id: None)  # the request loader below does the work
    login_manager.request_loader(load_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(check_csrf)


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def load_user(_request):
    now = clock.now()
    token = bearer_token()
    if token:
        g.auth_method = "bearer"
        user = auth.token_user(token, now=now)
    elif session.get("sid"):
        g.auth_method = "session"
        user = auth.session_user(session["sid"], now=now,
                                 idle_minutes=current_app.config["IDLE_TIMEOUT_MINUTES"])
        if user is None:
            session.pop("sid", None)
            g.session_expired = True
    else:
        return None
    if db.session.dirty:
        db.session.commit()  # last-seen bookkeeping, before the request's own work
    return user


def check_csrf():
    if request.method not in UNSAFE or request.endpoint in CSRF_EXEMPT_ENDPOINTS:
        return
    if bearer_token():
        return
    if current_user.is_authenticated or request.endpoint == "auth.login":
        csrf.protect()


def _unauthorized():
    from .errors import NotAuthenticated
    raise NotAuthenticated("Log in first.")

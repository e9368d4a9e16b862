"""Login and logout pages."""
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user

from .. import clock
from ..errors import LockedOut, NotAuthenticated
from ..extensions import db
from ..services import auth as auth_service
from .api.session import login_or_raise

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Only a path on this site: no scheme, no host, no protocol-relative //."""
    if not target:
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") \
            or "\\" in target:
        return url_for("home.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = request.values.get("next")
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(next_url))
        return render_template("auth/login.html", next=next_url)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    try:
        login_or_raise(username, password)
    except (NotAuthenticated, LockedOut) as err:
        return render_template("auth/login.html", next=next_url, error=err.message,
                               username=username), err.status
    return redirect(safe_next(next_url))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """GET asks (a link or image on another site must not log a ward terminal
    out); POST, with its CSRF token, logs out."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return render_template("auth/logout.html")
    sid = session.get("sid")
    if sid:
        auth_service.end_session(sid, now=clock.now())
        db.session.commit()
    session.clear()
    return redirect(url_for("auth.login"))

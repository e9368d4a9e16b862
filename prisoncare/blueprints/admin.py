"""Administration pages: staff accounts (IT admins only)."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, require
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models.staff import ROLES
from ..services import users as service
from ..services.facilities import visible_facilities

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/users", methods=["GET", "POST"])
@require(Permission.USER_MANAGE)
def users():
    errors, form = {}, request.form
    if request.method == "POST":
        try:
            user = service.create_user(
                current_user, username=form.get("username", ""), password=form.get("password", ""),
                roles=form.getlist("roles"), facility_codes=form.getlist("facilities"),
                all_facilities=form.get("all_facilities") == "on",
                display_name=form.get("display_name", "").strip(), now=clock.now())
            db.session.commit()
            flash(f"Created {user.username}.", "ok")
            return redirect(url_for("admin.users"))
        except (ValidationFailed, Conflict) as err:
            db.session.rollback()
            errors = err.fields or {"username": [err.message]}
    facilities = visible_facilities(current_user)
    return render_template("admin/users.html", users=service.list_users(), roles=ROLES,
                           facilities=facilities, codes={f.id: f.code for f in facilities},
                           errors=errors,
                           form=form), (422 if errors else 200)


@bp.route("/users/<username>/disable", methods=["POST"])
@require(Permission.USER_MANAGE)
def disable(username):
    user = service.get_user(username)
    if user.id == current_user.id:
        flash("You cannot disable your own account.", "error")
        return redirect(url_for("admin.users"))
    service.disable_user(current_user, user, now=clock.now())
    db.session.commit()
    flash(f"Disabled {username}; their sessions and tokens no longer work.", "ok")
    return redirect(url_for("admin.users"))

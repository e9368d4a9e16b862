"""Alert and interruption pages (issue 5): the user's alert worklist with
acknowledge / resolve forms, the interruption list, and the patient-page panel.
Custody staff see only their non-clinical tasks (presenters.alert_dict)."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..authz import Permission, can, require
from ..errors import ValidationFailed
from ..extensions import db
from ..panels import register_panel
from ..presenters import alert_dict
from ..services import alerts as service
from ..services import interruption_episodes as episodes
from ..services.srh.gestation import gestation_for

bp = Blueprint("alerts", __name__)

# "active": open and acknowledged (the work still to do), the default view.
STATUSES = ("active", "open", "acknowledged", "resolved")
ACTIVE = ("open", "acknowledged")


@bp.route("/alerts")
@require(Permission.ALERT_READ)
def worklist():
    """By default the user's inbox: the alerts for their role(s) (to act or escalated
    to); ?show=all shows every alert of their facilities they may see."""
    status = request.args.get("status", "active")
    if status not in STATUSES:
        status = "active"
    now = clock.now()
    show = "all" if request.args.get("show") == "all" else "mine"
    rows, total = service.list_alerts(current_user, limit=200, now=now,
                                      status=ACTIVE if status == "active" else status,
                                      mine=show == "mine")
    gestations = gestation_for(current_user, {a.patient for a in rows if a.patient}, now)
    db.session.commit()
    return render_template("alerts/worklist.html", alerts=[alert_dict(a, current_user) for a in rows],
                           gestations=gestations,
                           patients={a.id: a.patient for a in rows}, total=total, status=status,
                           statuses=STATUSES, show=show,
                           has_inbox=service.inbox_clause(current_user) is not None)


def _back():
    show = "all" if request.form.get("show") == "all" else None
    return redirect(url_for("alerts.worklist", status=request.form.get("status") or "active",
                            show=show))


@bp.route("/alerts/<int:alert_id>/acknowledge", methods=["POST"])
@require(Permission.ALERT_ACT)
def acknowledge(alert_id):
    alert = service.get_alert(current_user, alert_id)
    service.acknowledge(current_user, alert, (request.form.get("note") or "").strip() or None,
                        now=clock.now())
    db.session.commit()
    flash("Task acknowledged." if service.custody_view(current_user, alert)
          else "Alert acknowledged.", "ok")
    return _back()


@bp.route("/alerts/<int:alert_id>/resolve", methods=["POST"])
@require(Permission.ALERT_ACT)
def resolve(alert_id):
    alert = service.get_alert(current_user, alert_id)
    note = (request.form.get("note") or "").strip()
    if not note:
        raise ValidationFailed({"note": ["Say what was done."]})
    service.resolve(current_user, alert, note, now=clock.now())
    db.session.commit()
    flash("Task done." if service.custody_view(current_user, alert) else "Alert resolved.", "ok")
    return _back()


@bp.route("/interruptions")
@require(Permission.INTERRUPTION_READ)
def interruptions():
    ongoing = {"open": True, "ended": False}.get(request.args.get("show", "open"))
    rows, total = episodes.list_episodes(current_user, ongoing=ongoing, limit=200, now=clock.now())
    db.session.commit()
    return render_template("alerts/interruptions.html", rows=rows, total=total,
                           show=request.args.get("show", "open"))


# -- the patient-page panel ------------------------------------------------------------

def _panel(user, patient, now):
    if not can(user, Permission.ALERT_READ):
        return None
    rows, _ = service.list_alerts(user, patient_id=patient.id, status=ACTIVE, limit=50, now=now)
    open_alerts = [alert_dict(a, user) for a in rows]
    interruptions = []
    if can(user, Permission.INTERRUPTION_READ):
        interruptions, _ = episodes.list_episodes(user, patient_id=patient.id, limit=20, now=now)
    if not open_alerts and not interruptions:
        return None
    return "alerts/_panel.html", {"open_alerts": open_alerts, "interruptions": interruptions}


register_panel("alerts", 5, _panel)


# -- the navigation's count ------------------------------------------------------------

@bp.app_context_processor
def _alert_counts():
    """`alert_counts()` in every template: the user's open alerts (one COUNT query,
    made only when a page shows the Alerts link, once per request)."""
    def alert_counts():
        if "alert_counts" not in g:
            g.alert_counts = service.count_open(current_user)
        return g.alert_counts
    return {"alert_counts": alert_counts}

"""The release board: who leaves a facility in the next weeks, and how ready
each plan is."""
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select

from .. import audit
from ..authz import patient_scope
from ..extensions import db
from ..models import CustodyEpisode, Patient
from ..models.release import ReleasePlan
from ..rules import release as rules
from .release_facts import plan_facts, plan_options

BOARD_DAYS = 30


def release_board(actor, facility, *, now, days: int = BOARD_DAYS) -> list[dict]:
    """Patients of `facility` expected out within `days`, each with the plan of
    her current episode (one row per patient) and its readiness."""
    today = now.astimezone(ZoneInfo(facility.timezone)).date()
    open_episodes = select(CustodyEpisode.id).where(CustodyEpisode.released_at.is_(None))
    query = select(Patient, ReleasePlan).outerjoin(ReleasePlan, and_(
        ReleasePlan.patient_id == Patient.id, ReleasePlan.episode_id.in_(open_episodes))).where(
        Patient.facility_id == facility.id, Patient.custody_status != "released",
        Patient.expected_release_on.is_not(None),
        Patient.expected_release_on <= today + timedelta(days=days))
    scope = patient_scope(actor, Patient)
    if scope is not None:
        query = query.where(scope)
    found = db.session.execute(query.options(*plan_options())
                               .order_by(Patient.expected_release_on, Patient.id)).all()
    # Readiness for every plan at once: the same number of queries for one plan or 300.
    facts = plan_facts([plan for _patient, plan in found if plan is not None], now)
    rows = []
    for patient, plan in found:
        done = total = None
        if plan is not None:
            done, total = rules.readiness(facts[plan.id].statuses)
        rows.append({"patient": patient, "plan": plan, "done": done, "total": total,
                     "days": (patient.expected_release_on - today).days})
    audit.record(actor, "release_board.read", entity="facility", entity_id=facility.id, at=now,
                 detail={"results": len(rows)})
    return rows

"""The SRH alerts the scheduler raises (the srh-alerts job)."""
from datetime import timedelta

from sqlalchemy import exists, select

from ...extensions import db
from ...models import Patient
from ...models.srh import Child, ChildCare
from ...rules import srh as rules
from ..alerts import AlertSpec, raise_alert

INFANT_PROPHYLAXIS_MISSING = AlertSpec(
    rule_code="ART-05", severity="critical", role="clinician", programme="art",
    message="HIV-exposed infant living with her mother has no prophylaxis recorded.",
    action="Start prophylaxis from birth (NVP 6 weeks if breastfed; 4-6 weeks NVP/AZT if not), "
           "per the national guideline.")


def raise_srh_alerts(*, now) -> int:
    """ART-05: an HIV-exposed infant living with her mother with no prophylaxis
    recorded once it was due. One query for every candidate; idempotent."""
    hours = timedelta(hours=rules.load("srh_infant_hiv")["meta"]["prophylaxis_start_hours"])
    started = exists().where(ChildCare.child_id == Child.id, ChildCare.kind == "prophylaxis_start")
    rows = db.session.execute(
        select(Child, Patient).join(Patient, Patient.id == Child.mother_id)
        .where(Child.hiv_exposed.is_(True), Child.left_at.is_(None), ~started,
               Child.arrived_at <= now - hours, Child.born_at <= now - hours)).all()
    raised = 0
    for child, mother in rows:
        if now > rules.prophylaxis_due_at(child.born_at, child.arrived_at):
            if raise_alert(INFANT_PROPHYLAXIS_MISSING, mother, dedup_key=f"ART-05:child:{child.id}",
                           now=now):
                raised += 1
    return raised


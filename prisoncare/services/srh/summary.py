"""The SRH record as one document (violence excluded) and the few facts of the
patient-page panel."""
from sqlalchemy import select

from ...extensions import db
from ...models.srh import Child, Pregnancy, PregnancyTest
from ...rules import srh as rules
from . import children as children_service
from . import escorts as escorts_service
from . import preventive as preventive_service
from .access import enablement, srh_available
from ...rules import srh_due
from .due import deadlines, drug_dependent_ids, load_cohort
from .common import BIRTH_OUTCOMES, _entry_base, iso, local_midnight, local_today
from .pregnancy import current_pregnancy, latest_breastfeeding
from .protection import protection_flags


def _pregnancy_dict(patient, p: Pregnancy, now) -> dict:
    today = local_today(patient, now)
    antenatal = [c.contact_on for c in p.contacts if c.kind == "antenatal"]
    postnatal = [c.contact_on for c in p.contacts if c.kind == "postnatal"]
    gestation = rules.gestation_on(p.due_on, today) if p.status == "ongoing" else None
    # drug-dependent as recorded, or on OST (now or from the community): booking in 24 h
    dependent = bool(p.drug_dependent) or (p.status == "ongoing"
                                           and p.patient_id in drug_dependent_ids([p.patient_id], now))
    out = {
        "id": p.id, "status": p.status, "dating_method": p.dating_method, "lmp_on": iso(p.lmp_on),
        "scan_on": iso(p.scan_on),
        "scan_gestation": str(rules.Gestation(p.scan_gestation_days // 7, p.scan_gestation_days % 7))
        if p.scan_gestation_days is not None else None,
        "due_on": iso(p.due_on), "drug_dependent": dependent,
        "gestation": str(gestation) if gestation else None,
        "gestation_weeks": gestation.weeks if gestation else None,
        "gestation_days": gestation.days if gestation else None,
        "birth_plan": None if p.plan_hospital is None else {
            "hospital": p.plan_hospital, "escort": p.plan_escort,
            "who_is_told": p.plan_who_is_told or [], "feeding_intention": p.plan_feeding_intention,
            "updated_at": iso(p.plan_updated_at)},
        "outcome": p.outcome, "ended_on": iso(p.ended_on), "outcome_note": p.outcome_note,
        "recorded_at": iso(p.recorded_at),
        "contacts": [{"id": c.id, "kind": c.kind, "contact_on": iso(c.contact_on),
                      "by_whom": c.by_whom, "note": c.note} for c in p.contacts],
        "antenatal_schedule": [], "postnatal_schedule": [],
    }
    if p.status == "ongoing":
        out["antenatal_schedule"] = [
            {"number": c.number, "name": c.name, "due_at": iso(c.due_at), "status": c.status,
             "done_on": iso(c.done_on)}
            for c in rules.antenatal_schedule(due_on=p.due_on, recorded_at=p.recorded_at,
                                              drug_dependent=dependent,
                                              contacts_on=antenatal, now=now,
                                              local_midnight=local_midnight(patient),
                                              booking_hours=deadlines().booking(dependent))]
    elif p.outcome in BIRTH_OUTCOMES:
        out["postnatal_schedule"] = [
            {**c, "due_on": iso(c["due_on"]), "done_on": iso(c["done_on"])}
            for c in rules.postnatal_schedule(born_on=p.ended_on, contacts_on=postnatal, today=today)]
    return out


def _next_screening(screening_due) -> dict | None:
    """The soonest screening she is owed (not past the programme's age range)."""
    owed = [s for s in screening_due if s["due_on"] is not None]
    return min(owed, key=lambda s: s["due_on"]) if owed else None


def _next_viral_load(patient, now) -> dict | None:
    """PMTCT: the next viral load she is owed while pregnant or breastfeeding on ART
    (the same plan as the worklist and the SRH-VL alerts), or None."""
    facts = load_cohort([patient], now).facts[patient.id]
    plan = [v for v in srh_due.viral_load_plan(facts, local_today(patient, now))
            if v["status"] != "done"]
    if not plan:
        return None
    nxt = min(plan, key=lambda v: v["due_on"])
    return {"code": nxt["code"], "name": nxt["name"], "due_on": iso(nxt["due_on"]),
            "status": nxt["status"]}


def summary(actor, patient, *, now) -> dict:
    """The SRH record as a clinician sees it (violence excluded: see violence). The
    caller audits the read (read_patient with purpose "srh.read")."""
    enabled = srh_available(patient)
    out = {"patient_id": patient.id, "enabled": enabled, "enabled_reason": None, "pregnancy": None,
           "past_pregnancies": [], "pregnancy_tests": [], "breastfeeding": None, "children": [],
           "preventive": [], "screening_due": [], "next_screening": None, "next_viral_load": None,
           "escorts": [], "protection_flags": []}
    if not enabled:
        return out
    row = enablement(patient)
    out["enabled_reason"] = row.reason if row else None
    pregnancies = db.session.scalars(select(Pregnancy).where(Pregnancy.patient_id == patient.id)
                                     .order_by(Pregnancy.recorded_at.desc(), Pregnancy.id.desc())).all()
    if pregnancies:
        out["pregnancy"] = _pregnancy_dict(patient, pregnancies[0], now)
        out["past_pregnancies"] = [{"id": p.id, "due_on": iso(p.due_on), "outcome": p.outcome,
                                    "ended_on": iso(p.ended_on)} for p in pregnancies[1:]]
    out["pregnancy_tests"] = [
        {**_entry_base(t), "status": t.status, "result": t.result, "occurred_at": iso(t.occurred_at),
         "note": t.note}
        for t in db.session.scalars(select(PregnancyTest).where(PregnancyTest.patient_id == patient.id)
                                    .order_by(PregnancyTest.occurred_at.desc()))]
    feeding = latest_breastfeeding(patient.id)
    out["breastfeeding"] = {"status": feeding.status, "since_on": iso(feeding.since_on)} \
        if feeding else None
    out["children"] = children_service.children_view(patient, now=now)
    out["preventive"] = preventive_service.preventive_view(patient)
    out["screening_due"] = preventive_service.screening_view(patient, now=now)
    out["next_screening"] = _next_screening(out["screening_due"])
    out["next_viral_load"] = _next_viral_load(patient, now)
    out["escorts"] = escorts_service.escorts_view(patient)
    out["protection_flags"] = [{"code": f.code, "text": f.text} for f in protection_flags(patient, now)]
    return out


def panel_summary(patient, now) -> dict | None:
    """The few facts for the patient-page panel (no audit: the page read is audited)."""
    if not srh_available(patient):
        return None
    pregnancy = current_pregnancy(patient.id)
    gestation = rules.gestation_on(pregnancy.due_on, local_today(patient, now)) if pregnancy else None
    next_contact = None
    if pregnancy:
        view = _pregnancy_dict(patient, pregnancy, now)
        next_contact = next((c for c in view["antenatal_schedule"] if c["status"] != "done"), None)
    children = db.session.scalars(select(Child).where(Child.mother_id == patient.id,
                                                      Child.left_at.is_(None))).all()
    feeding = latest_breastfeeding(patient.id)
    return {"pregnancy": pregnancy, "gestation": gestation, "next_contact": next_contact,
            "children": children, "breastfeeding": feeding.status if feeding else None,
            "screening_due": [s for s in preventive_service.screening_view(patient, now=now)
                              if s["status"] in ("due", "overdue")]}


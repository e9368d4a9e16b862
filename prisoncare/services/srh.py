"""Sexual and reproductive health: who has a record, pregnancy tests and episodes,
antenatal and postnatal contacts, birth plan, outcome, breastfeeding, and the
Bangkok Rules 22/24 protection flags. Children, preventive care, violence and
hospital escorts are in srh_care.

Every write validates (all field errors at once), audits, and flushes; the edge
commits. A patient not recorded as female has an SRH record only when a
clinician enabled it: otherwise every SRH sub-resource answers 409
`srh_not_enabled` (the patient exists, the record is not open for her or him).
"""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select

from .. import audit
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models.srh import (BreastfeedingStatus, Child, MaternityContact, Pregnancy, PregnancyTest,
                          SrhEnablement)
from ..rules import srh as rules

NOT_ENABLED = "srh_not_enabled"
BIRTH_OUTCOMES = ("live_birth", "stillbirth")


# --- small helpers ---------------------------------------------------------------------

def tz_of(patient) -> ZoneInfo:
    return ZoneInfo(patient.facility.timezone if patient.facility else "UTC")


def local_today(patient, now) -> date:
    return now.astimezone(tz_of(patient)).date()


def local_midnight(patient):
    tz = tz_of(patient)
    return lambda day: datetime.combine(day, time(0), tz).astimezone(timezone.utc)


def iso(value):
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _err(errors, name, message):
    errors.setdefault(name, []).append(message)


def _raise(errors):
    if errors:
        raise ValidationFailed(errors)


def _entry_base(row) -> dict:
    return {"id": row.id, "recorded_at": iso(row.recorded_at),
            "recorded_by": _username(row.recorded_by_id)}



def _username(user_id):
    if user_id is None:
        return None
    from ..models import StaffUser
    user = db.session.get(StaffUser, user_id)
    return user.username if user else None


# --- who has a record ------------------------------------------------------------------

def enablement(patient):
    return db.session.scalar(select(SrhEnablement).where(SrhEnablement.patient_id == patient.id))


def srh_available(patient) -> bool:
    return patient.sex == "female" or enablement(patient) is not None


def ensure_available(patient) -> None:
    if not srh_available(patient):
        raise Conflict("This patient has no SRH record: a clinician can enable one.",
                       code=NOT_ENABLED)


def enable_srh(actor, patient, reason: str, *, now) -> SrhEnablement:
    if "clinician" not in getattr(actor, "roles", ()):
        raise PermissionDenied("Only a clinician can enable an SRH record.")
    if srh_available(patient):
        raise Conflict("This patient already has an SRH record.", code="srh_already_enabled")
    row = SrhEnablement(patient_id=patient.id, reason=reason.strip(), recorded_at=now,
                        recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.enable", entity="srh_enablement", entity_id=row.id,
                 patient_id=patient.id, at=now)
    return row


# --- pregnancy -------------------------------------------------------------------------

def record_pregnancy_test(actor, patient, data: dict, *, now) -> PregnancyTest:
    ensure_available(patient)
    errors = {}
    occurred_at = data.get("occurred_at") or now
    if occurred_at > now + timedelta(minutes=2):
        _err(errors, "occurred_at", "Cannot be in the future.")
    if data["status"] == "done" and not data.get("result"):
        _err(errors, "result", "A test done needs its result.")
    if data["status"] != "done" and data.get("result"):
        _err(errors, "result", "Only a test done has a result.")
    _raise(errors)
    row = PregnancyTest(patient_id=patient.id, status=data["status"], result=data.get("result"),
                        occurred_at=occurred_at, note=data.get("note"), recorded_at=now,
                        recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.pregnancy_test.create", entity="srh_pregnancy_test", entity_id=row.id,
                 patient_id=patient.id, at=now, detail={"status": row.status})
    return row


def current_pregnancy(patient_id: int) -> Pregnancy | None:
    return db.session.scalar(select(Pregnancy).where(
        Pregnancy.patient_id == patient_id, Pregnancy.status == "ongoing").limit(1))


def latest_pregnancy(patient_id: int) -> Pregnancy | None:
    return db.session.scalar(select(Pregnancy).where(Pregnancy.patient_id == patient_id)
                             .order_by(Pregnancy.recorded_at.desc(), Pregnancy.id.desc()).limit(1))


def _require_pregnancy(patient) -> Pregnancy:
    pregnancy = current_pregnancy(patient.id)
    if pregnancy is None:
        raise Conflict("No current pregnancy is recorded.", code="no_current_pregnancy")
    return pregnancy


def record_pregnancy(actor, patient, data: dict, *, now) -> Pregnancy:
    ensure_available(patient)
    if current_pregnancy(patient.id) is not None:
        raise Conflict("A pregnancy is already recorded as ongoing: record its outcome first.",
                       code="pregnancy_ongoing")
    today, errors = local_today(patient, now), {}
    method = data["dating_method"]
    due_on = None
    if method == "lmp":
        lmp = data.get("lmp_on")
        if lmp is None:
            _err(errors, "lmp_on", "Required when dating by last menstrual period.")
        elif lmp > today:
            _err(errors, "lmp_on", "Cannot be in the future.")
        elif (today - lmp).days > 44 * 7:
            _err(errors, "lmp_on", "More than 44 weeks ago: date by scan or record the outcome.")
        else:
            due_on = rules.due_date_from_lmp(lmp)
    else:
        scan_on, weeks = data.get("scan_on"), data.get("scan_gestation_weeks")
        if scan_on is None:
            _err(errors, "scan_on", "Required when dating by scan.")
        elif scan_on > today:
            _err(errors, "scan_on", "Cannot be in the future.")
        if weeks is None:
            _err(errors, "scan_gestation_weeks", "Required when dating by scan.")
        if not errors:
            due_on = rules.due_date_from_scan(scan_on, weeks, data.get("scan_gestation_days", 0))
            if (today - due_on).days > 4 * 7:
                _err(errors, "scan_on", "This dating puts her past 44 weeks today.")
    _raise(errors)
    row = Pregnancy(
        patient_id=patient.id, status="ongoing", dating_method=method,
        lmp_on=data.get("lmp_on") if method == "lmp" else None,
        scan_on=data.get("scan_on") if method == "scan" else None,
        scan_gestation_days=(data["scan_gestation_weeks"] * 7 + data.get("scan_gestation_days", 0))
        if method == "scan" else None,
        due_on=due_on, drug_dependent=data.get("drug_dependent", False),
        recorded_at=now, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.pregnancy.create", entity="srh_pregnancy", entity_id=row.id,
                 patient_id=patient.id, at=now)
    return row


def record_contact(actor, patient, data: dict, *, now) -> MaternityContact:
    ensure_available(patient)
    kind, today, errors = data.get("kind", "antenatal"), local_today(patient, now), {}
    if kind == "antenatal":
        pregnancy = _require_pregnancy(patient)
    else:
        pregnancy = latest_pregnancy(patient.id)
        if pregnancy is None or pregnancy.status != "ended":
            raise Conflict("A postnatal contact needs a pregnancy with its outcome recorded.",
                           code="no_ended_pregnancy")
    if data["contact_on"] > today:
        _err(errors, "contact_on", "Cannot be in the future.")
    start = rules.week_start(pregnancy.due_on, 0)
    if kind == "antenatal" and data["contact_on"] < start:
        _err(errors, "contact_on", "Before this pregnancy began.")
    if kind == "postnatal" and data["contact_on"] < pregnancy.ended_on:
        _err(errors, "contact_on", "Before the birth.")
    _raise(errors)
    row = MaternityContact(pregnancy_id=pregnancy.id, kind=kind, contact_on=data["contact_on"],
                           by_whom=data.get("by_whom"), note=data.get("note"), recorded_at=now,
                           recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, f"srh.{kind}_contact.create", entity="srh_maternity_contact",
                 entity_id=row.id, patient_id=patient.id, at=now)
    return row


def set_birth_plan(actor, patient, data: dict, *, now) -> Pregnancy:
    ensure_available(patient)
    pregnancy = _require_pregnancy(patient)
    before = {"hospital": pregnancy.plan_hospital, "escort": pregnancy.plan_escort,
              "who_is_told": pregnancy.plan_who_is_told,
              "feeding_intention": pregnancy.plan_feeding_intention}
    pregnancy.plan_hospital = data["hospital"]
    pregnancy.plan_escort = data.get("escort")
    pregnancy.plan_who_is_told = list(data.get("who_is_told") or [])
    pregnancy.plan_feeding_intention = data.get("feeding_intention")
    pregnancy.plan_updated_at = now
    audit.record(actor, "srh.birth_plan.update", entity="srh_pregnancy", entity_id=pregnancy.id,
                 patient_id=patient.id, at=now, detail={"before": before})
    return pregnancy


def record_outcome(actor, patient, data: dict, *, now) -> Pregnancy:
    ensure_available(patient)
    pregnancy = _require_pregnancy(patient)
    errors = {}
    if data["ended_on"] > local_today(patient, now):
        _err(errors, "ended_on", "Cannot be in the future.")
    if data["ended_on"] < rules.week_start(pregnancy.due_on, 0):
        _err(errors, "ended_on", "Before this pregnancy began.")
    _raise(errors)
    pregnancy.status, pregnancy.outcome = "ended", data["outcome"]
    pregnancy.ended_on, pregnancy.outcome_note = data["ended_on"], data.get("note")
    audit.record(actor, "srh.pregnancy.outcome", entity="srh_pregnancy", entity_id=pregnancy.id,
                 patient_id=patient.id, at=now, detail={"outcome": pregnancy.outcome})
    return pregnancy


def record_breastfeeding(actor, patient, data: dict, *, now) -> BreastfeedingStatus:
    ensure_available(patient)
    since = data.get("since_on") or local_today(patient, now)
    if since > local_today(patient, now):
        raise ValidationFailed({"since_on": ["Cannot be in the future."]})
    row = BreastfeedingStatus(patient_id=patient.id, status=data["status"], since_on=since,
                              recorded_at=now, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.breastfeeding.create", entity="srh_breastfeeding", entity_id=row.id,
                 patient_id=patient.id, at=now, detail={"status": row.status})
    return row


def latest_breastfeeding(patient_id: int, at=None) -> BreastfeedingStatus | None:
    query = select(BreastfeedingStatus).where(BreastfeedingStatus.patient_id == patient_id)
    if at is not None:
        query = query.where(BreastfeedingStatus.recorded_at <= at)
    return db.session.scalar(query.order_by(BreastfeedingStatus.since_on.desc(),
                                            BreastfeedingStatus.id.desc()).limit(1))


# --- pregnancy status for other domains ------------------------------------------------

def _pregnant_clause(at):
    return (Pregnancy.recorded_at <= at,
            or_(Pregnancy.status == "ongoing", Pregnancy.ended_on > at.date()))


def is_pregnant(patient_id: int, at) -> bool:
    """Whether a pregnancy was recorded for her and had not ended at `at`
    (used by orders: OST in pregnancy is never withdrawn)."""
    return db.session.scalar(select(Pregnancy.id).where(
        Pregnancy.patient_id == patient_id, *_pregnant_clause(at)).limit(1)) is not None


def pregnant_patient_ids(patient_ids, at) -> set[int]:
    """Set-based is_pregnant for the scheduler's sweep (one query)."""
    ids = list(patient_ids)
    if not ids:
        return set()
    return set(db.session.scalars(select(Pregnancy.patient_id).where(
        Pregnancy.patient_id.in_(ids), *_pregnant_clause(at))))


def gestation_of(patient, now) -> rules.Gestation | None:
    pregnancy = current_pregnancy(patient.id)
    return rules.gestation_on(pregnancy.due_on, local_today(patient, now)) if pregnancy else None


# --- protection flags ------------------------------------------------------------------

def protection_state(patient, at) -> rules.ProtectionState:
    today = local_today(patient, at)
    pregnancy = current_pregnancy(patient.id)
    gestation = rules.gestation_on(pregnancy.due_on, today) if pregnancy else None
    delivered_on = db.session.scalar(
        select(Pregnancy.ended_on).where(Pregnancy.patient_id == patient.id,
                                         Pregnancy.outcome.in_(BIRTH_OUTCOMES))
        .order_by(Pregnancy.ended_on.desc()).limit(1))
    feeding = latest_breastfeeding(patient.id)
    infant = db.session.scalar(select(Child.id).where(
        Child.mother_id == patient.id, Child.arrived_at <= at,
        or_(Child.left_at.is_(None), Child.left_at > at)).limit(1))
    return rules.ProtectionState(
        gestation_days=(gestation.total_days if gestation else 0) if pregnancy else None,
        delivered_on=delivered_on,
        breastfeeding=feeding is not None and feeding.status == "breastfeeding",
        infant_with_her=infant is not None)


def protection_flags(patient, at) -> list[rules.Flag]:
    """Bangkok Rules 22/24 flags in force for her at `at`: texts without any
    diagnosis, for custody staff and everyone who reads the patient."""
    if not srh_available(patient):
        return []
    return rules.protection_flags(protection_state(patient, at), local_today(patient, at))


def read_protection_flags(actor, patient, *, now) -> dict:
    flags = protection_flags(patient, now)
    return {"patient_id": patient.id, "flags": [{"code": f.code, "text": f.text} for f in flags]}


# --- the summary -----------------------------------------------------------------------

def _pregnancy_dict(patient, p: Pregnancy, now) -> dict:
    today = local_today(patient, now)
    antenatal = [c.contact_on for c in p.contacts if c.kind == "antenatal"]
    postnatal = [c.contact_on for c in p.contacts if c.kind == "postnatal"]
    gestation = rules.gestation_on(p.due_on, today) if p.status == "ongoing" else None
    out = {
        "id": p.id, "status": p.status, "dating_method": p.dating_method, "lmp_on": iso(p.lmp_on),
        "scan_on": iso(p.scan_on),
        "scan_gestation": str(rules.Gestation(p.scan_gestation_days // 7, p.scan_gestation_days % 7))
        if p.scan_gestation_days is not None else None,
        "due_on": iso(p.due_on), "drug_dependent": p.drug_dependent,
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
                                              drug_dependent=p.drug_dependent,
                                              contacts_on=antenatal, now=now,
                                              local_midnight=local_midnight(patient))]
    elif p.outcome in BIRTH_OUTCOMES:
        out["postnatal_schedule"] = [
            {**c, "due_on": iso(c["due_on"]), "done_on": iso(c["done_on"])}
            for c in rules.postnatal_schedule(born_on=p.ended_on, contacts_on=postnatal, today=today)]
    return out


def summary(actor, patient, *, now) -> dict:
    """The SRH record as a clinician sees it (violence excluded: see srh_care). The
    caller audits the read (read_patient with purpose "srh.read")."""
    from . import srh_care
    enabled = srh_available(patient)
    out = {"patient_id": patient.id, "enabled": enabled, "enabled_reason": None, "pregnancy": None,
           "past_pregnancies": [], "pregnancy_tests": [], "breastfeeding": None, "children": [],
           "preventive": [], "screening_due": [], "escorts": [], "protection_flags": []}
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
    out["children"] = srh_care.children_view(patient, now=now)
    out["preventive"] = srh_care.preventive_view(patient)
    out["screening_due"] = srh_care.screening_view(patient, now=now)
    out["escorts"] = srh_care.escorts_view(patient)
    out["protection_flags"] = [{"code": f.code, "text": f.text} for f in protection_flags(patient, now)]
    return out


def panel_summary(patient, now) -> dict | None:
    """The few facts for the patient-page panel (no audit: the page read is audited)."""
    if not srh_available(patient):
        return None
    from . import srh_care
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
            "screening_due": [s for s in srh_care.screening_view(patient, now=now)
                              if s["status"] in ("due", "overdue")]}


"""SRH, continued: children living with their mothers (Rules 9, 49-51), preventive
care (Rules 5, 18), violence (Rules 6(e), 7, 25: clinical roles only, every read
audited, never in lists), hospital escorts (Rule 24), and the SRH alerts the
sweep raises (ART-05 infant prophylaxis missing, BR-05 restraint)."""
from datetime import timedelta

from sqlalchemy import exists, select

from .. import audit
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..models import Patient
from ..models.srh import Child, ChildCare, HospitalEscort, PreventiveCare, ViolenceRecord
from ..rules import srh as rules
from .alerts import AlertSpec, raise_alert
from .srh import (_entry_base, _err, _raise, ensure_available, iso, latest_pregnancy,
                  local_today, protection_flags)

INFANT_PROPHYLAXIS_MISSING = AlertSpec(
    rule_code="ART-05", severity="critical", role="clinician", programme="art",
    message="HIV-exposed infant living with her mother has no prophylaxis recorded.",
    action="Start prophylaxis from birth (NVP 6 weeks if breastfed; 4-6 weeks NVP/AZT if not), "
           "per the national guideline.")
RESTRAINT_RECORDED = AlertSpec(
    rule_code="BR-05", severity="critical", role="clinician", programme="women",
    message="Restraint recorded on a hospital escort while Rule 24 applies.",
    action="Remove restraint; incident report to the director and health lead.",
    custody_message="Rule 24: restraint recorded on a hospital escort. Remove restraint now and "
                    "report to the director.")


# --- children --------------------------------------------------------------------------

def record_child(actor, patient, data: dict, *, now) -> Child:
    ensure_available(patient)
    errors = {}
    arrived_at = data.get("arrived_at") or data["born_at"]
    if data["born_at"] > now:
        _err(errors, "born_at", "Cannot be in the future.")
    if arrived_at > now:
        _err(errors, "arrived_at", "Cannot be in the future.")
    if arrived_at < data["born_at"]:
        _err(errors, "arrived_at", "Cannot be before the birth.")
    pregnancy = None
    if data.get("from_pregnancy"):
        pregnancy = latest_pregnancy(patient.id)
        if pregnancy is None or pregnancy.outcome != "live_birth":
            _err(errors, "from_pregnancy", "No live birth is recorded for her.")
    _raise(errors)
    child = Child(mother_id=patient.id, pregnancy_id=pregnancy.id if pregnancy else None,
                  name=data["name"], sex=data.get("sex"), born_at=data["born_at"],
                  arrived_at=arrived_at, hiv_exposed=data.get("hiv_exposed", False),
                  feeding=data.get("feeding"), recorded_at=now, recorded_by_id=actor.id)
    db.session.add(child)
    db.session.flush()
    audit.record(actor, "srh.child.create", entity="srh_child", entity_id=child.id,
                 patient_id=patient.id, at=now)
    return child


def record_child_care(actor, patient, data: dict, *, now) -> ChildCare:
    ensure_available(patient)
    child = db.session.get(Child, data["child_id"])
    if child is None or child.mother_id != patient.id:
        raise NotFound("No such child living with this patient.")
    errors, kind, code = {}, data["kind"], data.get("code")
    if data["done_on"] > local_today(patient, now):
        _err(errors, "done_on", "Cannot be in the future.")
    if data["done_on"] < child.born_at.date() - timedelta(days=1):
        _err(errors, "done_on", "Before the child was born.")
    if kind == "immunisation" and code not in rules.immunisation_codes():
        _err(errors, "code", "Give an immunisation code from the schedule: "
             + ", ".join(sorted(rules.immunisation_codes())) + ".")
    if kind == "hiv_test" and code not in rules.infant_test_codes():
        _err(errors, "code", "Give a test code from the schedule: "
             + ", ".join(sorted(rules.infant_test_codes())) + ".")
    if kind in ("prophylaxis_start", "prophylaxis_stop", "hiv_test") and not child.hiv_exposed:
        _err(errors, "kind", "Only for a child recorded as HIV-exposed.")
    if kind == "hiv_test" and not data.get("result"):
        _err(errors, "result", "A test needs its result.")
    _raise(errors)
    row = ChildCare(child_id=child.id, kind=kind, code=code, done_on=data["done_on"],
                    result=data.get("result"), note=data.get("note"), recorded_at=now,
                    recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, f"srh.child_care.{kind}", entity="srh_child_care", entity_id=row.id,
                 patient_id=patient.id, at=now, detail={"child_id": child.id, "code": code})
    return row


def _child_dict(patient, child: Child, now) -> dict:
    today = local_today(patient, now)
    born = child.born_at.date()
    done = {(c.kind, c.code) for c in child.care}
    screens = [c.done_on for c in child.care if c.kind == "health_screen"]
    screen_due_at = rules.child_screen_due_at(child.arrived_at)
    out = {
        "id": child.id, "name": child.name, "sex": child.sex, "born_at": iso(child.born_at),
        "arrived_at": iso(child.arrived_at), "left_at": iso(child.left_at),
        "hiv_exposed": child.hiv_exposed, "feeding": child.feeding,
        "health_screen": {"due_at": iso(screen_due_at), "done_on": iso(min(screens)) if screens else None,
                          "status": "done" if screens else ("overdue" if now > screen_due_at else "due")},
        "immunisations": [{**d, "due_on": iso(d["due_on"])} for d in rules.immunisations_due(
            born, {code for kind, code in done if kind == "immunisation"}, today)],
        "care": [{"id": c.id, "kind": c.kind, "code": c.code, "done_on": iso(c.done_on),
                  "result": c.result, "note": c.note} for c in child.care],
        "hiv": None,
    }
    if child.hiv_exposed:
        plan = rules.infant_hiv_schedule(
            born, feeding="replacement" if child.feeding == "replacement" else "breastfed",
            tests_done={code for kind, code in done if kind == "hiv_test"},
            prophylaxis_started=any(k == "prophylaxis_start" for k, _ in done), today=today)
        due_at = rules.prophylaxis_due_at(child.born_at, child.arrived_at)
        plan["prophylaxis"].update(until_on=iso(plan["prophylaxis"]["until_on"]), due_at=iso(due_at),
                                   status="done" if plan["prophylaxis"]["started"] else
                                   ("overdue" if now > due_at else "due"))
        plan["tests"] = [{**t, "due_on": iso(t["due_on"])} for t in plan["tests"]]
        out["hiv"] = plan
    return out


def children_view(patient, *, now) -> list[dict]:
    children = db.session.scalars(select(Child).where(Child.mother_id == patient.id)
                                  .order_by(Child.born_at)).all()
    return [_child_dict(patient, c, now) for c in children]


# --- preventive care -------------------------------------------------------------------

SCREENING_KINDS = {"cervical_screening": "cervical", "breast_screening": "breast"}


def record_preventive(actor, patient, data: dict, *, now) -> PreventiveCare:
    ensure_available(patient)
    errors = {}
    if data["done_on"] > local_today(patient, now):
        _err(errors, "done_on", "Cannot be in the future.")
    if data["kind"] in SCREENING_KINDS and data.get("result") not in ("normal", "abnormal", "declined"):
        _err(errors, "result", "A screening result is normal, abnormal or declined.")
    if data["kind"] == "sti_test" and data.get("result") not in ("positive", "negative", "declined"):
        _err(errors, "result", "An STI test result is positive, negative or declined.")
    _raise(errors)
    row = PreventiveCare(patient_id=patient.id, kind=data["kind"], done_on=data["done_on"],
                         result=data.get("result"), detail=data.get("detail"), recorded_at=now,
                         recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, f"srh.preventive.{row.kind}", entity="srh_preventive", entity_id=row.id,
                 patient_id=patient.id, at=now)
    return row


def _preventive_rows(patient):
    return db.session.scalars(select(PreventiveCare).where(PreventiveCare.patient_id == patient.id)
                              .order_by(PreventiveCare.done_on.desc(), PreventiveCare.id.desc())).all()


def preventive_view(patient) -> list[dict]:
    return [{**_entry_base(r), "kind": r.kind, "done_on": iso(r.done_on), "result": r.result,
             "detail": r.detail} for r in _preventive_rows(patient)]


def screening_view(patient, *, now) -> list[dict]:
    """Cervical and breast screening due dates from her age and last result
    (a declined offer does not count as a result)."""
    rows = _preventive_rows(patient)
    out = []
    for kind, rule_kind in SCREENING_KINDS.items():
        last = next((r for r in rows if r.kind == kind and r.result in ("normal", "abnormal")), None)
        due = rules.screening_due(rule_kind, born=patient.date_of_birth, today=local_today(patient, now),
                                  last_on=last.done_on if last else None,
                                  last_result=last.result if last else None)
        out.append({"kind": kind, "name": due.name, "due_on": iso(due.due_on), "status": due.status,
                    "reason": due.reason})
    return out


# --- violence --------------------------------------------------------------------------

def record_violence(actor, patient, data: dict, *, now) -> ViolenceRecord:
    ensure_available(patient)
    support = list(dict.fromkeys(data.get("support_accepted") or []))
    if "none" in support and len(support) > 1:
        raise ValidationFailed({"support_accepted": ["'none' cannot be combined with other support."]})
    row = ViolenceRecord(patient_id=patient.id, period=data["period"], disclosure=data["disclosure"],
                         informed_of_recourse=data["informed_of_recourse"], support_accepted=support,
                         referral=data.get("referral"), recorded_at=now, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.violence.create", entity="srh_violence", entity_id=row.id,
                 patient_id=patient.id, at=now)
    return row


def read_violence(actor, patient, *, now) -> list[dict]:
    """Her violence records; the read itself is audited (one entry per record shown)."""
    ensure_available(patient)
    rows = db.session.scalars(select(ViolenceRecord).where(ViolenceRecord.patient_id == patient.id)
                              .order_by(ViolenceRecord.recorded_at.desc())).all()
    audit.record(actor, "srh.violence.read", entity="patient", entity_id=patient.id,
                 patient_id=patient.id, at=now, detail={"records": [r.id for r in rows]})
    return [{**_entry_base(r), "period": r.period, "disclosure": r.disclosure,
             "informed_of_recourse": r.informed_of_recourse, "support_accepted": r.support_accepted,
             "referral": r.referral} for r in rows]


# --- hospital escorts (Rule 24) --------------------------------------------------------

def record_escort(actor, patient, data: dict, *, now) -> HospitalEscort:
    """A custody officer's record of a hospital escort. Restraint used while
    Rule 24 applies raises a critical alert (BR-05). Open to every patient: the
    record says nothing about why she went."""
    errors = {}
    if data["escorted_at"] > now + timedelta(minutes=2):
        _err(errors, "escorted_at", "Cannot be in the future.")
    if data["restraint_used"] and not data.get("restraint_note"):
        _err(errors, "restraint_note", "Say what restraint was used, when, and why.")
    _raise(errors)
    rule24 = any(f.code == "BR24" for f in protection_flags(patient, data["escorted_at"]))
    row = HospitalEscort(patient_id=patient.id, escorted_at=data["escorted_at"],
                         hospital=data.get("hospital"), restraint_used=data["restraint_used"],
                         restraint_note=data.get("restraint_note"), rule24_applied=rule24,
                         recorded_at=now, recorded_by_id=actor.id)
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "srh.escort.create", entity="srh_hospital_escort", entity_id=row.id,
                 patient_id=patient.id, at=now, detail={"restraint_used": row.restraint_used})
    if row.restraint_used and rule24:
        raise_alert(RESTRAINT_RECORDED, patient, dedup_key=f"BR-05:escort:{row.id}", now=now)
    return row


def escorts_view(patient) -> list[dict]:
    rows = db.session.scalars(select(HospitalEscort).where(HospitalEscort.patient_id == patient.id)
                              .order_by(HospitalEscort.escorted_at.desc())).all()
    return [{**_entry_base(r), "escorted_at": iso(r.escorted_at), "hospital": r.hospital,
             "restraint_used": r.restraint_used, "restraint_note": r.restraint_note,
             "rule24_applied": r.rule24_applied} for r in rows]


# --- the sweep -------------------------------------------------------------------------

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


"""Pregnancy: tests offered, declined or done; the pregnancy episode and its
dating; antenatal and postnatal contacts; birth plan; outcome; breastfeeding;
and whether she is pregnant, for other domains (OST is never withdrawn)."""
from datetime import timedelta

from sqlalchemy import or_, select

from ... import audit
from ...errors import Conflict, ValidationFailed
from ...extensions import db
from ...models.srh import BreastfeedingStatus, MaternityContact, Pregnancy, PregnancyTest
from ...rules import srh as rules
from .access import ensure_available
from .common import _err, _raise, local_today


def _resolve_done(patient, now) -> None:
    from .alerts import resolve_done
    resolve_done(patient, now=now)


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


def _due_on(data: dict, today, errors):
    """The due date from the dating in `data` (lmp or scan), or None with errors."""
    if data["dating_method"] == "lmp":
        lmp = data.get("lmp_on")
        if lmp is None:
            _err(errors, "lmp_on", "Required when dating by last menstrual period.")
        elif lmp > today:
            _err(errors, "lmp_on", "Cannot be in the future.")
        elif (today - lmp).days > 44 * 7:
            _err(errors, "lmp_on", "More than 44 weeks ago: date by scan or record the outcome.")
        else:
            return rules.due_date_from_lmp(lmp)
        return None
    scan_on, weeks = data.get("scan_on"), data.get("scan_gestation_weeks")
    if scan_on is None:
        _err(errors, "scan_on", "Required when dating by scan.")
    elif scan_on > today:
        _err(errors, "scan_on", "Cannot be in the future.")
    if weeks is None:
        _err(errors, "scan_gestation_weeks", "Required when dating by scan.")
    if errors:
        return None
    due_on = rules.due_date_from_scan(scan_on, weeks, data.get("scan_gestation_days", 0))
    if (today - due_on).days > 4 * 7:
        _err(errors, "scan_on", "This dating puts her past 44 weeks today.")
        return None
    return due_on


def record_pregnancy(actor, patient, data: dict, *, now) -> Pregnancy:
    ensure_available(patient)
    if current_pregnancy(patient.id) is not None:
        raise Conflict("A pregnancy is already recorded as ongoing: record its outcome first.",
                       code="pregnancy_ongoing")
    today, errors = local_today(patient, now), {}
    method = data["dating_method"]
    due_on = _due_on(data, today, errors)
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


def _dating_of(p: Pregnancy) -> dict:
    return {"dating_method": p.dating_method, "lmp_on": p.lmp_on and p.lmp_on.isoformat(),
            "scan_on": p.scan_on and p.scan_on.isoformat(),
            "scan_gestation_days": p.scan_gestation_days, "due_on": p.due_on.isoformat(),
            "drug_dependent": p.drug_dependent}


def correct_pregnancy(actor, patient, data: dict, *, now) -> Pregnancy:
    """Correct the current pregnancy: re-date it (by scan, or a corrected LMP) and/or
    whether she is drug-dependent, with a reason; audited with before and after.
    The schedule, the worklist and the alerts follow the new dates."""
    ensure_available(patient)
    pregnancy = _require_pregnancy(patient)
    errors = {}
    if not (data.get("reason") or "").strip():
        _err(errors, "reason", "Say why the record is corrected (e.g. dating scan).")
    redate = data.get("dating_method") is not None
    if not redate and "drug_dependent" not in data:
        _err(errors, "_body", "Nothing to correct: give the new dating or drug_dependent.")
    due_on = _due_on(data, local_today(patient, now), errors) if redate else pregnancy.due_on
    if redate and due_on is not None:
        first = min((c.contact_on for c in pregnancy.contacts if c.kind == "antenatal"), default=None)
        if first is not None and first < rules.week_start(due_on, 0):
            _err(errors, "dating_method", f"This dating starts the pregnancy after the antenatal "
                 f"contact of {first.isoformat()}.")
    _raise(errors)
    before = _dating_of(pregnancy)
    if redate:
        method = data["dating_method"]
        pregnancy.dating_method, pregnancy.due_on = method, due_on
        pregnancy.lmp_on = data.get("lmp_on") if method == "lmp" else None
        pregnancy.scan_on = data.get("scan_on") if method == "scan" else None
        pregnancy.scan_gestation_days = (data["scan_gestation_weeks"] * 7
                                         + data.get("scan_gestation_days", 0)) \
            if method == "scan" else None
    if "drug_dependent" in data and data["drug_dependent"] is not None:
        pregnancy.drug_dependent = data["drug_dependent"]
    db.session.flush()
    audit.record(actor, "srh.pregnancy.correct", entity="srh_pregnancy", entity_id=pregnancy.id,
                 patient_id=patient.id, at=now,
                 detail={"before": before, "after": _dating_of(pregnancy),
                         "reason": data["reason"].strip()})
    _resolve_done(patient, now)
    return pregnancy


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
    _resolve_done(patient, now)
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
    db.session.flush()
    _resolve_done(patient, now)
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
    _resolve_done(patient, now)
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


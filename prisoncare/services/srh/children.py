"""Children living with their mothers (Bangkok Rules 9, 49-51): the child's
record, care given (health screen, immunisations, HIV-exposed infant
prophylaxis and tests) and the schedules they are owed."""
from datetime import timedelta

from sqlalchemy import select

from ... import audit
from ...errors import Conflict, NotFound
from ...extensions import db
from ...models.srh import Child, ChildCare
from ...rules import srh as rules
from .access import ensure_available
from .common import _err, _raise, iso, local_today
from .hiv import living_with_hiv
from .pregnancy import latest_pregnancy


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
    hiv_exposed = data.get("hiv_exposed")
    mother_hiv = living_with_hiv(patient.id, now)
    if hiv_exposed is None:           # no silent default: from her ART record
        hiv_exposed = mother_hiv
    elif not hiv_exposed and mother_hiv:
        _err(errors, "hiv_exposed", "Her record shows she lives with HIV (ART or a viral load): "
             "her infant is HIV-exposed and needs prophylaxis and testing.")
    pregnancy = None
    if data.get("from_pregnancy"):
        pregnancy = latest_pregnancy(patient.id)
        if pregnancy is None or pregnancy.outcome != "live_birth":
            _err(errors, "from_pregnancy", "No live birth is recorded for her.")
    _raise(errors)
    child = Child(mother_id=patient.id, pregnancy_id=pregnancy.id if pregnancy else None,
                  name=data["name"], sex=data.get("sex"), born_at=data["born_at"],
                  arrived_at=arrived_at, hiv_exposed=hiv_exposed,
                  feeding=data.get("feeding"), recorded_at=now, recorded_by_id=actor.id)
    db.session.add(child)
    db.session.flush()
    audit.record(actor, "srh.child.create", entity="srh_child", entity_id=child.id,
                 patient_id=patient.id, at=now,
                 detail={"hiv_exposed": hiv_exposed,
                         "hiv_exposed_from": "given" if data.get("hiv_exposed") is not None
                         else "mother's ART record"})
    return child


def _her_child(patient, child_id) -> Child:
    child = db.session.get(Child, child_id)
    if child is None or child.mother_id != patient.id:
        raise NotFound("No such child living with this patient.")
    return child


UPDATABLE = ("feeding", "hiv_exposed", "left_at", "left_to")


def update_child(actor, patient, data: dict, *, now) -> Child:
    """Correct a child's feeding or HIV exposure, or record that the child left her
    (when, and where or to whom). Audited with before and after. A child who has
    left owes nothing more here: the due items, alerts and Rule 22 flag she brought
    stop (open alerts are resolved)."""
    ensure_available(patient)
    child = _her_child(patient, data["child_id"])
    changes = {k: data[k] for k in UPDATABLE if k in data}
    errors = {}
    if not changes:
        _err(errors, "_body", "Nothing to change: give feeding, hiv_exposed, or left_at with left_to.")
    left_at = changes.get("left_at", child.left_at)
    left_to = changes.get("left_to", child.left_to)
    if "left_at" in changes and left_at is not None:
        if left_at > now + timedelta(minutes=2):
            _err(errors, "left_at", "Cannot be in the future: record it when the child has left.")
        if left_at < child.arrived_at:
            _err(errors, "left_at", "Cannot be before the child came to live with her.")
    if left_at is not None and not (left_to or "").strip():
        _err(errors, "left_to", "Say where the child went, or to whom.")
    if left_at is None and "left_to" in changes and changes["left_to"]:
        _err(errors, "left_at", "Give when the child left.")
    if changes.get("hiv_exposed") is False and living_with_hiv(patient.id, now):
        _err(errors, "hiv_exposed", "Her record shows she lives with HIV (ART or a viral load): "
             "her infant is HIV-exposed.")
    _raise(errors)
    before = {k: iso(getattr(child, k)) for k in UPDATABLE}
    for key, value in changes.items():
        setattr(child, key, value)
    db.session.flush()
    audit.record(actor, "srh.child.left" if "left_at" in changes and left_at else "srh.child.update",
                 entity="srh_child", entity_id=child.id, patient_id=patient.id, at=now,
                 detail={"before": before, "after": {k: iso(getattr(child, k)) for k in UPDATABLE}})
    from .alerts import resolve_done
    resolve_done(patient, now=now)
    return child


def record_child_care(actor, patient, data: dict, *, now) -> ChildCare:
    ensure_available(patient)
    child = _her_child(patient, data["child_id"])
    if child.left_at is not None and child.left_at <= now:
        raise Conflict("This child has left her mother; care is no longer recorded here.",
                       code="child_left")
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
    from .alerts import resolve_done
    resolve_done(patient, now=now)
    return row


def _child_dict(patient, child: Child, now) -> dict:
    today = local_today(patient, now)
    born = child.born_at.date()
    done = {(c.kind, c.code) for c in child.care}
    screens = [c.done_on for c in child.care if c.kind == "health_screen"]
    from .due import deadlines
    screen_due_at = rules.child_screen_due_at(child.arrived_at, deadlines().child_screen_hours)
    out = {
        "id": child.id, "name": child.name, "sex": child.sex, "born_at": iso(child.born_at),
        "arrived_at": iso(child.arrived_at), "left_at": iso(child.left_at),
        "left_to": child.left_to,
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


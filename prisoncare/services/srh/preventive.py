"""Preventive care (Bangkok Rules 5, 18): cervical and breast screening with
their due dates, STI tests and treatment, contraception, hygiene materials."""
from sqlalchemy import select

from ... import audit
from ...extensions import db
from ...models import CustodyEpisode
from ...models.srh import PreventiveCare
from ...rules import srh as rules
from .access import ensure_available
from .common import _entry_base, _err, _raise, iso, local_today


SCREENING_KINDS = {"cervical_screening": "cervical", "breast_screening": "breast"}


def record_preventive(actor, patient, data: dict, *, now) -> PreventiveCare:
    ensure_available(patient)
    errors = {}
    if data["done_on"] > local_today(patient, now):
        _err(errors, "done_on", "Cannot be in the future.")
    if data["kind"] in SCREENING_KINDS and data.get("result") not in ("normal", "abnormal", "declined"):
        _err(errors, "result", "A screening result is normal, abnormal or declined.")
    if data["kind"] == "viral_load" and data.get("result") not in ("suppressed", "detectable", "declined"):
        _err(errors, "result", "A viral load is suppressed, detectable or declined.")
    if data["kind"] not in ("viral_load",) and data.get("result") in ("suppressed", "detectable"):
        _err(errors, "result", "Only a viral load is suppressed or detectable.")
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
    from .alerts import resolve_done
    resolve_done(patient, now=now)
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
    admitted_at = db.session.scalar(select(CustodyEpisode.admitted_at).where(
        CustodyEpisode.patient_id == patient.id, CustodyEpisode.released_at.is_(None))
        .order_by(CustodyEpisode.admitted_at.desc()).limit(1))
    since = local_today(patient, admitted_at) if admitted_at else None
    from ...rules.srh_due import screening_rule_kind
    from .hiv import living_with_hiv
    hiv = living_with_hiv(patient.id, now)
    out = []
    for kind in SCREENING_KINDS:
        rule_kind = screening_rule_kind(kind, hiv)
        last = next((r for r in rows if r.kind == kind and r.result in ("normal", "abnormal")), None)
        due = rules.screening_due(rule_kind, born=patient.date_of_birth, today=local_today(patient, now),
                                  last_on=last.done_on if last else None,
                                  last_result=last.result if last else None, since=since)
        out.append({"kind": kind, "name": due.name, "due_on": iso(due.due_on), "status": due.status,
                    "reason": due.reason})
    return out


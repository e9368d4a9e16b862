"""Transfer handovers (issue 5: OST-T-01, ART-T-01, TB-06, HCV-T-01): the sending health
unit records what it sent the receiving one (prescription and MAR summary, last dose
time and take-home status for OST; treatment card and doses remaining for TB; the
prescription for ART and HCV).

A handover belongs to a move: the first `transfer_scheduled` (or an unplanned
`transfer_out`) since she last arrived. `transfer_facts` finds the moves under way
or planned, set-based, for the sweep and for one patient alike.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import and_, func, or_, select

from .. import audit
from ..authz import can_see_facility
from ..errors import Conflict, PermissionDenied, ValidationFailed
from ..extensions import db
from ..models import CustodyEpisode, CustodyEvent, Patient
from ..models.handovers import HANDOVER_PROGRAMMES, TransferHandover
from ..models.medication import MedicationOrder
from .alert_closing import close_alerts
from .custody import CLOCK_SKEW
from .facilities import facility_by_code

ARRIVALS = ("admission", "transfer_in")
MOVES = ("transfer_scheduled", "transfer_out")
CHUNK = 2000
# What a handover must contain for each programme it covers (field -> the error).
REQUIRED = {
    "ost": {"prescription_sent": "The prescription goes with every OST handover.",
            "last_dose_at": "The receiving unit needs the last dose time.",
            "take_home_doses": "Say how many take-home doses she carries (0 for none)."},
    "tb": {"treatment_card_sent": "The TB treatment card goes with every TB handover.",
           "tb_doses_remaining": "Say how many doses of the regimen remain."},
    "art": {"prescription_sent": "The prescription goes with every handover."},
    "hcv": {"prescription_sent": "The prescription goes with every handover."},
}


@dataclass(frozen=True)
class TransferFact:
    patient_id: int
    facility_id: int | None          # the sending facility
    event_id: int                    # the move: first transfer_scheduled / transfer_out
    event_type: str
    to_facility_id: int | None
    departs_at: datetime | None      # None: under way
    on: frozenset[str]               # programmes with an active order now
    covered: frozenset[str]          # programmes a handover for this move covers


def _moves(session, patient_ids) -> dict[int, tuple]:
    """patient id -> (move event id, its type, latest destination): the first move
    since her last arrival in her open custody episode."""
    events: dict[int, list] = {}
    for i in range(0, len(patient_ids), CHUNK):
        for row in session.execute(
                select(CustodyEvent.patient_id, CustodyEvent.seq, CustodyEvent.id,
                       CustodyEvent.type, CustodyEvent.to_facility_id)
                .join(CustodyEpisode, CustodyEvent.episode_id == CustodyEpisode.id)
                .where(CustodyEvent.patient_id.in_(patient_ids[i:i + CHUNK]),
                       CustodyEpisode.released_at.is_(None),
                       CustodyEvent.type.in_(ARRIVALS + MOVES))):
            events.setdefault(row.patient_id, []).append(row)
    out = {}
    for pid, rows in events.items():
        rows.sort(key=lambda r: r.seq)
        since = [r for r in rows[max((n for n, r in enumerate(rows) if r.type in ARRIVALS),
                                     default=-1) + 1:]]
        if since:
            out[pid] = (since[0].id, since[0].type, since[-1].to_facility_id)
    return out


def transfer_facts(session, now, patient_ids=None, programmes=("ost", "tb")) -> list[TransferFact]:
    """Every planned or current transfer of a patient on one of `programmes`."""
    query = select(Patient.id, Patient.facility_id, Patient.custody_status,
                   Patient.planned_transfer_at).where(or_(
                       and_(Patient.custody_status == "in_custody",
                            Patient.planned_transfer_at.is_not(None)),
                       Patient.custody_status == "in_transfer"))
    if patient_ids is not None:
        query = query.where(Patient.id.in_(list(patient_ids)))
    patients = {r.id: r for r in session.execute(query)}
    if not patients:
        return []
    ids = list(patients)
    on: dict[int, set] = {}
    for i in range(0, len(ids), CHUNK):
        for pid, prog in session.execute(
                select(MedicationOrder.patient_id, MedicationOrder.programme).distinct()
                .where(MedicationOrder.patient_id.in_(ids[i:i + CHUNK]),
                       MedicationOrder.programme.in_(programmes),
                       MedicationOrder.status == "active", MedicationOrder.start_at <= now,
                       or_(MedicationOrder.end_at.is_(None), MedicationOrder.end_at > now))):
            on.setdefault(pid, set()).add(prog)
    moves = _moves(session, [pid for pid in ids if pid in on])
    covered: dict[int, set] = {}
    event_ids = [m[0] for m in moves.values()]
    for i in range(0, len(event_ids), CHUNK):
        for event_id, progs in session.execute(
                select(TransferHandover.transfer_event_id, TransferHandover.programmes)
                .where(TransferHandover.transfer_event_id.in_(event_ids[i:i + CHUNK]))):
            covered.setdefault(event_id, set()).update(progs)
    out = []
    for pid, (event_id, event_type, to_facility_id) in moves.items():
        p = patients[pid]
        departs = p.planned_transfer_at if p.custody_status == "in_custody" else None
        out.append(TransferFact(pid, p.facility_id, event_id, event_type, to_facility_id,
                                departs, frozenset(on[pid]),
                                frozenset(covered.get(event_id, ()))))
    return out


@lru_cache(maxsize=1)
def _transfer_rules() -> tuple[tuple[str, str], ...]:
    """(rule id, programme) of the transfer_without_record rules (ids and programmes
    are not overridable, so the packaged table is enough)."""
    from ..rules.alert_rules import load_rules
    return tuple((r.id, r.programme) for r in load_rules() if r.kind == "transfer_without_record")


def alert_keys(event_id: int, programmes) -> list[str]:
    return [f"{rule_id}:event:{event_id}" for rule_id, prog in _transfer_rules()
            if prog in programmes]


def current_move(patient: Patient, now) -> TransferFact | None:
    """Her planned or current transfer, when she is on a treatment to hand over."""
    facts = transfer_facts(db.session, now, patient_ids=[patient.id],
                           programmes=HANDOVER_PROGRAMMES)
    return facts[0] if facts else None


def _check(data: dict, move: TransferFact, now) -> dict:
    errors: dict[str, list[str]] = {}
    programmes = data["programmes"]
    for prog in programmes:
        if prog not in move.on:
            errors.setdefault("programmes", []).append(f"She has no active {prog.upper()} order.")
        for field, why in REQUIRED.get(prog, {}).items():
            if data.get(field) is None or data.get(field) is False:   # 0 take-home is an answer
                errors.setdefault(field, []).append(why)
    for field in ("last_dose_at", "sent_at"):
        if data.get(field) is not None and data[field] > now + CLOCK_SKEW:
            errors.setdefault(field, []).append("Cannot be in the future.")
    code = data.get("to_facility")
    if code:
        facility = facility_by_code(code)
        if facility is None:
            errors.setdefault("to_facility", []).append(f"Unknown facility {code}.")
        elif move.to_facility_id is not None and facility.id != move.to_facility_id:
            errors.setdefault("to_facility", []).append("The transfer is to another facility.")
    return errors


def record_handover(actor, patient: Patient, data: dict, *, now) -> TransferHandover:
    """Record a handover for her current move; resolves the move's open transfer
    alerts (OST-T-01, ART-T-01, TB-06, HCV-T-01) for the programmes it covers, in the same
    transaction."""
    if not can_see_facility(actor, patient.facility_id):
        raise PermissionDenied("Only the sending health unit records the transfer handover.")
    move = current_move(patient, now)
    if move is None:
        raise Conflict("She has no transfer planned or under way (or is on no treatment to "
                       "hand over).", code="no_transfer_planned")
    errors = _check(data, move, now)
    if errors:
        raise ValidationFailed(errors)
    programmes = sorted(set(data["programmes"]))
    to_facility_id = move.to_facility_id    # transfer_scheduled and transfer_out name it
    episode_id = db.session.scalar(select(CustodyEvent.episode_id)
                                   .where(CustodyEvent.id == move.event_id))
    row = TransferHandover(
        patient_id=patient.id, episode_id=episode_id, transfer_event_id=move.event_id,
        facility_id=patient.facility_id, to_facility_id=to_facility_id, programmes=programmes,
        prescription_sent=bool(data.get("prescription_sent")),
        mar_summary_sent=bool(data.get("mar_summary_sent")),
        last_dose_at=data.get("last_dose_at"), take_home_doses=data.get("take_home_doses"),
        treatment_card_sent=bool(data.get("treatment_card_sent")),
        tb_doses_remaining=data.get("tb_doses_remaining"), sent_at=data.get("sent_at") or now,
        note=(data.get("note") or "").strip() or None, recorded_by_id=getattr(actor, "id", None),
        recorded_at=now)
    db.session.add(row)
    db.session.flush()
    note = f"Transfer handover #{row.id} recorded by {actor.username}."
    resolved = close_alerts(db.session, {k: note for k in alert_keys(move.event_id, programmes)},
                            now=now, resolved_by_id=getattr(actor, "id", None))
    audit.record(actor, "transfer_handover.create", entity="transfer_handover", entity_id=row.id,
                 patient_id=patient.id, at=now,
                 detail={"programmes": programmes, "transfer_event": move.event_id,
                         "alerts_resolved": resolved})
    return row


def list_handovers(patient: Patient, *, limit=50, offset=0) -> tuple[list[TransferHandover], int]:
    query = select(TransferHandover).where(TransferHandover.patient_id == patient.id)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(query.order_by(TransferHandover.recorded_at.desc(),
                                             TransferHandover.id.desc())
                              .limit(limit).offset(offset)).all()
    return list(rows), total


def handover_dict(h: TransferHandover) -> dict:
    return {
        "id": h.id, "patient_id": h.patient_id, "transfer_event_id": h.transfer_event_id,
        "transfer_event_type": h.transfer_event.type if h.transfer_event else None,
        "from_facility": h.facility.code if h.facility else None,
        "to_facility": h.to_facility.code if h.to_facility else None,
        "programmes": list(h.programmes), "prescription_sent": h.prescription_sent,
        "mar_summary_sent": h.mar_summary_sent, "last_dose_at": h.last_dose_at,
        "take_home_doses": h.take_home_doses, "treatment_card_sent": h.treatment_card_sent,
        "tb_doses_remaining": h.tb_doses_remaining, "sent_at": h.sent_at, "note": h.note,
        "recorded_by": h.recorded_by.username if h.recorded_by else None,
        "recorded_at": h.recorded_at,
    }


def hours_until(instant: datetime | None, now) -> float | None:
    return None if instant is None else (instant - now) / timedelta(hours=1)

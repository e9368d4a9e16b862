"""Plain dicts for the schemas and templates to show: codes instead of ids,
local dates from UTC instants."""
from zoneinfo import ZoneInfo

from .models import CustodyEvent, Patient


def local_date(instant, facility):
    if instant is None:
        return None
    return instant.astimezone(ZoneInfo(facility.timezone if facility else "UTC")).date()


def custody_of(p: Patient) -> dict:
    return {
        "status": p.custody_status,
        "facility": p.facility.code if p.facility else None,
        "ward": p.ward.code if p.ward else None,
        "to_facility": p.to_facility.code if p.to_facility else None,
        "legal_status": p.legal_status,
        "expected_release_date": p.expected_release_on,
        "next_court_date": local_date(p.next_court_at, p.facility),
        "next_court_at": p.next_court_at,
    }


def patient_dict(p: Patient) -> dict:
    return {
        "id": p.id, "prison_number": p.prison_number, "given_name": p.given_name,
        "family_name": p.family_name, "date_of_birth": p.date_of_birth, "sex": p.sex,
        "gender_identity": p.gender_identity, "preferred_language": p.preferred_language,
        "custody": custody_of(p),
    }


def event_dict(e: CustodyEvent) -> dict:
    return {
        "id": e.id, "type": e.type, "occurred_at": e.occurred_at, "recorded_at": e.recorded_at,
        "recorded_by": e.recorded_by.username if e.recorded_by else None,
        "facility": e.facility.code if e.facility else None,
        "ward": e.ward.code if e.ward else None,
        "to_facility": e.to_facility.code if e.to_facility else None,
        "legal_status": e.legal_status, "expected_at": e.expected_at,
        "release_from": e.release_from, "note": e.note,
        "status_before": e.status_before, "status_after": e.status_after,
        "episode_id": e.episode_id,
    }


def alert_dict(a, user) -> dict:
    """An alert as `user` may see it: custody staff get their task (its text and its
    own status), never the rule, programme or clinical message (they would disclose
    a diagnosis), nor the clinical alert's acknowledgement or resolution."""
    from .services.alerts import custody_view, task_status
    task = custody_view(user, a)
    done = a.custody_updated_at if task else None
    return {
        "id": a.id, "rule": "custody_task" if task else a.rule_code,
        "severity": a.severity, "role": a.role, "patient": a.patient_id,
        "programme": None if task else a.programme,
        "status": task_status(a) if task else a.status,
        "opened_at": a.opened_at,
        "message": a.custody_message if task else a.message,
        "action": None if task else a.action,
        "escalation_level": a.escalation_level,
        "escalated_to": None if task else a.escalated_to,
        "escalated_from": a.role if a.escalated_to and not task else None,
        "escalated_at": a.escalated_at if a.escalated_to and not task else None,
        "acknowledged_at": (done if a.custody_status == "acknowledged" else None) if task
        else a.acknowledged_at,
        "resolved_at": (done if a.custody_status == "resolved" else None) if task
        else a.resolved_at,
        "cause": ({"event_type": a.cause_event_type, "event_id": a.cause_event_id}
                  if a.cause_event_id else None),
    }


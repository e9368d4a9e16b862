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
    """An alert as `user` may see it: custody staff get the task, never the
    rule, programme or clinical message (they would disclose a diagnosis)."""
    from .services.alerts import sees_clinical_alerts
    clinical = sees_clinical_alerts(user) or (
        "release_officer" in user.roles and a.role == "release_officer")
    return {
        "id": a.id, "rule": a.rule_code if clinical else "custody_task",
        "severity": a.severity, "role": a.role, "patient": a.patient_id,
        "programme": a.programme if clinical else None, "status": a.status,
        "opened_at": a.opened_at,
        "message": a.message if clinical else a.custody_message,
        "action": _action(a) if clinical else None,
        "escalation_level": a.escalation_level,
        "acknowledged_at": a.acknowledged_at, "resolved_at": a.resolved_at,
        "cause": ({"event_type": a.cause_event_type, "event_id": a.cause_event_id}
                  if a.cause_event_id else None),
    }


def _action(a) -> str | None:
    """The rule's suggested action, never claiming a block the dosing guard does not
    enforce (rules/alert_wording.py: OST-B-02 says "clinical review before dosing" at
    3 days of buprenorphine; the guard blocks from 5)."""
    from .rules.alert_wording import action_text
    from .services.pass_alerts import guard_thresholds, rules_by_id
    return action_text(a.rule_code, a.action, rules_by_id().get(a.rule_code), guard_thresholds())

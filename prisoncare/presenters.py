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

"""Continuation of community treatment: each community OST or ART medication of
the current episode without a matching active order is "pending", with the hours
left to the 24-hour target counted from admission (Mandela Rule 24(2); rule
OST-E-01 in clinical-rules.md)."""
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Patient
from ..models.intake import CommunityMedication
from .community_medication import community_medications, custody_episode

TARGET = timedelta(hours=24)
CONTINUED_PROGRAMMES = ("ost", "art")


@dataclass(frozen=True)
class PendingContinuation:
    medication: CommunityMedication
    target_at: datetime
    hours_left: float  # negative once the target has passed

    @property
    def overdue(self) -> bool:
        return self.hours_left < 0


def active_programmes(patient_id: int, at: datetime) -> set[str]:
    """The programmes with an active order. Orders (issue 4) are being built in
    services/orders.py, which will provide `active_programmes(patient_id, at)`;
    until it does (module or function missing), no programme has an order. Any
    other import error is a real bug and is not swallowed."""
    try:
        from . import orders
    except ModuleNotFoundError as err:
        if err.name != f"{__package__}.orders":
            raise
        return set()
    lookup = getattr(orders, "active_programmes", None)
    return set(lookup(patient_id, at)) if lookup is not None else set()


def pending_continuations(patient: Patient, *, now) -> list[PendingContinuation]:
    """One entry per programme (the latest medication recorded for it)."""
    episode = custody_episode(patient)
    if episode is None:
        return []
    latest: dict[str, CommunityMedication] = {}
    for medication in community_medications(patient):
        if medication.programme in CONTINUED_PROGRAMMES:
            latest[medication.programme] = medication
    if not latest:
        return []
    covered = active_programmes(patient.id, now)
    target_at = episode.admitted_at + TARGET
    hours_left = round((target_at - now).total_seconds() / 3600, 1)
    return [PendingContinuation(m, target_at, hours_left)
            for programme, m in sorted(latest.items()) if programme not in covered]


def medications_with_continuation(patient: Patient, *, now) -> list[dict]:
    """The current episode's community medication, each with its continuation state."""
    pending = {p.medication.programme: p for p in pending_continuations(patient, now=now)}
    out = []
    for m in community_medications(patient):
        p = pending.get(m.programme)
        out.append({
            "id": m.id, "programme": m.programme, "drug": m.drug, "dose": m.dose, "unit": m.unit,
            "last_dose_at": m.last_dose_at, "source": m.source, "clinic": m.clinic,
            "recorded_by": m.recorded_by.username if m.recorded_by else None,
            "recorded_at": m.recorded_at,
            "continuation": {"pending": p is not None,
                             "target_at": p.target_at if p else None,
                             "hours_left": p.hours_left if p else None},
        })
    return out

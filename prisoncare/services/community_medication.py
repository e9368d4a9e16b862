"""What a person was taking in the community when admitted (OST, ART, TB, HCV...).
Recorded for the current custody episode; it tells the checklists she is on OST or
ART and drives the "continuation pending" banner (continuation.py)."""
from sqlalchemy import select

from .. import audit
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..models import CustodyEpisode, Patient
from ..models.intake import CommunityMedication
from . import checklists
from .custody import CLOCK_SKEW, current_episode

FIELDS = ("programme", "drug", "dose", "unit", "last_dose_at", "source", "clinic")


def custody_episode(patient: Patient) -> CustodyEpisode | None:
    """The episode she is in now, or None when she is not in custody."""
    episode = current_episode(patient)
    return episode if episode is not None and episode.released_at is None else None


def record_community_medication(actor, patient: Patient, data: dict, *, now) -> CommunityMedication:
    episode = custody_episode(patient)
    if episode is None:
        raise Conflict("Community medication is recorded for a custody episode, and this "
                       "person is not in custody.", code="not_in_custody")
    last = data.get("last_dose_at")
    if last is not None and last > now + CLOCK_SKEW:
        raise ValidationFailed({"last_dose_at": ["Cannot be in the future."]})
    medication = CommunityMedication(
        patient_id=patient.id, episode_id=episode.id, recorded_by_id=getattr(actor, "id", None),
        recorded_at=now, **{k: data.get(k) for k in FIELDS})
    db.session.add(medication)
    db.session.flush()
    audit.record(actor, "community_medication.create", entity="community_medication",
                 entity_id=medication.id, patient_id=patient.id, at=now,
                 detail={"programme": medication.programme, "source": medication.source})
    checklists.refresh_episode(episode.id)  # she is now known to be on OST/ART...
    return medication


def community_medications(patient: Patient) -> list[CommunityMedication]:
    """The current episode's community medication, oldest first."""
    episode = custody_episode(patient)
    if episode is None:
        return []
    return list(db.session.scalars(select(CommunityMedication).where(
        CommunityMedication.episode_id == episode.id).order_by(CommunityMedication.id)))

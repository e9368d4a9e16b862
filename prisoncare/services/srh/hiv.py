"""Whether a woman is known to live with HIV, from what the record holds (no
separate diagnosis field): an ART order (current or past), ART she was taking in
the community, or a PMTCT viral load. Set-based, for the cohort and the children
of a mother on ART (an infant is HIV-exposed: prophylaxis and testing)."""
from sqlalchemy import select

from ...extensions import db
from ...models.intake import CommunityMedication
from ...models.medication import MedicationOrder
from ...models.srh import PreventiveCare


def living_with_hiv_ids(patient_ids, now) -> set[int]:
    from .due import _chunks
    out = set()
    for chunk in _chunks(set(patient_ids)):
        out.update(db.session.scalars(select(MedicationOrder.patient_id).where(
            MedicationOrder.patient_id.in_(chunk), MedicationOrder.programme == "art",
            MedicationOrder.start_at <= now)))
        out.update(db.session.scalars(select(CommunityMedication.patient_id).where(
            CommunityMedication.patient_id.in_(chunk), CommunityMedication.programme == "art")))
        out.update(db.session.scalars(select(PreventiveCare.patient_id).where(
            PreventiveCare.patient_id.in_(chunk), PreventiveCare.kind == "viral_load",
            PreventiveCare.recorded_at <= now)))
    return out


def living_with_hiv(patient_id: int, now) -> bool:
    return patient_id in living_with_hiv_ids([patient_id], now)

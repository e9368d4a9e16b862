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
    """Those of `patient_ids` known to live with HIV: three queries per 2,000 ids."""
    from .due import _chunks, ids_in
    queries = (
        select(MedicationOrder.patient_id).where(ids_in(MedicationOrder.patient_id),
                                                 MedicationOrder.programme == "art",
                                                 MedicationOrder.start_at <= now),
        select(CommunityMedication.patient_id).where(ids_in(CommunityMedication.patient_id),
                                                     CommunityMedication.programme == "art"),
        select(PreventiveCare.patient_id).where(ids_in(PreventiveCare.patient_id),
                                                PreventiveCare.kind == "viral_load",
                                                PreventiveCare.recorded_at <= now))
    out = set()
    for chunk in _chunks(set(patient_ids)):
        for query in queries:
            out.update(db.session.scalars(query, {"ids": chunk}))
    return out


def living_with_hiv(patient_id: int, now) -> bool:
    return patient_id in living_with_hiv_ids([patient_id], now)

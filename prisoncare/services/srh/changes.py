"""Which women the srh-alerts job must look at again since its watermark.

Her SRH alerts are a function of her SRH record, her custody (in care, facility,
admission), her orders (on ART, on OST), her community treatment at admission, her
ART interruption episodes, and time. Time enters two ways:

* by the day (screening, immunisations, infant HIV tests, PMTCT viral loads,
  contacts: due and overdue on dates): the job makes a full pass on the first run
  after the local day changed in any facility;
* by the hour (the antenatal booking and the child health screen deadlines, infant
  prophylaxis, the antenatal contacts' `now` boundaries): only women with a
  pregnancy ongoing or recent, or a child living with them, have such items, so
  every incremental run looks at all of them (a few hundred at national scale).

Everything else is a row written since the watermark (`mark.since`, the margin
already taken off): read by its timestamp, set-based, never a pass over every
woman. Her ART episodes are read likewise, except those the watermark's run had
already seen (sweep_watermark.Watermark.changed).
"""
from datetime import timedelta

from sqlalchemy import or_, select

from ...models import CustodyEvent
from ...models.facilities import Facility
from ...models.intake import CommunityMedication
from ...models.interruptions import InterruptionEpisode
from ...models.medication import MedicationOrder
from ...models.srh import (BreastfeedingStatus, Child, ChildCare, MaternityContact, Pregnancy,
                           PreventiveCare, SrhEnablement)
from ...rules.schedule import local_day
from .due import RECENT_BIRTH_DAYS


def new_local_day(session, done_at, now) -> bool:
    zones = set(session.scalars(select(Facility.timezone).distinct()))
    return any(local_day(done_at, tz) != local_day(now, tz) for tz in zones)


def changed_patients(session, mark, now) -> set[int]:
    since = mark.since
    recent = (now - timedelta(days=RECENT_BIRTH_DAYS)).date()
    queries = [
        # time-driven by the hour: pregnancies ongoing or recent, children in care
        select(Pregnancy.patient_id).where(or_(Pregnancy.status == "ongoing",
                                               Pregnancy.ended_on >= recent,
                                               Pregnancy.recorded_at >= since,
                                               Pregnancy.plan_updated_at >= since)),
        select(Child.mother_id).where(or_(Child.left_at.is_(None), Child.left_at >= since,
                                          Child.recorded_at >= since)),
        # her SRH record
        select(Pregnancy.patient_id).join(MaternityContact,
                                          MaternityContact.pregnancy_id == Pregnancy.id)
        .where(MaternityContact.recorded_at >= since),
        select(Child.mother_id).join(ChildCare, ChildCare.child_id == Child.id)
        .where(ChildCare.recorded_at >= since),
        select(BreastfeedingStatus.patient_id).where(BreastfeedingStatus.recorded_at >= since),
        select(PreventiveCare.patient_id).where(PreventiveCare.recorded_at >= since),
        select(SrhEnablement.patient_id).where(or_(SrhEnablement.recorded_at >= since,
                                                   SrhEnablement.revoked_at >= since)),
        # custody, orders (including those starting or ending since), intake, episodes
        select(CustodyEvent.patient_id).where(CustodyEvent.recorded_at >= since),
        select(MedicationOrder.patient_id).where(or_(
            MedicationOrder.created_at >= since, MedicationOrder.discontinued_at >= since,
            MedicationOrder.start_at.between(since, now), MedicationOrder.end_at.between(since, now))),
        select(CommunityMedication.patient_id).where(CommunityMedication.recorded_at >= since),
        select(InterruptionEpisode.patient_id).where(
            InterruptionEpisode.programme == "art",
            mark.changed(InterruptionEpisode.updated_at, InterruptionEpisode.updated_run)),
    ]
    out = set()
    for query in queries:
        out.update(session.scalars(query))
    return out

"""The facility's SRH worklist: every antenatal and postnatal contact, child
check, immunisation, infant HIV test, screening and PMTCT viral load due or
overdue, most overdue first. A fixed handful of queries for the whole facility
(services.srh.due), never one per patient; never any violence record."""
from ... import audit
from ...authz import can_see_facility
from ...errors import NotFound
from ...rules import srh_due as due
from .common import iso, local_today
from .due import deadlines, items_of, load_cohort, women_in_care
from .gestation import gestation_for

KIND_LABELS = {
    "antenatal_booking": "Antenatal booking", "antenatal_contact": "Antenatal contact",
    "postnatal_contact": "Postnatal contact", "child_screen": "Child health screen",
    "infant_prophylaxis": "Infant prophylaxis", "immunisation": "Immunisation",
    "infant_hiv_test": "Infant HIV test", "cervical_screening": "Cervical screening",
    "breast_screening": "Breast screening", "viral_load": "Viral load (PMTCT)",
    "sti_treatment": "STI treatment",
}


def _row(patient, item: due.DueItem, now, gestations) -> dict:
    today = local_today(patient, now)
    late_days = (today - local_today(patient, item.overdue_at)).days + 1 \
        if item.status == "overdue" else 0
    return {"patient": {"id": patient.id, "prison_number": patient.prison_number,
                        "name": patient.name, "ward": patient.ward_code,
                        "gestation": gestations.get(patient.id)},
            "kind": item.kind, "label": KIND_LABELS[item.kind], "name": item.name,
            "status": item.status, "due_on": iso(item.due_on), "overdue_at": iso(item.overdue_at),
            "days_overdue": max(late_days, 0),
            "child": {"id": item.child_id, "name": item.child_name} if item.child_id else None}


def srh_worklist(actor, facility, *, now, status=None, limit=100, offset=0) -> tuple[list[dict], int]:
    """(rows, total) of the facility's due and overdue SRH items; the read is audited."""
    if facility is None or not can_see_facility(actor, facility.id):
        raise NotFound("No such facility.")
    women = women_in_care(facility_id=facility.id)
    found = items_of(load_cohort(women, now), now, deadlines())
    if status is not None:
        found = [(p, i) for p, i in found if i.status == status]
    order = {id(i): n for n, i in enumerate(due.most_overdue_first([i for _, i in found]))}
    found.sort(key=lambda pair: order[id(pair[1])])
    page = found[offset:offset + limit]
    audit.record(actor, "srh_worklist.read", entity="facility", entity_id=facility.id, at=now,
                 detail={"results": len(found), "status": status})
    gestations = gestation_for(actor, {p for p, _ in page}, now)
    return [_row(p, i, now, gestations) for p, i in page], len(found)

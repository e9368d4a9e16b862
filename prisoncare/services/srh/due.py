"""The facts behind SRH due dates, read set-based (a fixed handful of queries for
any number of women: one facility's worklist or the national sweep) and as rows
(`Woman`, and the columns the derivation uses: no ORM objects, whose loading was a
third of the national full pass), and the items and alert conditions rules.srh_due
derives from them."""
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import or_, select

from ...db_types import in_list
from ...extensions import db
from ...models import CustodyEpisode, Patient
from ...models.facilities import Facility, Ward
from ...models.intake import CommunityMedication
from ...models.medication import MedicationOrder
from ...models.srh import (BreastfeedingStatus, Child, ChildCare, MaternityContact, Pregnancy,
                           PreventiveCare, SrhEnablement)
from ...rules import alert_rules as ar
from ...rules import srh_due as due
from .common import Woman, local_today, midnight_in, tz_name, zone

# Where she can be cared for by the facility (released women are out of its hands).
IN_CARE = ("in_custody", "out_at_court", "out_at_hospital", "in_transfer")
RECENT_BIRTH_DAYS = 180
CHUNK = 2000


def _chunks(ids):
    ids = sorted(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def alert_rule_set() -> ar.RuleSet:
    overrides = current_app.config.get("ALERT_RULE_OVERRIDES") if has_app_context() else None
    return ar.load_rules(overrides=overrides)


def _task_rule(rules, task):
    return next((r for r in rules if r.kind == "task_overdue" and r.params.get("task") == task), None)


def deadlines(rules=None) -> due.Deadlines:
    """BR-03 and BR-07 hours from the alert rule table (with the deployment's overrides)."""
    rules = rules if rules is not None else alert_rule_set()
    booking, screen = _task_rule(rules, "antenatal_assessment"), _task_rule(rules, "child_health_screen")
    default = due.Deadlines()
    return due.Deadlines(
        booking_hours=booking.params["hours"] if booking else default.booking_hours,
        booking_hours_drug_dependent=booking.params.get("hours_if_substance_dependent",
                                                        booking.params["hours"])
        if booking else default.booking_hours_drug_dependent,
        child_screen_hours=screen.params["hours"] if screen else default.child_screen_hours)


def _active_order(programme, now):
    return (MedicationOrder.programme == programme, MedicationOrder.start_at <= now,
            or_(MedicationOrder.end_at.is_(None), MedicationOrder.end_at > now),
            or_(MedicationOrder.discontinued_at.is_(None), MedicationOrder.discontinued_at > now),
            MedicationOrder.status != "superseded")


def drug_dependent_ids(ids, now) -> set[int]:
    """On OST now, or OST recorded from the community in her current custody episode
    (the opioid dependence the intake recorded)."""
    out = set()
    for chunk in _chunks(ids):
        out.update(db.session.scalars(select(MedicationOrder.patient_id).where(
            MedicationOrder.patient_id.in_(chunk), *_active_order("ost", now))))
        out.update(db.session.scalars(
            select(CommunityMedication.patient_id)
            .join(CustodyEpisode, CommunityMedication.episode_id == CustodyEpisode.id)
            .where(CommunityMedication.patient_id.in_(chunk), CommunityMedication.programme == "ost",
                   CustodyEpisode.released_at.is_(None))))
    return out


def _in_care(facility_id=None) -> list:
    """Conditions on Patient: an SRH record (a woman, or enabled) and in a facility's care."""
    enabled = select(SrhEnablement.patient_id).where(SrhEnablement.revoked_at.is_(None))
    out = [Patient.custody_status.in_(IN_CARE), or_(Patient.sex == "female", Patient.id.in_(enabled))]
    if facility_id is not None:
        out.append(Patient.facility_id == facility_id)
    return out


def women_in_care(*, facility_id=None, patient_ids=None) -> list[Woman]:
    """Women with an SRH record (women, or enabled) whom a facility cares for, as
    `Woman` rows (one query per 2,000 ids; no ORM objects), by id."""
    query = (select(Patient.id, Patient.facility_id, Patient.date_of_birth, Facility.timezone,
                    Patient.prison_number, Patient.given_name, Patient.family_name, Ward.code)
             .outerjoin(Facility, Facility.id == Patient.facility_id)
             .outerjoin(Ward, Ward.id == Patient.ward_id)
             .where(*_in_care(facility_id)))
    if patient_ids is None:
        rows = db.session.execute(query.order_by(Patient.id))
    else:
        rows = (row for chunk in _chunks(patient_ids)
                for row in db.session.execute(query.where(Patient.id.in_(chunk)).order_by(Patient.id)))
    return [Woman(id=pid, facility_id=fid, date_of_birth=born, timezone=tz or "UTC",
                  prison_number=number, name=f"{given} {family}", ward_code=ward)
            for pid, fid, born, tz, number, given, family, ward in rows]


def ids_in(column):
    """`column IN :ids`, the ids bound as one parameter (db_types.in_list: on
    PostgreSQL one array, the same SQL text for any number of ids); pass
    {"ids": chunk} with it."""
    return in_list(column, "ids", db.session.get_bind().dialect.name)


@dataclass
class Cohort:
    """Women with their facts, read together."""
    patients: list
    facts: dict            # patient id -> due.WomanFacts
    on_art: set
    pregnant: set
    breastfeeding: set


def load_cohort(patients, now) -> Cohort:
    """The facts of `patients` (Woman rows, or Patients: only id, date_of_birth and
    the facility's time zone are read): a fixed handful of queries per 2,000 women,
    their ids bound as one parameter (`ids_in`), reading the columns the derivation
    uses, never ORM objects."""
    ids = [p.id for p in patients]
    by_id = {p.id: p for p in patients}
    pregnancy, contacts, children, care = {}, defaultdict(list), defaultdict(list), defaultdict(list)
    screening, viral_loads, feeding, on_art, admitted = {}, defaultdict(list), {}, set(), {}
    sti_positive, sti_treated = {}, {}
    since = (now - timedelta(days=RECENT_BIRTH_DAYS)).date()
    pregnancies = (select(Pregnancy.id, Pregnancy.patient_id, Pregnancy.status, Pregnancy.due_on,
                          Pregnancy.recorded_at, Pregnancy.drug_dependent, Pregnancy.outcome,
                          Pregnancy.ended_on)
                   .where(ids_in(Pregnancy.patient_id),
                          or_(Pregnancy.status == "ongoing", Pregnancy.ended_on >= since),
                          Pregnancy.recorded_at <= now)
                   .order_by(Pregnancy.recorded_at, Pregnancy.id))
    living = (select(Child.id, Child.mother_id, Child.name, Child.born_at, Child.arrived_at,
                     Child.hiv_exposed, Child.feeding)
              .where(ids_in(Child.mother_id), Child.left_at.is_(None), Child.arrived_at <= now)
              .order_by(Child.born_at, Child.id))
    results = (select(PreventiveCare.patient_id, PreventiveCare.kind, PreventiveCare.done_on,
                      PreventiveCare.result)
               .where(ids_in(PreventiveCare.patient_id),
                      PreventiveCare.kind.in_(tuple(due.SCREENINGS) + ("viral_load",)),
                      PreventiveCare.result.in_(("normal", "abnormal", "suppressed", "detectable")))
               .order_by(PreventiveCare.done_on, PreventiveCare.id))
    sti = (select(PreventiveCare.patient_id, PreventiveCare.kind, PreventiveCare.done_on)
           .where(ids_in(PreventiveCare.patient_id), PreventiveCare.recorded_at <= now,
                  or_(PreventiveCare.kind == "sti_treatment",
                      (PreventiveCare.kind == "sti_test") & (PreventiveCare.result == "positive"))))
    feeding_rows = (select(BreastfeedingStatus.patient_id, BreastfeedingStatus.status,
                           BreastfeedingStatus.since_on)
                    .where(ids_in(BreastfeedingStatus.patient_id), BreastfeedingStatus.recorded_at <= now)
                    .order_by(BreastfeedingStatus.since_on, BreastfeedingStatus.id))
    art = select(MedicationOrder.patient_id).where(ids_in(MedicationOrder.patient_id),
                                                   *_active_order("art", now))
    episodes = (select(CustodyEpisode.patient_id, CustodyEpisode.admitted_at)
                .where(ids_in(CustodyEpisode.patient_id), CustodyEpisode.released_at.is_(None))
                .order_by(CustodyEpisode.admitted_at))
    for chunk in _chunks(ids):
        bound = {"ids": chunk}
        for p in db.session.execute(pregnancies, bound):
            pregnancy[p.patient_id] = p             # the latest wins
        for row in db.session.execute(living, bound):
            children[row.mother_id].append(row)
        for pid, kind, done_on, result in db.session.execute(results, bound):
            if kind == "viral_load":
                viral_loads[pid].append(done_on)
            else:
                screening[(pid, kind)] = (done_on, result)
        for pid, kind, done_on in db.session.execute(sti, bound):
            latest = sti_positive if kind == "sti_test" else sti_treated
            latest[pid] = max(latest.get(pid, done_on), done_on)
        for row in db.session.execute(feeding_rows, bound):
            feeding[row.patient_id] = row           # the latest wins
        on_art.update(db.session.scalars(art, bound))
        admitted.update(db.session.execute(episodes, bound).all())
    pregnancy_ids = [p.id for p in pregnancy.values()]
    for chunk in _chunks(pregnancy_ids):
        for pid, kind, on in db.session.execute(
                select(MaternityContact.pregnancy_id, MaternityContact.kind, MaternityContact.contact_on)
                .where(MaternityContact.pregnancy_id.in_(chunk))):
            contacts[(pid, kind)].append(on)
    child_ids = [c.id for rows in children.values() for c in rows]
    for chunk in _chunks(child_ids):
        for row in db.session.execute(select(ChildCare.child_id, ChildCare.kind, ChildCare.code,
                                             ChildCare.done_on).where(ChildCare.child_id.in_(chunk))):
            care[row.child_id].append(row)
    dependent = drug_dependent_ids([pid for pid, p in pregnancy.items() if p.status == "ongoing"], now)
    from .hiv import living_with_hiv_ids
    hiv = living_with_hiv_ids(ids, now)

    facts = {}
    for pid in ids:
        p = pregnancy.get(pid)
        pf = None if p is None else due.PregnancyFacts(
            id=p.id, status=p.status, due_on=p.due_on, recorded_at=p.recorded_at,
            drug_dependent=bool(p.drug_dependent) or pid in dependent, outcome=p.outcome,
            ended_on=p.ended_on, antenatal_on=tuple(sorted(contacts[(p.id, "antenatal")])),
            postnatal_on=tuple(sorted(contacts[(p.id, "postnatal")])))
        kids = tuple(_child_facts(c, care[c.id]) for c in children[pid])
        bf = feeding.get(pid)
        facts[pid] = due.WomanFacts(
            patient_id=pid, born=by_id[pid].date_of_birth, pregnancy=pf, children=kids,
            last_screening={k: screening[(pid, k)] for k in due.SCREENINGS if (pid, k) in screening},
            on_art=pid in on_art, breastfeeding=bf is not None and bf.status == "breastfeeding",
            breastfeeding_since=bf.since_on if bf is not None else None,
            viral_loads_on=tuple(viral_loads[pid]),
            in_care_since=local_today(by_id[pid], admitted[pid]) if pid in admitted else None,
            sti_untreated_since=sti_positive[pid] if pid in sti_positive and (
                pid not in sti_treated or sti_treated[pid] < sti_positive[pid]) else None,
            living_with_hiv=pid in hiv)
    return Cohort(patients=list(patients), facts=facts, on_art=on_art,
                  pregnant={pid for pid, p in pregnancy.items() if p.status == "ongoing"},
                  breastfeeding={pid for pid, f in facts.items() if f.breastfeeding})


def _child_facts(child, rows) -> due.ChildFacts:
    screens = [r.done_on for r in rows if r.kind == "health_screen"]
    return due.ChildFacts(
        id=child.id, name=child.name, born_at=child.born_at, arrived_at=child.arrived_at,
        hiv_exposed=child.hiv_exposed, feeding=child.feeding,
        screened_on=min(screens) if screens else None,
        immunised=frozenset(r.code for r in rows if r.kind == "immunisation"),
        tests_done=frozenset(r.code for r in rows if r.kind == "hiv_test"),
        prophylaxis_started=any(r.kind == "prophylaxis_start" for r in rows))


def items_of(cohort: Cohort, now, limits: due.Deadlines):
    """(patient, item) for every item due or overdue in the cohort (her local day and
    midnights worked out once per time zone, not once per woman)."""
    out, days = [], {}
    for patient in cohort.patients:
        name = tz_name(patient)
        if name not in days:
            days[name] = (now.astimezone(zone(name)).date(), midnight_in(name))
        today, midnight = days[name]
        for item in due.due_items(cohort.facts[patient.id], now=now, today=today, deadlines=limits,
                                  local_midnight=midnight):
            out.append((patient, item))
    return out

"""A small world for the report tests, built with the factories and the real
services (custody, orders, the MAR, checklists, the sweep), whose figures are
worked out by hand below. Clinics in Europe/Kyiv (UTC+2 in March); period
1-9 March 2026.

People
  W1 female, born 1990-01-01 (36 on 1 March: 35-44), FAC-A, admitted 1 March 09:00 UTC
     pretrial; community methadone (last dose 1 March 05:00 UTC); OST order from
     1 March 10:00 UTC, daily 08:00 Kyiv (06:00 UTC), first dose 2 March.
     Given every day 2-9 March but 5 March: at court 05:00-17:00 UTC, the dose is
     absent -> one episode, 5 March, cause court, 1 missed dose.
     Intake: IN-09 HIV test accepted, IN-09a positive (no ART order), IN-16 dependence.
  W2 female, born 2004-05-01 (21: <25), FAC-A, admitted 3 March 08:00 UTC pretrial,
     sentenced 6 March 07:00 UTC; community methadone (last dose 3 March 05:00 UTC);
     OST order from 3 March 09:00 UTC, daily 12:00 Kyiv (10:00 UTC).
     3, 4, 5, 7, 8 March given; 6 March refused -> episode 6 March, cause refusal,
     1 missed dose (sentenced by then); 9 March held by a clinician (a verified hold:
     no episode, not in dose coverage).
     Intake: completed at 08:30 on admission day (IN-09 declined, everything else
     not applicable).
  M1 male, born 1980-06-01 (45: 45-54), FAC-B, admitted 1 March 09:00 UTC pretrial;
     community ART (last dose 1 March 05:00 UTC); ART order from 1 March 10:00 UTC,
     daily 20:00 Kyiv (18:00 UTC), first dose 1 March. Given 1-6 and 9 March; 7 and
     8 March nobody recorded -> missed -> episode 7-8 March, documentation_gap,
     2 missed doses. Intake: IN-16 dependence (no OST order).
  R1 female, born 1985-03-15 (40), FAC-A, admitted 20 February, released 8 March
     12:00 UTC from the facility; no treatment. Release plan (scheduled 5 March):
     opioid use, naloxone issued, OST clinic appointment 9 March (attended, checked
     9 March), HIV clinic appointment 11 March (no follow-up yet); finalized 5 March.

Person-days on treatment, 1-9 March
  W1 OST 1-9 March = 9 (pretrial); W2 OST 3-9 March = 7 (3 pretrial: 3-5 March,
  4 sentenced: 6-9 March); M1 ART 1-9 March = 9 (pretrial). Total 25.
  Female 16, male 9; OST 16, ART 9; pretrial 21, sentenced 4.

Interruption report
  all: 3 interruptions, 4 missed doses, 25 person-days, 12.0 per 100
  female: 2, 2, 16 -> 12.5        male: 1, 2, 9 -> 11.11
  pretrial: 2 (W1, M1), 3, 21 -> 9.52   sentenced: 1 (W2), 1, 4 -> 25.0
  by cause: court 1, refusal 1, documentation_gap 1 (no person-days per cause: the
    totals have the 25)

Indicators (period 1-9 March; coverage on 9 March)
  continuation_at_intake: W1 21 h, W2 2 h, M1 9 h after admission -> female 2/2, male 1/1,
    all 3/3 = 100.0; hours_to_first_dose median: female 11.5, male 9.0, all 9.0 (none
    outstanding).
  dose_coverage (held excluded): W1 7/8, W2 5/6 -> female 12/14 = 85.7; M1 7/9 = 77.8;
    all 19/23 = 82.6.
  interruption_rate: female 2/16 -> 12.5, male 1/9 -> 11.11, all 3/25 -> 12.0.
  intake_checklist_24h: 4 intake checklists (R1's admission is before the period:
    3 in the period); W2's completed within 24 hours -> female 1/2 = 50.0, male 0/1 = 0.0,
    all 1/3 = 33.3.
  alert_response_hours: 13 alerts opened 1-9 March (women 10, men 3); one (W1's court
    alert) acknowledged 3 hours after it opened -> female 3.0 (n 1, 9 outstanding =
    90.0 %); men no median (n 0, 3 outstanding = 100.0 %); all 3.0 (n 1, 12 = 92.3 %).
  release_plan_finalized: R1's plan finalized before her release -> female 1/1 = 100.0;
    naloxone_issued: R1 (opioid use in the plan) -> 1/1 = 100.0.
  first_appointment_attended: the OST (9 March) and HIV (11 March) appointments' 7-day
    follow-up windows end after 9 March: not judged yet -> no figure (0/0).
  ost_coverage (9 March): W1, W2 dependent and on OST; M1 dependent, no OST ->
    female 2/2 = 100.0 high, male 0/1 = 0.0 low, all 2/3 = 66.7 high.
  art_coverage: W1 positive, no ART -> female 0/1 = 0.0; M1 community ART and on
    ART -> male 1/1 = 100.0; all 1/2 = 50.0 (no guide band: see its guide_note).
  hiv_test_offered: W1 accepted, W2 declined, M1 not asked -> female 2/2, male 0/1,
    all 2/3 = 66.7; hiv_test_accepted: female 1/2 = 50.0, male 0/1 = 0.0, all 1/3 = 33.3
    (no guide band).
"""
from datetime import date, timedelta

from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models import Alert
from prisoncare.models.intake import ChecklistInstance
from prisoncare.models.medication import ScheduledDose
from prisoncare.models.release import ReleasePlan
from prisoncare.services import administration as mar
from prisoncare.services import alerts as alert_service
from prisoncare.services import (checklists, community_medication, orders, release,
                                 release_followup)
from tests.factories import admit, build_world, make_patient

from .test_release_support import complete_plan_data, make_providers
from .test_sweep_helpers import at, event, staff, sweep

FIRST, LAST = date(2026, 3, 1), date(2026, 3, 9)


def _order(patient, programme, drug, start, time_):
    order = orders.create_order(staff("clinician.a"), patient, {
        "programme": programme, "drug": drug, "dose": 60, "unit": "mg", "route": "oral",
        "schedule": {"times": [time_], "every_days": 1}, "start_at": start,
        "administration": "witnessed"}, now=clock.now())
    db.session.commit()
    return order


def _dose(order, day) -> ScheduledDose:
    from prisoncare.services.doses import generate_doses
    generate_doses(db.session, at(day, 0) - timedelta(days=1), at(day, 0) + timedelta(days=1),
                   clock.now(), patient_ids={order.patient_id})
    return db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.order_id == order.id, ScheduledDose.local_date == date(2026, 3, day))).one()


def _record(order, day, outcome="given", reason=None, who="nurse.a"):
    d = _dose(order, day)
    data = {"outcome": outcome, "administered_at": d.due_at}
    if outcome == "given":
        data["witnessed_by"] = who
    else:
        data["reason"] = reason or "recorded for the report test"
    mar.record_administration(staff(who), d, data, now=clock.now())
    db.session.commit()


def _community(patient, programme, drug, last_dose_at, who):
    community_medication.record_community_medication(staff(who), patient, {
        "programme": programme, "drug": drug, "dose": 60, "unit": "mg",
        "source": "patient_report", "last_dose_at": last_dose_at}, now=clock.now())
    db.session.commit()


def _answer(patient, item_id, answer, who):
    instance = db.session.scalars(select(ChecklistInstance).where(
        ChecklistInstance.patient_id == patient.id, ChecklistInstance.kind == "intake")).one()
    checklists.answer_item(staff(who), instance, item_id, answer, now=clock.now())
    db.session.commit()


def _complete_intake(patient, answers):
    """Every other visible item not applicable: the checklist is complete."""
    instance = db.session.scalars(select(ChecklistInstance).where(
        ChecklistInstance.patient_id == patient.id, ChecklistInstance.kind == "intake")).one()
    state = checklists.load_states([instance])[0]
    submitted = {item.id: ("not_applicable", None) for item in state.visible()}
    submitted.update({k: (v, None) for k, v in answers.items()})
    checklists.answer_items(staff("nurse.a"), instance, submitted, now=clock.now())
    db.session.commit()
    assert instance.completed_at is not None


def _plan_release(r1):
    """Release on 8 March planned: opioid use, naloxone issued, an OST and an HIV
    clinic appointment; finalized on 5 March."""
    make_providers()
    event(r1, "release_scheduled", at(5, 10), expected_at=at(8, 12))
    data = complete_plan_data()
    data["circumstances"] = {"opioid_use": True}
    data["referrals"] = [
        {"need": "ost", "provider": "OST-KYIV", "appointment_at": at(9, 8)},
        {"need": "art", "provider": "HIV-KYIV", "appointment_at": at(11, 8), "supply_days": 30}]
    release.update_plan(staff("release_officer.a"), r1, data, now=clock.now())
    release.finalize_plan(staff("release_officer.a"), r1, now=clock.now())
    db.session.commit()


def build_report_world():
    """The world above; returns the people by name."""
    build_world()
    clock.set_now(at(1, 9, 30))
    r1 = make_patient("R-1", born=date(1985, 3, 15))
    admit(r1, at=at(1, 9).replace(month=2, day=20))
    w1 = make_patient("W-1", born=date(1990, 1, 1))
    admit(w1, at=at(1, 9))
    m1 = make_patient("M-1", facility="FAC-B", sex="male", born=date(1980, 6, 1))
    admit(m1, facility="FAC-B", ward="M1", at=at(1, 9))
    db.session.commit()
    _community(w1, "ost", "Methadone", at(1, 5), "nurse.a")
    _community(m1, "art", "TDF/3TC/DTG", at(1, 5), "nurse.b")
    _answer(w1, "IN-09", "accepted", "nurse.a")
    _answer(w1, "IN-09a", "positive", "nurse.a")
    _answer(w1, "IN-16", "dependence_no_withdrawal", "nurse.a")
    _answer(m1, "IN-16", "dependence_no_withdrawal", "nurse.b")
    clock.set_now(at(1, 10))
    w1_ost = _order(w1, "ost", "Methadone oral solution", at(1, 10), "08:00")
    m1_art = orders.create_order(staff("clinician.b"), m1, {
        "programme": "art", "drug": "TDF/3TC/DTG", "dose": 1, "unit": "tablet", "route": "oral",
        "schedule": {"times": ["20:00"], "every_days": 1}, "start_at": at(1, 10),
        "administration": "witnessed"}, now=clock.now())
    db.session.commit()
    w2 = None
    for day in range(1, 10):
        if day == 3:
            clock.set_now(at(3, 8, 30))
            w2 = make_patient("W-2", born=date(2004, 5, 1))
            admit(w2, at=at(3, 8))
            _community(w2, "ost", "Methadone", at(3, 5), "nurse.a")
            _complete_intake(w2, {"IN-09": "declined", "IN-19": "not_disclosed", "IN-13": "no",
                                  "IN-01": "yes"})
            w2_ost = _order(w2, "ost", "Methadone oral solution", at(3, 9), "12:00")
        clock.set_now(at(day, 19))
        if day == 5:
            event(w1, "court_out", at(5, 5))
            event(w1, "court_return", at(5, 17))
        if day == 6:
            event(w2, "sentenced", at(6, 7))
        if day == 5:
            _plan_release(r1)
        if day == 8:
            event(r1, "release", at(8, 12), release_from="facility")
        if day == 9:
            plan = release.current_plan(r1) or db.session.scalars(select(ReleasePlan).where(
                ReleasePlan.patient_id == r1.id)).one()
            release_followup.record_follow_up(staff("release_officer.a"), plan, {
                "provider": "OST-KYIV", "attended": True, "checked_at": at(9, 10)},
                now=clock.now())
            db.session.commit()
        if day >= 2 and day != 5:
            _record(w1_ost, day)
        if w2 is not None:
            outcome = {6: "refused", 9: "held"}.get(day, "given")
            _record(w2_ost, day, outcome, who="clinician.a" if outcome == "held" else "nurse.a")
        clock.set_now(at(day, 19, 30))
        if day not in (7, 8):
            _record(m1_art, day, who="nurse.b")
        sweep(at(day, 20))
    court_alert = db.session.scalars(select(Alert).where(
        Alert.patient_id == w1.id, Alert.rule_code == "OST-E-02")).first()
    alert_service.acknowledge(staff("nurse.a"), court_alert, "seen",
                              now=court_alert.opened_at + timedelta(hours=3))
    db.session.commit()
    clock.set_now(at(10, 10))
    return {"W1": w1.id, "W2": w2.id, "M1": m1.id, "R1": r1.id}

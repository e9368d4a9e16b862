"""The hand-checked world's edge cases (issue 8 review): a transfer, two
programmes at once, an episode crossing a month and another the period's end,
holds by a nurse and by a clinician, PrEP beside treatment, an admission whose
24 hours end after the period, someone never dosed, and an appointment still to
come. Built with the real services and a sweep every day, like report_world.py.
FAC-A and FAC-C women's facilities in Europe/Kyiv (UTC+2); doses 08:00 Kyiv
(06:00 UTC) and 20:00 Kyiv (18:00 UTC).

People (all female, admitted to FAC-A on 20 February 09:00 UTC unless said)
  X3 born 1990-01-01. OST from 24 Feb 10:00 UTC (first dose 25 Feb). Given 25-26 Feb,
     refused 27 Feb-2 Mar, given 3-6 Mar, refused 7-9 Mar -> episode A 27 Feb-2 Mar
     (refusal, 4 missed doses: 2 in February, 2 in March), episode B 7 Mar, going on
     (refusal, 3 missed doses: 7, 8, 9 Mar). PrEP 20:00 from 28 Feb 19:00 UTC,
     refused 1-9 Mar (not a treatment programme: in no figure).
  T1 born 1995-06-01. OST from 28 Feb 10:00 UTC. Given 1-4 Mar; transfer out of FAC-A
     to FAC-C 5 Mar 04:00 UTC, in at FAC-C 7 Mar 05:00 UTC: 5 and 6 Mar absent ->
     episode 5-6 Mar, cause transfer, 2 missed doses, FAC-A's (the sending
     facility). Given 7 Mar, held by a clinician 8 Mar (a verified hold), given 9 Mar.
  P2 born 1985-01-01. OST 08:00 from 28 Feb 10:00 UTC and ART 20:00 from 28 Feb 19:00 UTC
     (21:00 Kyiv: first dose 1 Mar, 28 Feb a day on ART). OST given 1-7 Mar,
     held by a nurse 8 Mar (not verified), given 9 Mar. ART given 1-9 Mar but
     refused 4 Mar -> ART episode 4 Mar, refusal, 1 missed dose.
  N1 born 1992-01-01, admitted 2 Mar 09:00 UTC, community ART recorded (last dose 2 Mar
     07:00 Kyiv); no order: never dosed -> ART episode from 3 Mar (the day after her
     last community dose), cause intake_gap, going on, no dose missed (none scheduled),
     FAC-A's (the admitting facility); no person-days (no order).
  L1 born 1993-01-01, admitted 8 Mar 20:00 UTC (22:00 Kyiv, 8 March), community OST;
     OST order from 8 Mar 21:00 UTC (23:00 Kyiv), first dose 9 Mar 06:00 UTC given:
     10 hours after admission.
  R2 born 1980-01-01, released 25 Feb 12:00 UTC; plan: OST clinic appointment 26 Feb
     (attended, checked 28 Feb), HIV clinic appointment 12 Mar (still to come).

Interruption report, 1-8 March (period end: 8 March 24:00 Kyiv = 22:00 UTC)
  Interruptions (started 1-8 Mar): P2 4 Mar, N1 3 Mar, T1 5 Mar, X3 B 7 Mar = 4 (X3 A
    started in February: not counted).
  Missed doses due 1-8 Mar: X3 A 1, 2 Mar = 2; X3 B 7, 8 Mar = 2 (9 Mar is after the
    period); T1 5, 6 Mar = 2; P2 ART 4 Mar = 1 -> 7.
  Person-days per programme: X3 OST 8, T1 OST 8 (1-6 FAC-A, transit included; 7-8
    FAC-C), P2 OST 8 + ART 8, L1 OST 1 (8 Mar, the order's first local day) = 33;
    each person and day once: 8 + 8 + 8 + 1 = 25. Rate 4 / 33 = 12.12.
  By facility: FAC-A 4 interruptions, 7 missed, 8 + 6 + 16 + 1 = 31 days, 12.9;
    FAC-C 0, 0, 2, 0.0 (T1's transfer interruption is FAC-A's).
  By programme: ost 2 (T1, X3 B), 6 missed, 8 + 8 + 8 + 1 = 25, 8.0;
    art 2 (P2, N1), 1, 8, 25.0.
  By cause: intake_gap 1, 0; refusal 2, 5 missed (X3 A 2, X3 B 2, P2 1); transfer 1, 2;
    no person-days.
  1-9 March: X3 B's 9 March dose too -> 8 missed.
February (1-28 Feb): X3 A: 1 interruption, 2 missed (27, 28 Feb); person-days X3 OST
  24-28 Feb = 5, T1 OST, P2 OST, P2 ART 28 Feb = 3 -> 8; rate 12.5.

Indicators, 1-8 March
  dose_coverage (OST, ART, TB, HCV; verified holds left out): X3 OST 4/8; T1 OST 5/7
    (8 Mar clinician hold left out); P2 OST 7/8 (the nurse's hold counts as not
    given); P2 ART 7/8; X3 PrEP not counted -> 23/31 = 74.2.
  continuation_at_intake: N1 (2 Mar) never dosed -> 0/1; L1 is left out (her 24
    hours end 9 Mar 20:00 UTC, after the period's end). hours_to_first_dose: no
    median (n 0), 1 outstanding = 100.0 %.
  1-9 March (end 9 Mar 22:00 UTC): L1 in, dosed after 10 h -> 1/2 = 50.0; median
    10.0 over n 1, 1 outstanding (N1) = 50.0 %.
  first_appointment_attended, 20 Feb-9 Mar: R2's 26 Feb appointment (its 7-day
    follow-up window over by 5 Mar) attended -> 1/1 = 100.0; the 12 Mar one is not
    judged yet.
"""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models.medication import ScheduledDose
from prisoncare.services import administration
from prisoncare.services import community_medication, orders, release, release_followup
from tests.factories import admit, build_world, make_facility, make_patient

from .test_release_support import complete_plan_data, make_providers
from .test_sweep_helpers import event, staff, sweep

UTC = timezone.utc
MARCH = (date(2026, 3, 1), date(2026, 3, 8))


def on(day: date, hour, minute=0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def feb(day, hour=0, minute=0) -> datetime:
    return datetime(2026, 2, day, hour, minute, tzinfo=UTC)


def mar(day, hour=0, minute=0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def _order(patient, programme, drug, start, time_):
    order = orders.create_order(staff("clinician.a"), patient, {
        "programme": programme, "drug": drug, "dose": 60, "unit": "mg", "route": "oral",
        "schedule": {"times": [time_], "every_days": 1}, "start_at": start,
        "administration": "witnessed"}, now=clock.now())
    db.session.commit()
    return order


def _record(order, day: date, outcome="given", who="nurse.a", reason="recorded for the test"):
    from prisoncare.services.doses import generate_doses
    generate_doses(db.session, on(day, 0) - timedelta(days=1), on(day, 0) + timedelta(days=1),
                   clock.now(), patient_ids={order.patient_id})
    dose = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.order_id == order.id, ScheduledDose.local_date == day)).one()
    data = {"outcome": outcome, "administered_at": dose.due_at}
    if outcome == "given":
        data["witnessed_by"] = who
    else:
        data["reason"] = reason
    administration.record_administration(staff(who), dose, data, now=clock.now())
    db.session.commit()


def _community(patient, programme, drug, last_dose_at):
    community_medication.record_community_medication(staff("nurse.a"), patient, {
        "programme": programme, "drug": drug, "dose": 60, "unit": "mg",
        "source": "patient_report", "last_dose_at": last_dose_at}, now=clock.now())
    db.session.commit()


def _release_r2(r2):
    make_providers()
    event(r2, "release_scheduled", feb(23, 10), expected_at=feb(25, 12))
    data = complete_plan_data()
    data["referrals"] = [
        {"need": "ost", "provider": "OST-KYIV", "appointment_at": feb(26, 8)},
        {"need": "art", "provider": "HIV-KYIV", "appointment_at": mar(12, 8), "supply_days": 30}]
    release.update_plan(staff("release_officer.a"), r2, data, now=clock.now())
    release.finalize_plan(staff("release_officer.a"), r2, now=clock.now())
    db.session.commit()


def build_edge_world():
    clock.set_now(feb(19, 10))
    build_world()
    make_facility("FAC-C", population="women")
    db.session.commit()
    clock.set_now(feb(20, 9, 30))
    people = {}
    for name, born in (("X3", date(1990, 1, 1)), ("T1", date(1995, 6, 1)),
                       ("P2", date(1985, 1, 1)), ("R2", date(1980, 1, 1))):
        people[name] = make_patient(name, born=born)
        admit(people[name], at=feb(20, 9))
    db.session.commit()
    x3, t1, p2, r2 = (people[n] for n in ("X3", "T1", "P2", "R2"))
    clock.set_now(feb(20, 10))
    x3_ost = _order(x3, "ost", "Methadone oral solution", feb(24, 10), "08:00")
    clock.set_now(feb(23, 10, 30))
    _release_r2(r2)
    clock.set_now(feb(25, 12, 30))
    event(r2, "release", feb(25, 12), release_from="facility")
    clock.set_now(feb(28, 10))
    x3_prep = _order(x3, "prep", "TDF/FTC", feb(28, 19), "20:00")
    t1_ost = _order(t1, "ost", "Methadone oral solution", feb(28, 10), "08:00")
    p2_ost = _order(p2, "ost", "Methadone oral solution", feb(28, 10), "08:00")
    p2_art = _order(p2, "art", "TDF/3TC/DTG", feb(28, 19), "20:00")
    n1 = l1 = None
    day = date(2026, 2, 20)
    while day <= date(2026, 3, 9):
        clock.set_now(on(day, 19))
        if day == date(2026, 2, 28):
            release_followup.record_follow_up(
                staff("release_officer.a"), release.current_plan(r2) or _plan_of(r2),
                {"provider": "OST-KYIV", "attended": True, "checked_at": feb(28, 10)},
                now=clock.now())
            db.session.commit()
        if day == date(2026, 3, 2):
            n1 = make_patient("N1", born=date(1992, 1, 1))
            admit(n1, at=mar(2, 9))
            db.session.commit()
            _community(n1, "art", "TDF/3TC/DTG", mar(2, 5))
        if day == date(2026, 3, 5):
            event(t1, "transfer_scheduled", mar(5, 3), expected_at=mar(5, 4), to_facility="FAC-C")
            event(t1, "transfer_out", mar(5, 4), to_facility="FAC-C")
        if day == date(2026, 3, 7):
            event(t1, "transfer_in", mar(7, 5), facility="FAC-C", ward="A")
        if day == date(2026, 3, 3):     # four days refused: a clinician reviews her first
            from prisoncare.services import reviews
            reviews.record_review(staff("clinician.a"), x3, {
                "programme": "ost", "note": "Seen after four days refused"}, now=mar(3, 5))
            db.session.commit()
        if day >= date(2026, 2, 25):
            refused = (date(2026, 2, 27) <= day <= date(2026, 3, 2)
                       or day >= date(2026, 3, 7))
            _record(x3_ost, day, "refused" if refused else "given")
        if day >= date(2026, 3, 1):
            if day not in (date(2026, 3, 5), date(2026, 3, 6)):
                held = day == date(2026, 3, 8)
                _record(t1_ost, day, "held" if held else "given",
                        who="clinician.a" if held else "nurse.a",
                        reason="QTc prolonged: held by the prescriber")
            if day == date(2026, 3, 8):
                _record(p2_ost, day, "held", reason="drowsy at the hatch")
            else:
                _record(p2_ost, day)
        if day == date(2026, 3, 9):
            _record(l1_ost, day)
        clock.set_now(on(day, 19, 30))
        if day >= date(2026, 3, 1):
            _record(p2_art, day, "refused" if day == date(2026, 3, 4) else "given")
            _record(x3_prep, day, "refused")
        if day == date(2026, 3, 8):
            clock.set_now(mar(8, 20, 30))
            l1 = make_patient("L1", born=date(1993, 1, 1))
            admit(l1, at=mar(8, 20))
            db.session.commit()
            _community(l1, "ost", "Methadone", mar(8, 5))
            l1_ost = _order(l1, "ost", "Methadone oral solution", mar(8, 21), "08:00")
        sweep(on(day, 21, 30))
        day += timedelta(days=1)
    clock.set_now(mar(10, 10))
    return {name: p.id for name, p in {**people, "N1": n1, "L1": l1}.items()}


def _plan_of(patient):
    from prisoncare.models.release import ReleasePlan
    return db.session.scalars(select(ReleasePlan).where(ReleasePlan.patient_id == patient.id)).one()

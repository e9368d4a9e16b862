"""The rules added to the sweep, as tables against the database: transfers without a
handover (OST-T-01, ART-T-01, TB-06, HCV-T-01), missed ART doses in a window (ART-02),
the TB ladders by treatment phase (TB-01/02/03; TB-04 in any phase), the Bangkok tasks
(BR-01, BR-02), and ladder rungs superseded by the next one (services, controlled clock)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS
from prisoncare.models.interruptions import InterruptionEpisode
from prisoncare.models.intake import ChecklistInstance
from prisoncare.services import checklists, orders, transfer_handovers
from tests.factories import admit, build_world, make_patient

from .test_sweep_helpers import alerts, at, event, give, on_methadone, staff, sweep

EVALUATE = [j for j in JOBS if j.id == "evaluate-rules"]
DRUGS = {"ost": "Methadone oral solution", "tb": "Rifampicin/isoniazid", "art": "TLD",
         "hcv": "Sofosbuvir/velpatasvir"}
ENVELOPE = "Collect the sealed health envelope from the health unit before departure."


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def state(patient, prefix=""):
    """{rule: (status, resolve note)} of her alerts whose rule starts with `prefix`."""
    return {a.rule_code: (a.status, a.resolve_note) for a in alerts(patient)
            if a.rule_code.startswith(prefix)}


# ------------------------------------------------------------- transfer handover

def plan_transfer(patient, hours_ahead, when=None):
    when = when or clock.now()
    return event(patient, "transfer_scheduled", when, expected_at=when + timedelta(hours=hours_ahead),
                 to_facility="FAC-B")


def hand_over(patient, programmes, **extra):
    data = {"programmes": programmes, "prescription_sent": True, "last_dose_at": at(9, 6),
            "take_home_doses": 0, "treatment_card_sent": True, "tb_doses_remaining": 40, **extra}
    row = transfer_handovers.record_handover(staff("nurse.a"), patient, data, now=clock.now())
    db.session.commit()
    return row


@pytest.mark.parametrize("programme, hours_ahead, handed_over, expected", [
    ("ost", 10, None, {"OST-T-01": ("open", None)}),
    ("ost", 24, None, {"OST-T-01": ("open", None)}),
    ("ost", 30, None, {}),                           # too early to ask (within_hours = 24)
    ("ost", 10, ["ost"], {}),                        # sent before the sweep looked
    ("tb", 10, None, {"TB-06": ("open", None)}),
    ("tb", 10, ["tb"], {}),
    ("art", 10, None, {"ART-T-01": ("open", None)}),
    ("art", 30, None, {}),
    ("art", 10, ["art"], {}),
    ("hcv", 10, None, {"HCV-T-01": ("open", None)}),
    ("hcv", 30, None, {}),
    ("hcv", 10, ["hcv"], {}),
])
def test_transfer_without_handover(w, programme, hours_ahead, handed_over, expected):
    patient, order = on_methadone(programme=programme, drug=DRUGS[programme])
    clock.set_now(at(9, 8))
    give(order, 9)
    plan_transfer(patient, hours_ahead)
    if handed_over:
        hand_over(patient, handed_over)
    sweep(at(9, 9))
    assert {k: v for k, v in state(patient).items()
            if k.endswith("-T-01") or k == "TB-06"} == expected


def test_the_handover_resolves_the_alert_and_custody_gets_only_a_task(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 9)
    plan_transfer(patient, 12)
    sweep(at(9, 9))
    [alert] = [a for a in alerts(patient) if a.rule_code == "OST-T-01"]
    assert (alert.severity, alert.role, alert.status) == ("high", "nurse", "open")
    assert alert.cause_event_type == "transfer_scheduled"
    assert alert.custody_message == ("Collect the sealed health envelope from the health unit "
                                     "before departure.")
    clock.set_now(at(9, 10))
    row = hand_over(patient, ["ost"])
    db.session.expire_all()
    [alert] = [a for a in alerts(patient) if a.rule_code == "OST-T-01"]
    assert (alert.status, alert.resolved_by_id) == ("resolved", staff("nurse.a").id)
    assert alert.resolve_note == f"Transfer handover #{row.id} recorded by nurse.a."
    sweep(at(9, 11))                                 # nothing raised again for this move
    assert [a.status for a in alerts(patient) if a.rule_code == "OST-T-01"] == ["resolved"]


@pytest.mark.parametrize("programme, rule", [("art", "ART-T-01"), ("hcv", "HCV-T-01")])
def test_art_and_hcv_transfers_give_custody_only_the_envelope_task(w, programme, rule):
    from prisoncare.presenters import alert_dict
    from prisoncare.services.alerts import list_alerts
    patient, order = on_methadone(programme=programme, drug=DRUGS[programme])
    clock.set_now(at(9, 8))
    give(order, 9)
    plan_transfer(patient, 12)
    sweep(at(9, 9))
    [alert] = [a for a in alerts(patient) if a.rule_code == rule]
    assert (alert.severity, alert.role, alert.status) == ("high", "nurse", "open")
    assert alert.custody_message == ENVELOPE
    custody = staff("custody.a")
    seen, _ = list_alerts(custody, patient_id=patient.id, now=clock.now())
    shown = [alert_dict(a, custody) for a in seen]
    assert [(d["rule"], d["programme"], d["action"], d["message"]) for d in shown
            if d["id"] == alert.id] == [("custody_task", None, None, ENVELOPE)]
    assert all(d["programme"] is None and d["action"] is None for d in shown)
    assert not any(word in d["message"] for d in shown for word in ("ART", "HCV", "prescription"))
    clock.set_now(at(9, 10))
    row = hand_over(patient, [programme])
    db.session.expire_all()
    assert state(patient, rule)[rule] == ("resolved",
                                          f"Transfer handover #{row.id} recorded by nurse.a.")


def test_an_unplanned_transfer_under_way_raises_and_a_new_move_needs_a_new_handover(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 9)
    plan_transfer(patient, 4)
    hand_over(patient, ["ost"])
    clock.set_now(at(9, 12))
    event(patient, "transfer_out", at(9, 11), to_facility="FAC-B")
    sweep(at(9, 12))
    assert "OST-T-01" not in state(patient)          # the handover covers the move
    clock.set_now(at(9, 15))
    event(patient, "transfer_in", at(9, 15), facility="FAC-B", ward="M1")
    clock.set_now(at(10, 8))
    event(patient, "transfer_out", at(10, 8), to_facility="FAC-A")   # no plan, no handover
    sweep(at(10, 9))
    assert state(patient, "OST-T")["OST-T-01"] == ("open", None)


# ------------------------------------------------------------------ ART-02

@pytest.mark.parametrize("times, not_given, expected", [
    (("09:00",), [], False),
    (("09:00",), [(10, 0)], False),
    (("09:00",), [(10, 0), (12, 0)], True),
    (("09:00",), [(9, 0), (15, 0)], True),           # 9th..15th: one 7-day window
    (("09:00",), [(9, 0), (16, 0)], False),          # 8 days apart
    (("09:00", "21:00"), [(12, 0), (12, 1)], True),  # two doses on one day count two
])
def test_art_doses_missed_in_a_week(w, times, not_given, expected):
    from prisoncare.models.medication import ScheduledDose
    from prisoncare.services import administration as mar
    from .test_sweep_helpers import dose
    clock.set_now(at(7, 12))
    patient, order = on_methadone(programme="art", drug=DRUGS["art"], times=times)
    skip = set(not_given)
    for day in range(8, 17):
        clock.set_now(at(day, 20))
        dose(order, day)
        doses = db.session.scalars(select(ScheduledDose).where(
            ScheduledDose.order_id == order.id, ScheduledDose.local_date == date(2026, 3, day))
            .order_by(ScheduledDose.due_at)).all()
        for n, d in enumerate(doses):
            if (day, n) not in skip:
                mar.record_administration(staff("nurse.a"), d, {
                    "outcome": "given", "witnessed_by": "nurse.a", "administered_at": d.due_at},
                    now=clock.now())
        db.session.commit()
        sweep(at(day, 23))                           # the nightly sweeps mark them missed
    found = [a for a in alerts(patient) if a.rule_code == "ART-02"]
    assert bool(found) is expected
    if expected:
        [alert] = found
        assert (alert.severity, alert.role) == ("warning", "clinician")
        sweep(at(16, 23, 30))                        # one alert per run, not per sweep
        assert len([a for a in alerts(patient) if a.rule_code == "ART-02"]) == 1


# ------------------------------------------------------------ TB phase ladders

def tb_episode(patient, length, start=date(2026, 3, 1)):
    db.session.add(InterruptionEpisode(
        patient_id=patient.id, facility_id=patient.facility_id, programme="tb", start_on=start,
        end_on=None, length_days=length, missed_days=length, missed_doses=length, held_days=0,
        cause="documentation_gap", cause_days={"documentation_gap": length}))
    db.session.commit()


@pytest.mark.parametrize("phase, length, expected", [
    ("intensive", 1, {"TB-02": ("open", None)}),
    ("intensive", 13, {"TB-02": ("open", None)}),
    ("intensive", 14, {"TB-02": ("resolved", "superseded by TB-01"), "TB-01": ("open", None)}),
    ("continuation", 13, {}),
    ("continuation", 55, {}),
    ("continuation", 56, {"TB-03": ("open", None), "TB-04": ("open", None)}),
    # TB-04 (>= 56 days in any phase: record the outcome as lost to follow-up)
    ("intensive", 56, {"TB-02": ("resolved", "superseded by TB-01"), "TB-01": ("open", None),
                       "TB-04": ("open", None)}),
])
def test_tb_ladders_follow_the_phase_of_the_order(w, phase, length, expected):
    clock.set_now(at(1, 12))
    patient = make_patient("TB-1")
    admit(patient, at=at(1, 9))
    order = orders.create_order(staff("clinician.a"), patient, {
        "programme": "tb", "drug": DRUGS["tb"], "dose": 600, "unit": "mg", "route": "oral",
        "schedule": {"times": ["08:00"]}, "start_at": at(1, 10), "administration": "witnessed",
        "phase": phase}, now=clock.now())
    db.session.commit()
    assert order.phase == phase
    tb_episode(patient, length)
    sweep(at(20, 12), EVALUATE)
    assert state(patient, "TB-") == expected


def test_the_phase_in_force_when_the_interruption_began_counts(w):
    clock.set_now(at(1, 12))
    patient = make_patient("TB-2")
    admit(patient, at=at(1, 9))
    first = orders.create_order(staff("clinician.a"), patient, {
        "programme": "tb", "drug": DRUGS["tb"], "dose": 600, "unit": "mg", "route": "oral",
        "schedule": {"times": ["08:00"]}, "start_at": at(1, 10), "administration": "witnessed"},
        now=clock.now())
    assert first.phase == "intensive"                # the default of a new TB order
    clock.set_now(at(5, 12))
    second = orders.change_order(staff("clinician.a"), first, {"phase": "continuation"},
                                 now=clock.now())
    db.session.commit()
    assert (second.phase, second.version) == ("continuation", 2)
    tb_episode(patient, 20, start=date(2026, 3, 3))   # began in the intensive phase
    sweep(at(20, 12), EVALUATE)
    assert state(patient, "TB-")["TB-01"] == ("open", None)


# ---------------------------------------------------------- BR-01 and BR-02

RULE6 = {"IN-09": "declined", "IN-12": "no_risk_identified", "IN-13": "declined",
         "IN-16": "no_dependence", "IN-19": "declined"}
CHILDREN = {"IN-03": "no_caring_responsibilities", "IN-04": "not_applicable"}


def answer(patient, answers, hours_after):
    instance = db.session.scalar(select(ChecklistInstance).where(
        ChecklistInstance.patient_id == patient.id, ChecklistInstance.kind == "intake"))
    clock.set_now(at(2, 8) + timedelta(hours=hours_after))
    checklists.answer_items(staff("nurse.a"), instance, {k: (v, None) for k, v in answers.items()},
                            now=clock.now())
    db.session.commit()


@pytest.mark.parametrize("sex, answers, answered_h, sweep_h, expected", [
    ("female", {**RULE6, **CHILDREN}, 20, 30, {}),
    ("female", {}, None, 23, {}),
    ("female", {}, None, 25, {"BR-01": ("open", None), "BR-02": ("open", None)}),
    ("female", RULE6, 20, 30, {"BR-02": ("open", None)}),
    ("female", {**RULE6, "IN-03": "arrangements_made"}, 20, 30, {"BR-02": ("open", None)}),
    ("female", {**RULE6, **CHILDREN}, 26, 30, {
        "BR-01": ("resolved", "Done 2026-03-03 12:00 Kyiv time."),     # done late: raised, resolved
        "BR-02": ("resolved", "Done 2026-03-03 12:00 Kyiv time.")}),
    ("male", {}, None, 30, {}),
])
def test_bangkok_tasks_overdue(w, sex, answers, answered_h, sweep_h, expected):
    clock.set_now(at(2, 8))
    patient = make_patient("W-1", sex=sex, facility="FAC-A" if sex == "female" else "FAC-B")
    admit(patient, facility="FAC-A" if sex == "female" else "FAC-B",
          ward="A" if sex == "female" else "M1", at=at(2, 8))
    db.session.commit()
    if answers:
        answer(patient, answers, answered_h)
    sweep(at(2, 8) + timedelta(hours=sweep_h), EVALUATE)
    assert state(patient, "BR-") == expected


def test_an_overdue_screen_resolves_when_done(w):
    clock.set_now(at(2, 8))
    patient = make_patient("W-2")
    admit(patient, at=at(2, 8))
    db.session.commit()
    sweep(at(3, 9), EVALUATE)
    [alert] = [a for a in alerts(patient) if a.rule_code == "BR-01"]
    assert (alert.severity, alert.role, alert.cause_event_type) == ("warning", "nurse", "admission")
    assert "outstanding: IN-09, IN-12, IN-13, IN-16, IN-19" in alert.message
    answer(patient, RULE6, 27)
    sweep(at(3, 12), EVALUATE)
    assert state(patient, "BR-01") == {"BR-01": ("resolved", "Done 2026-03-03 13:00 Kyiv time.")}


# --------------------------------------------------------- superseded rungs

def test_each_higher_rung_resolves_the_one_below(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(10, 20))
    assert state(patient, "OST-M") == {"OST-M-01": ("open", None)}
    sweep(at(11, 20))
    assert state(patient, "OST-M") == {"OST-M-01": ("resolved", "superseded by OST-M-02"),
                                       "OST-M-02": ("open", None)}
    sweep(at(12, 20))
    assert state(patient, "OST-M") == {"OST-M-01": ("resolved", "superseded by OST-M-02"),
                                       "OST-M-02": ("resolved", "superseded by OST-M-03"),
                                       "OST-M-03": ("open", None)}


def test_an_acknowledged_rung_is_superseded_too_and_a_pregnancy_alert_stays(w):
    from prisoncare.models.srh import Pregnancy
    from prisoncare.services import alerts as alert_service
    patient, order = on_methadone()
    db.session.add(Pregnancy(patient_id=patient.id, dating_method="lmp",
                             lmp_on=date(2025, 12, 1), due_on=date(2026, 9, 7)))
    db.session.commit()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(10, 20))
    [first] = [a for a in alerts(patient) if a.rule_code == "OST-M-01"]
    alert_service.acknowledge(staff("nurse.a"), first, "calling the ward", now=at(10, 21))
    db.session.commit()
    sweep(at(11, 20))
    assert state(patient, "OST-") == {"OST-M-01": ("resolved", "superseded by OST-M-02"),
                                      "OST-M-02": ("open", None), "OST-P-01": ("open", None)}


def test_a_screen_done_weeks_late_still_resolves_its_alert(w):
    clock.set_now(at(2, 8))
    patient = make_patient("W-3")
    admit(patient, at=at(2, 8))
    db.session.commit()
    sweep(at(3, 9), EVALUATE)
    assert state(patient, "BR-01") == {"BR-01": ("open", None)}
    answer(patient, RULE6, 24 * 18)                  # 20 March: beyond the 14-day lookback
    sweep(at(20, 12), EVALUATE)
    assert state(patient, "BR-01") == {"BR-01": ("resolved", "Done 2026-03-20 10:00 Kyiv time.")}

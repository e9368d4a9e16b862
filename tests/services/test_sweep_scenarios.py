"""The sweep as a clinician would tell it: court days, missed days, release from
court, community methadone not continued (services, controlled clock)."""
from datetime import date

import pytest

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.models.interruptions import DoseMark
from prisoncare.services import administration as mar
from tests.factories import build_world

from .test_sweep_helpers import (alerts, at, court_day, dose, episodes, event, give,
                                 on_community_methadone, on_methadone, staff, sweep)


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def test_a_court_day_loses_the_dose_and_tells_the_nurse_and_the_escort(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    clock.set_now(at(10, 18))
    court_day(patient, 10)                       # 07:00-19:00 Kyiv: the 08:00 dose is lost
    summary = sweep(at(10, 18))
    lost = dose(order, 10)
    assert lost.status == "absent"
    mark = db.session.get(DoseMark, lost.id) or db.session.scalars(
        db.select(DoseMark).where(DoseMark.dose_id == lost.id)).one()
    assert (mark.mark, mark.cause, mark.custody_event.type) == ("absent", "court", "court_out")
    [episode] = episodes(patient)
    assert (episode.start_on, episode.end_on, episode.length_days, episode.missed_days,
            episode.missed_doses, episode.cause, episode.drug_family) == (
        date(2026, 3, 10), None, 1, 1, 1, "court", "methadone")
    assert episode.cause_event.type == "court_out"
    by_rule = {a.rule_code: a for a in alerts(patient) if a.rule_code.startswith("OST")}
    assert set(by_rule) == {"OST-E-02", "OST-M-01"}
    court = by_rule["OST-E-02"]
    assert (court.severity, court.role, court.cause_event_type) == ("high", "nurse", "court_out")
    assert court.custody_message and "methadone" not in court.custody_message.lower()
    assert summary["interruptions"].startswith("1 opened")
    # dosed on her return: the day is covered, the episode goes at the next sweep
    clock.set_now(at(10, 18, 30))
    give(order, 10, when=at(10, 17, 30))
    sweep(at(10, 18, 30))
    assert dose(order, 10).status == "given" and episodes(patient) == []


def test_three_court_days_reach_the_high_rung_and_block_dosing_until_reviewed(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    for day in (10, 11, 12):
        clock.set_now(at(day, 18))
        court_day(patient, day)
        sweep(at(day, 18))
    [episode] = episodes(patient)
    assert (episode.length_days, episode.missed_days, episode.cause) == (3, 3, "court")
    rules = sorted(a.rule_code for a in alerts(patient) if a.rule_code.startswith("OST"))
    assert rules == ["OST-E-02", "OST-E-02", "OST-E-02", "OST-M-01", "OST-M-02", "OST-M-03"]
    high = next(a for a in alerts(patient) if a.rule_code == "OST-M-03")
    assert (high.severity, high.role) == ("high", "clinician")
    clock.set_now(at(13, 6))
    tomorrow = dose(order, 13)
    assert tomorrow.id in mar.review_blocked([tomorrow])


def test_released_from_court_on_methadone_is_critical(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(9, 8))                              # the scheduler made the next day's dose
    clock.set_now(at(10, 12))
    event(patient, "court_out", at(10, 5))
    event(patient, "release", at(10, 11), release_from="court")
    sweep(at(10, 12))
    release = next(a for a in alerts(patient) if a.rule_code == "OST-R-03")
    assert (release.severity, release.cause_event_type) == ("critical", "release")
    assert release.custody_message
    [episode] = episodes(patient)
    assert (episode.end_on, episode.cause_days) == (date(2026, 3, 10), {"court": 1})
    sweep(at(11, 12))
    [episode] = episodes(patient)
    # the court day's dose was lost, and she left without supply: closed the day after
    assert episode.start_on == date(2026, 3, 10) and episode.end_on == date(2026, 3, 11)
    assert dict(episode.cause_days) == {"court": 1, "release_without_supply": 1}


def test_community_methadone_not_continued_within_24_hours(w):
    patient = on_community_methadone()
    sweep(at(9, 20))
    assert [a.rule_code for a in alerts(patient) if a.rule_code.startswith("OST-E")] == []
    sweep(at(10, 5))
    [late] = [a for a in alerts(patient) if a.rule_code == "OST-E-01"]
    assert (late.severity, late.cause_event_type) == ("high", "admission")
    [episode] = episodes(patient)
    assert (episode.start_on, episode.cause, episode.end_on) == (date(2026, 3, 9), "intake_gap", None)


def test_an_unrecorded_day_becomes_missed_after_the_grace_window_and_a_late_entry_undoes_it(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(10, 11))                            # 5 h after 08:00 Kyiv: still in grace
    assert dose(order, 10).status == "due" and episodes(patient) == []
    sweep(at(10, 12))                            # 6 h: missed
    assert dose(order, 10).status == "missed"
    [episode] = episodes(patient)
    assert (episode.cause, episode.missed_days) == ("documentation_gap", 1)
    clock.set_now(at(11, 9))
    give(order, 10)                              # a late entry: she was dosed after all
    sweep(at(11, 9))
    assert dose(order, 10).status == "given"
    assert episodes(patient) == []
    # ...and a correction (void) brings the missed day back at the next sweep
    clock.set_now(at(11, 10))
    mar.void_administration(staff("nurse.a"), dose(order, 10), "wrong patient", now=clock.now())
    db.session.commit()
    sweep(at(11, 10))
    assert dose(order, 10).status == "missed"
    assert [e.start_on for e in episodes(patient)] == [date(2026, 3, 10)]


def test_a_court_trip_entered_late_turns_missed_into_absent(w):
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(10, 20))
    assert dose(order, 10).status == "missed"
    clock.set_now(at(10, 21))
    court_day(patient, 10)                       # the escort's record arrives late
    sweep(at(10, 21))
    assert dose(order, 10).status == "absent"
    [episode] = episodes(patient)
    assert episode.cause == "court"
    assert "OST-E-02" in {a.rule_code for a in alerts(patient)}


def test_a_missed_day_in_pregnancy_is_high_for_the_prescriber(w):
    from prisoncare.models.srh import Pregnancy
    patient, order = on_methadone()
    db.session.add(Pregnancy(patient_id=patient.id, dating_method="lmp",
                             lmp_on=date(2025, 12, 1), due_on=date(2026, 9, 7)))
    db.session.commit()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    sweep(at(10, 20))                            # the 10th went unrecorded
    pregnant = [a for a in alerts(patient) if a.rule_code == "OST-P-01"]
    assert [(a.severity, a.role) for a in pregnant] == [("high", "clinician")]


def court_tomorrow_with_a_dose_due():
    """Methadone given on the 8th and 9th; court at 07:00 Kyiv on the 10th, before the
    08:00 dose; swept the evening before. Returns the OST-PRE-01 alert."""
    patient, order = on_methadone()
    clock.set_now(at(9, 8))
    give(order, 8)
    give(order, 9)
    event(patient, "court_scheduled", at(9, 8), expected_at=at(10, 5))   # 07:00 Kyiv
    sweep(at(9, 20))
    [task] = [a for a in alerts(patient) if a.rule_code == "OST-PRE-01"]
    return task


def test_a_court_date_with_a_dose_due_asks_for_the_dose_before_departure(w):
    task = court_tomorrow_with_a_dose_due()
    assert task.custody_message == ("Bring the person to the health unit before departure; the "
                                    "escort carries any sealed health envelope the nurse "
                                    "hands over.")
    assert task.cause_event_type == "court_scheduled"
    # the nurse reads the departure in her own time, not in UTC
    assert "leaving 2026-03-10 07:00 Kyiv time" in task.message


def test_an_overdue_checklist_alert_closes_when_the_checklist_is_done(w):
    from prisoncare.models.intake import ChecklistInstance
    patient, _order = on_methadone()
    sweep(at(9, 20))
    [overdue] = [a for a in alerts(patient) if a.rule_code == "CHK-01"]
    assert overdue.status == "open"
    intake = db.session.get(ChecklistInstance, int(overdue.dedup_key.rsplit(":", 1)[1]))
    intake.completed_at = at(9, 21)               # the nurse answered the last item
    db.session.commit()
    sweep(at(9, 22))
    db.session.refresh(overdue)
    assert (overdue.status, overdue.resolve_note) == ("resolved", "Done 2026-03-09 23:00 Kyiv time.")
    sweep(at(9, 22))                              # a second sweep changes nothing
    db.session.refresh(overdue)
    assert overdue.resolved_at == at(9, 22)


def test_the_before_departure_task_closes_when_the_absence_is_over(w):
    task = court_tomorrow_with_a_dose_due()
    sweep(at(10, 16))                             # court days last 12 h: still away
    db.session.refresh(task)
    assert task.status == "open"
    sweep(at(10, 17, 30))
    db.session.refresh(task)
    assert (task.status, task.resolve_note) == ("resolved", "The planned absence is over.")

"""SRH rules as tables: dating, antenatal contacts, screening, child schedules,
protection flags, and the schedule files' shape."""
from datetime import date, datetime, timedelta, timezone

import pytest

from prisoncare.rules import srh

UTC = timezone.utc


def midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_every_schedule_file_loads_and_every_entry_cites_a_source():
    assert {"srh_screening", "srh_immunisation", "srh_protection"} <= set(srh.load_all())
    for stem, data in srh.load_all().items():
        assert data["meta"]["source"], stem
        for name, entries in data.items():
            if name != "meta":
                assert all(e["source"].strip() for e in entries), (stem, name)


@pytest.mark.parametrize("stem,data,problem", [
    ("srh_screening", {"meta": {"title": "t", "version": 1, "source": "s"}}, "needs at least one [[screening]]"),
    ("srh_screening", {"meta": {"title": "t", "version": 1, "source": "s"}, "screening": [
        {"kind": "x", "name": "x", "start_age": 25, "end_age": 65, "interval_months": 36,
         "abnormal_repeat_months": 12}]}, "#1 needs source"),
    ("srh_screening", {"meta": {"title": "t", "version": 1, "source": "s"}, "screening": [
        {"kind": "x", "name": "x", "start_age": 25, "end_age": 65, "interval_months": -1,
         "abnormal_repeat_months": 12, "source": "s", "colour": "red"}]}, "unknown key colour"),
    ("srh_immunisation", {"meta": {"title": "t", "version": 1, "source": "s", "overdue_days": 28},
                          "dose": [{"code": "b", "name": "b", "due_days": 0, "source": "s"}]},
     "overdue_days needs overdue_days_source"),
    ("srh_protection", {"meta": {"title": "t", "version": 1, "source": "s"}, "flags": []},
     "unknown table flags"),
])
def test_a_malformed_schedule_is_refused_naming_the_problem(stem, data, problem):
    with pytest.raises(srh.ScheduleError, match=problem.replace("[", r"\[").replace("]", r"\]")):
        srh.validate_schedule(stem, data)


@pytest.mark.parametrize("lmp,due", [
    (date(2025, 10, 1), date(2026, 7, 8)),
    (date(2024, 2, 29), date(2024, 12, 5)),
    (date(2026, 1, 1), date(2026, 10, 8)),
])
def test_due_date_from_last_menstrual_period(lmp, due):
    assert srh.due_date_from_lmp(lmp) == due


@pytest.mark.parametrize("scan_on,weeks,days,due", [
    (date(2026, 3, 10), 12, 0, date(2026, 9, 22)),
    (date(2026, 3, 10), 20, 3, date(2026, 7, 25)),
    (date(2026, 3, 10), 40, 0, date(2026, 3, 10)),
])
def test_due_date_from_a_dating_scan(scan_on, weeks, days, due):
    assert srh.due_date_from_scan(scan_on, weeks, days) == due


@pytest.mark.parametrize("due,day,shown", [
    (date(2026, 7, 8), date(2026, 3, 10), "22+6"),
    (date(2026, 7, 8), date(2026, 7, 8), "40+0"),
    (date(2026, 7, 8), date(2026, 7, 15), "41+0"),
    (date(2026, 7, 8), date(2025, 10, 1), "0+0"),
])
def test_gestation_in_weeks_and_days(due, day, shown):
    assert str(srh.gestation_on(due, day)) == shown


def test_no_gestation_before_the_dating_start():
    assert srh.gestation_on(date(2026, 7, 8), date(2025, 9, 30)) is None


RECORDED = datetime(2026, 3, 10, 10, tzinfo=UTC)


@pytest.mark.parametrize("drug_dependent,now,booking_status,booking_due", [
    (False, RECORDED, "due", RECORDED + timedelta(days=7)),
    (False, RECORDED + timedelta(days=7, minutes=1), "overdue", RECORDED + timedelta(days=7)),
    (True, RECORDED + timedelta(hours=23), "due", RECORDED + timedelta(hours=24)),
    (True, RECORDED + timedelta(hours=25), "overdue", RECORDED + timedelta(hours=24)),
])
def test_booking_within_7_days_or_24_hours_if_drug_dependent(drug_dependent, now, booking_status,
                                                            booking_due):
    plan = srh.antenatal_schedule(due_on=date(2026, 9, 22), recorded_at=RECORDED,
                                  drug_dependent=drug_dependent, contacts_on=[], now=now,
                                  local_midnight=midnight)
    assert (plan[0].number, plan[0].status, plan[0].due_at) == (1, booking_status, booking_due)


@pytest.mark.parametrize("due_on,numbers", [
    (date(2026, 9, 22), [1, 2, 3, 4, 5, 6, 7, 8]),     # booked at 12 weeks: all eight
    (date(2026, 7, 8), [1, 3, 4, 5, 6, 7, 8]),          # booked at 23 weeks: week 20 passed
    (date(2026, 4, 1), [1, 7, 8]),                      # booked at 36+6: only 38 and 40 left
])
def test_a_late_booking_schedules_only_the_contacts_still_ahead(due_on, numbers):
    plan = srh.antenatal_schedule(due_on=due_on, recorded_at=RECORDED, drug_dependent=False,
                                  contacts_on=[], now=RECORDED, local_midnight=midnight)
    assert [c.number for c in plan] == numbers


def test_recorded_contacts_satisfy_the_schedule_in_order():
    plan = srh.antenatal_schedule(due_on=date(2026, 9, 22), recorded_at=RECORDED, drug_dependent=False,
                                  contacts_on=[date(2026, 3, 12)], now=datetime(2026, 5, 8, tzinfo=UTC),
                                  local_midnight=midnight)
    assert [c.status for c in plan[:3]] == ["done", "due", "upcoming"]
    assert plan[0].done_on == date(2026, 3, 12)
    assert plan[1].due_at == midnight(date(2026, 5, 12))  # week 20 starts 5 May, + 7 days grace


@pytest.mark.parametrize("kind,born,last_on,result,today,due_on,status", [
    ("cervical", date(1990, 1, 1), None, None, date(2026, 3, 10), date(2026, 3, 10), "due"),
    ("cervical", date(1990, 1, 1), date(2024, 3, 1), "normal", date(2026, 3, 10), date(2027, 3, 1), "upcoming"),
    ("cervical", date(1990, 1, 1), date(2025, 1, 1), "abnormal", date(2026, 3, 10), date(2026, 1, 1), "overdue"),
    ("cervical", date(2005, 6, 1), None, None, date(2026, 3, 10), date(2030, 6, 1), "upcoming"),
    ("cervical", date(1955, 1, 1), None, None, date(2026, 3, 10), None, "not_eligible"),
    ("breast", date(1990, 1, 1), None, None, date(2026, 3, 10), date(2040, 1, 1), "upcoming"),
    ("breast", date(1970, 6, 1), date(2025, 1, 5), "normal", date(2026, 3, 10), date(2027, 1, 5), "upcoming"),
    ("breast", date(1970, 6, 1), date(2024, 1, 5), "normal", date(2026, 3, 10), date(2026, 1, 5), "overdue"),
    ("breast", date(1956, 4, 1), date(2025, 3, 1), "normal", date(2026, 3, 10), None, "not_eligible"),
    ("cervical_hiv", date(2000, 1, 1), date(2023, 3, 1), "normal", date(2026, 3, 10), date(2026, 3, 1), "overdue"),
])
def test_screening_due_from_age_and_last_result(kind, born, last_on, result, today, due_on, status):
    got = srh.screening_due(kind, born=born, today=today, last_on=last_on, last_result=result)
    assert (got.due_on, got.status) == (due_on, status)


@pytest.mark.parametrize("age_days,given,expect", [
    (0, set(), {"bcg": "due", "penta1": "upcoming"}),
    (30, set(), {"bcg": "overdue", "hepb_birth": "overdue", "penta1": "upcoming"}),
    (45, {"bcg", "hepb_birth", "opv0"}, {"bcg": "done", "penta1": "due", "mcv1": "upcoming"}),
    (300, {"penta1"}, {"penta1": "done", "penta3": "overdue", "mcv1": "due"}),
])
def test_immunisation_schedule(age_days, given, expect):
    today = date(2026, 3, 10)
    rows = {r["code"]: r["status"] for r in srh.immunisations_due(today - timedelta(days=age_days),
                                                                  given, today)}
    assert {k: rows[k] for k in expect} == expect


@pytest.mark.parametrize("feeding,age_days,done,expect", [
    ("breastfed", 10, {"nat_birth"}, {"nat_birth": "done", "nat_6w": "upcoming"}),
    ("replacement", 50, set(), {"nat_birth": "overdue", "nat_6w": "due"}),
    ("breastfed", 60, {"nat_6w"}, {"nat_6w": "done", "nat_9m": "upcoming"}),
])
def test_hiv_exposed_infant_testing(feeding, age_days, done, expect):
    today = date(2026, 3, 10)
    plan = srh.infant_hiv_schedule(today - timedelta(days=age_days), feeding=feeding, tests_done=done,
                                   prophylaxis_started=True, today=today)
    rows = {t["code"]: t["status"] for t in plan["tests"]}
    assert {k: rows[k] for k in expect} == expect
    assert plan["prophylaxis"]["weeks"] == 6


@pytest.mark.parametrize("born_h,arrived_h,due_h", [(0, 0, 12), (0, 48, 60), (5, 0, 17)])
def test_infant_prophylaxis_due_after_birth_or_arrival(born_h, arrived_h, due_h):
    base = datetime(2026, 3, 1, tzinfo=UTC)
    assert srh.prophylaxis_due_at(base + timedelta(hours=born_h), base + timedelta(hours=arrived_h)) \
        == base + timedelta(hours=due_h)


TODAY = date(2026, 3, 10)


@pytest.mark.parametrize("state,codes", [
    (srh.ProtectionState(), []),
    (srh.ProtectionState(gestation_days=8 * 7), ["BR22"]),
    (srh.ProtectionState(gestation_days=28 * 7 - 1), ["BR22"]),
    (srh.ProtectionState(gestation_days=28 * 7), ["BR22", "BR24"]),
    (srh.ProtectionState(delivered_on=TODAY - timedelta(days=42)), ["BR24"]),
    (srh.ProtectionState(delivered_on=TODAY - timedelta(days=43)), []),
    (srh.ProtectionState(delivered_on=TODAY - timedelta(days=3), infant_with_her=True), ["BR22", "BR24"]),
    (srh.ProtectionState(breastfeeding=True), ["BR22"]),
    (srh.ProtectionState(infant_with_her=True), ["BR22"]),
])
def test_protection_flags(state, codes):
    assert [f.code for f in srh.protection_flags(state, TODAY)] == codes


def test_flag_texts_say_no_diagnosis():
    for text in srh.flag_texts().values():
        assert "pregnan" not in text.lower() and "hiv" not in text.lower()

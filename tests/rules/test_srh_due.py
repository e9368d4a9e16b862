"""SRH due items and alert conditions as tables: what is due or overdue when, which
alert each raises (and under which key), BR-03/BR-07 from the rule table, the
PMTCT viral-load schedule, and the order of the worklist."""
from datetime import date, datetime, timedelta, timezone

import pytest

from prisoncare.rules import alert_rules as ar
from prisoncare.rules import srh
from prisoncare.rules import srh_due as due

UTC = timezone.utc
RECORDED = datetime(2026, 3, 10, 10, tzinfo=UTC)
TODAY = date(2026, 3, 10)
RULES = ar.load_rules()
LIMITS = due.Deadlines(booking_hours=168, booking_hours_drug_dependent=24, child_screen_hours=168)


def midnight(day):
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def pregnancy(**kw):
    base = dict(id=7, status="ongoing", due_on=date(2026, 9, 22), recorded_at=RECORDED)
    return due.PregnancyFacts(**{**base, **kw})


def woman(**kw):
    return due.WomanFacts(**{"patient_id": 3, "born": date(1995, 5, 5), **kw})


def items_at(facts, now):
    return due.due_items(facts, now=now, today=now.date(), deadlines=LIMITS, local_midnight=midnight)


def statuses(items, kind):
    return [(i.subject.rsplit(":", 1)[-1], i.status) for i in items if i.kind == kind]


# --- antenatal booking: BR-03's 7 days, 24 hours if drug-dependent ------------------------

@pytest.mark.parametrize("dependent,hours_later,status", [
    (False, 0, "due"), (False, 167, "due"), (False, 168, "overdue"),
    (True, 23, "due"), (True, 24, "overdue"),
])
def test_the_booking_falls_overdue_after_br03s_deadline(dependent, hours_later, status):
    facts = woman(pregnancy=pregnancy(drug_dependent=dependent))
    items = items_at(facts, RECORDED + timedelta(hours=hours_later))
    assert statuses(items, "antenatal_booking") == [("1", status)]


def test_a_booked_pregnancy_owes_the_next_contact_only_once_its_week_starts():
    facts = woman(pregnancy=pregnancy(antenatal_on=(date(2026, 3, 11),)))
    assert statuses(items_at(facts, RECORDED + timedelta(days=30)), "antenatal_contact") == []
    # week 20 starts 5 May; overdue a week later (grace_days)
    assert statuses(items_at(facts, datetime(2026, 5, 6, tzinfo=UTC)), "antenatal_contact") == [("2", "due")]
    assert statuses(items_at(facts, datetime(2026, 5, 12, tzinfo=UTC)), "antenatal_contact") == [("2", "overdue")]


@pytest.mark.parametrize("day,expected", [
    (1, [("1", "due"), ("2", "due")]),                  # each is due from two days before
    (2, [("1", "overdue"), ("2", "due")]),
    (15, [("1", "overdue"), ("2", "overdue"), ("3", "overdue")]),
])
def test_postnatal_contacts_after_a_birth(day, expected):
    born = date(2026, 3, 10)
    facts = woman(pregnancy=pregnancy(status="ended", outcome="live_birth", ended_on=born))
    now = midnight(born + timedelta(days=day)) + timedelta(hours=9)
    assert statuses(items_at(facts, now), "postnatal_contact") == expected


def test_a_miscarriage_owes_no_postnatal_contact():
    facts = woman(pregnancy=pregnancy(status="ended", outcome="miscarriage", ended_on=TODAY))
    assert [i for i in items_at(facts, RECORDED + timedelta(days=5)) if i.pregnancy_id] == []


# --- children ------------------------------------------------------------------------------

BORN = datetime(2026, 3, 10, 4, tzinfo=UTC)


def child(**kw):
    return due.ChildFacts(**{"id": 11, "name": "Baby K", "born_at": BORN, "arrived_at": BORN, **kw})


@pytest.mark.parametrize("hours,screened,expected", [
    (1, None, [("screen", "due")]),
    (167, None, [("screen", "due")]),
    (168, None, [("screen", "overdue")]),
    (300, date(2026, 3, 12), []),
])
def test_child_health_screen_within_br07s_7_days(hours, screened, expected):
    facts = woman(children=(child(screened_on=screened),))
    assert statuses(items_at(facts, BORN + timedelta(hours=hours)), "child_screen") == expected


@pytest.mark.parametrize("age_days,given,due_codes,overdue_codes", [
    (0, set(), {"bcg", "hepb_birth", "opv0"}, set()),
    (29, {"bcg", "hepb_birth"}, set(), {"opv0"}),
    (43, {"bcg", "hepb_birth", "opv0"}, {"penta1", "opv1", "pcv1", "rota1"}, set()),
])
def test_immunisations_due_and_overdue(age_days, given, due_codes, overdue_codes):
    facts = woman(children=(child(immunised=frozenset(given), screened_on=TODAY),))
    now = BORN + timedelta(days=age_days, hours=6)
    got = statuses(items_at(facts, now), "immunisation")
    assert {c for c, s in got if s == "due"} == due_codes
    assert {c for c, s in got if s == "overdue"} == overdue_codes


@pytest.mark.parametrize("hours,started,expected", [
    (11, False, [("prophylaxis", "due")]),
    (13, False, [("prophylaxis", "overdue")]),
    (13, True, []),
])
def test_infant_prophylaxis(hours, started, expected):
    facts = woman(children=(child(hiv_exposed=True, prophylaxis_started=started, screened_on=TODAY),))
    assert statuses(items_at(facts, BORN + timedelta(hours=hours)), "infant_prophylaxis") == expected


def test_hiv_exposed_infant_tests_follow_the_schedule():
    facts = woman(children=(child(hiv_exposed=True, prophylaxis_started=True, screened_on=TODAY,
                                  tests_done=frozenset({"nat_birth"})),))
    assert statuses(items_at(facts, BORN + timedelta(days=43)), "infant_hiv_test") == [("nat_6w", "due")]
    assert statuses(items_at(facts, BORN + timedelta(days=57)), "infant_hiv_test") == [("nat_6w", "overdue")]
    plain = woman(children=(child(screened_on=TODAY),))
    assert statuses(items_at(plain, BORN + timedelta(days=57)), "infant_hiv_test") == []


# --- screening -------------------------------------------------------------------------------

@pytest.mark.parametrize("born,since,last,today,expected", [
    (date(1990, 1, 1), date(2026, 3, 1), None, date(2026, 3, 10), [("first", "due")]),
    (date(1990, 1, 1), date(2026, 1, 1), None, date(2026, 3, 10), [("first", "overdue")]),
    (date(2005, 1, 1), date(2026, 1, 1), None, date(2026, 3, 10), []),           # 21: not yet
    (date(1990, 1, 1), None, (date(2023, 3, 1), "normal"), date(2026, 3, 10), [("2023-03-01", "overdue")]),
    (date(1990, 1, 1), None, (date(2025, 3, 1), "abnormal"), date(2026, 3, 10), [("2025-03-01", "overdue")]),
    (date(1990, 1, 1), None, (date(2025, 3, 1), "normal"), date(2026, 3, 10), []),
])
def test_cervical_screening_from_age_last_result_and_admission(born, since, last, today, expected):
    facts = woman(born=born, in_care_since=since,
                  last_screening={"cervical_screening": last} if last else {})
    got = [(s.split(":")[-1], st) for s, st in
           ((i.subject, i.status) for i in items_at(facts, midnight(today)) if i.kind == "cervical_screening")]
    assert got == expected


def test_a_never_screened_womans_due_date_does_not_move_with_the_days():
    facts = woman(born=date(1990, 1, 1), in_care_since=date(2026, 3, 1))
    first = [i for i in items_at(facts, midnight(date(2026, 3, 10))) if i.kind == "cervical_screening"]
    later = [i for i in items_at(facts, midnight(date(2026, 4, 20))) if i.kind == "cervical_screening"]
    assert first[0].due_on == later[0].due_on == date(2026, 3, 31)
    assert first[0].subject == later[0].subject and later[0].status == "overdue"


# --- PMTCT viral load ---------------------------------------------------------------------------

@pytest.mark.parametrize("facts,today,expected", [
    # on ART, pregnant: at booking, then at 34 weeks (due 22 Sep: 34+0 is 11 Aug)
    (dict(on_art=True, pregnancy=pregnancy()), date(2026, 3, 10), [("vl_booking", "due"), ("vl_34w", "upcoming")]),
    (dict(on_art=True, pregnancy=pregnancy()), date(2026, 3, 25), [("vl_booking", "overdue"), ("vl_34w", "upcoming")]),
    (dict(on_art=True, pregnancy=pregnancy(), viral_loads_on=(date(2026, 1, 20),)), date(2026, 3, 25),
     [("vl_booking", "done"), ("vl_34w", "upcoming")]),                      # one in the last 3 months counts
    (dict(on_art=True, pregnancy=pregnancy(), viral_loads_on=(date(2026, 3, 12),)), date(2026, 8, 12),
     [("vl_booking", "done"), ("vl_34w", "due")]),
    (dict(on_art=False, pregnancy=pregnancy()), date(2026, 3, 10), []),      # not on ART
    # after the birth, breastfeeding: 3 months postpartum, then every 6 months
    (dict(on_art=True, breastfeeding=True, pregnancy=pregnancy(status="ended", outcome="live_birth",
                                                                ended_on=date(2026, 9, 20))),
     date(2026, 12, 20), [("vl_postpartum", "due"), ("vl_bf_after_2026-12-19", "upcoming")]),
    (dict(on_art=True, breastfeeding=True, viral_loads_on=(date(2026, 12, 19),),
          pregnancy=pregnancy(status="ended", outcome="live_birth", ended_on=date(2026, 9, 20))),
     date(2027, 6, 20), [("vl_postpartum", "done"), ("vl_bf_after_2026-12-19", "due")]),
    (dict(on_art=True, pregnancy=pregnancy(status="ended", outcome="live_birth", ended_on=date(2026, 9, 20))),
     date(2026, 12, 20), []),                                               # not breastfeeding
])
def test_viral_load_schedule_in_pregnancy_and_breastfeeding(facts, today, expected):
    got = [(v["code"], v["status"]) for v in due.viral_load_plan(woman(**facts), today)]
    assert got == expected


# --- alert conditions -----------------------------------------------------------------------------

def test_every_alert_of_the_srh_file_names_a_known_item_stage_severity_and_role():
    specs = due.alert_specs()
    assert ("antenatal_contact", "overdue") in specs and ("immunisation", "due") in specs
    assert ("cervical_screening", "due") not in specs        # screening alerts only once overdue
    assert all(s["source"].strip() for s in specs.values())


def test_an_item_raises_its_stage_under_a_stable_key():
    facts = woman(children=(child(screened_on=TODAY),))
    items = items_at(facts, BORN + timedelta(days=29))
    conds = {c.key: c for c in due.item_conditions(items, due.alert_specs())}
    assert "SRH-IMM:overdue:child:11:imm:bcg" in conds
    c = conds["SRH-IMM:overdue:child:11:imm:bcg"]
    assert (c.severity, c.role) == ("warning", "nurse") and c.message.startswith("Baby K: ")


@pytest.mark.parametrize("contacts,hours,keys_open", [
    ((), 23, {}),                                         # drug-dependent: 24 h not reached
    ((), 24, {"BR-03:pregnancy:7": True}),
    ((date(2026, 3, 10),), 48, {}),                       # booked in time: nothing
    ((date(2026, 3, 12),), 72, {"BR-03:pregnancy:7": False}),   # booked late: raised, and done
])
def test_br03_from_the_rule_table(contacts, hours, keys_open):
    facts = woman(pregnancy=pregnancy(drug_dependent=True, antenatal_on=contacts))
    conds = due.task_conditions(facts, now=RECORDED + timedelta(hours=hours),
                                evaluate=ar.evaluate_task_overdue, booking_rules=RULES,
                                screen_rules=RULES, local_midnight=midnight)
    assert {c.key: c.open for c in conds} == keys_open
    assert all(c.severity == RULES.get("BR-03").severity for c in conds)


def test_br07_for_a_child_not_screened_in_7_days():
    facts = woman(children=(child(),))
    conds = due.task_conditions(facts, now=BORN + timedelta(days=7), evaluate=ar.evaluate_task_overdue,
                                booking_rules=RULES, screen_rules=RULES, local_midnight=midnight)
    assert [(c.key, c.role, c.open) for c in conds] == [("BR-07:child:11", "clinician", True)]


def test_the_deadlines_agree_with_the_antenatal_file_by_default():
    meta = srh.load("srh_antenatal")["meta"]
    rule = RULES.get("BR-03").params
    assert rule["hours"] == meta["booking_days"] * 24
    assert rule["hours_if_substance_dependent"] == meta["booking_hours_drug_dependent"]


def test_the_worklist_order_is_most_overdue_first_then_soonest_late():
    at = RECORDED
    items = [due.DueItem("x", "a", "a", TODAY, at + timedelta(days=3), "due"),
             due.DueItem("x", "b", "b", TODAY, at - timedelta(days=1), "overdue"),
             due.DueItem("x", "c", "c", TODAY, at - timedelta(days=9), "overdue"),
             due.DueItem("x", "d", "d", TODAY, at + timedelta(days=1), "due")]
    assert [i.subject for i in due.most_overdue_first(items)] == ["c", "b", "d", "a"]


@pytest.mark.parametrize("stem,data,problem", [
    ("srh_pmtct", {"meta": {"title": "t", "version": 1, "source": "s", "overdue_days": 14,
                            "overdue_days_source": "d", "breastfeeding_interval_days": 180,
                            "breastfeeding_interval_days_source": "d"},
                   "viral_load": [{"code": "x", "name": "x", "anchor": "birth", "days": -1,
                                   "window_before_days": 0, "source": "s"}]},
     "days must be a whole number"),
    ("srh_alerts", {"meta": {"title": "t", "version": 1, "source": "s"},
                    "alert": [{"item": "x", "stage": "due", "code": "X", "severity": "info",
                               "role": "nurse", "message": "m", "action": "a"}]}, "#1 needs source"),
])
def test_the_new_schedule_files_are_checked(stem, data, problem):
    with pytest.raises(srh.ScheduleError, match=problem):
        srh.validate_schedule(stem, data)


def test_a_woman_living_with_hiv_is_owed_cervical_screening_on_the_hiv_entry(monkeypatch):
    data = srh.load("srh_screening")
    entries = [dict(e) for e in data["screening"]]
    for e in entries:
        if e["kind"] == "cervical_hiv":
            e["interval_months"] = 12
    monkeypatch.setattr(srh, "load", lambda stem, _orig=srh.load: {**data, "screening": entries}
                        if stem == "srh_screening" else _orig(stem))
    last = {"cervical_screening": (date(2025, 2, 1), "normal")}
    plain = due.screening_items(woman(last_screening=last), today=TODAY, local_midnight=midnight)
    hiv = due.screening_items(woman(last_screening=last, living_with_hiv=True), today=TODAY,
                              local_midnight=midnight)
    assert [i.kind for i in plain if i.kind == "cervical_screening"] == []      # 3-yearly: not yet
    [item] = [i for i in hiv if i.kind == "cervical_screening"]
    assert (item.name, item.due_on, item.status) == \
        ("Cervical screening (living with HIV)", date(2026, 2, 1), "overdue")

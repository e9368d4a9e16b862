"""The release rules over a plan, as tables: which of OST-R-01, OST-R-02, ART-07,
HCV-04 (the alert table), TB-06 at release and BR-09 (the plan's own) a plan meets
N days before release. No app, no database."""
from datetime import date, timedelta

import pytest

from prisoncare.rules import alert_rules as ar
from prisoncare.rules import release as r
from prisoncare.rules import release_alerts as ra

D = r.load_definition()
TABLE = ar.load_rules()
RELEASE = date(2026, 4, 9)
ALL_OST = {"ost": dict(provider="OST", appointment_on=RELEASE + timedelta(days=1))}
OST_CHECKS = {"ost_prescription_sent": True, "naloxone_issued": True, "naloxone_training": True}
GOOD_ART = {"art": dict(provider="HIV", appointment_on=RELEASE + timedelta(days=5), supply_days=30)}


def hits(programmes=(), *, sex="male", days=10, referrals=None, checks=None, social=None,
         opioid_use=None, course_end=None):
    subject = r.PlanSubject(sex=sex, programmes=frozenset(programmes),
                            opioid_use="ost" in programmes if opioid_use is None else opioid_use)
    state = r.PlanState(referrals={k: r.Referral(**v) for k, v in (referrals or {}).items()},
                        checks=checks or {}, social=social or {}, release_on=RELEASE,
                        course_end_on=course_end or {})
    statuses = r.evaluate(D, subject, state)
    return {h.rule_id: h for h in ra.release_hits(D.alerts, subject, state, statuses, days, TABLE)}


@pytest.mark.parametrize("case,expected", [
    # OST-R-01: appointment by the next day and the prescription sent; OST-R-02: naloxone + training
    (dict(programmes={"ost"}), {"OST-R-01", "OST-R-02"}),
    (dict(programmes={"ost"}, days=14), {"OST-R-01", "OST-R-02"}),
    (dict(programmes={"ost"}, days=15), set()),                       # not yet in the window
    (dict(programmes={"ost"}, referrals=ALL_OST, checks=OST_CHECKS), set()),
    (dict(programmes={"ost"}, referrals=ALL_OST, checks={**OST_CHECKS, "naloxone_training": False}),
     {"OST-R-02"}),
    (dict(programmes={"ost"}, checks=OST_CHECKS,
          referrals={"ost": dict(provider="OST", appointment_on=RELEASE + timedelta(days=2))}),
     {"OST-R-01"}),                                                   # two days after: too late
    (dict(programmes={"ost"}, referrals=ALL_OST,
          checks={**OST_CHECKS, "ost_prescription_sent": False}), {"OST-R-01"}),
    # an opioid user not on OST: naloxone only, never an OST prescriber
    (dict(opioid_use=True), {"OST-R-02"}),
    (dict(opioid_use=True, checks={"naloxone_issued": True, "naloxone_training": True}), set()),
    # ART-07: 30 days of ARVs and an appointment within 5 days
    (dict(programmes={"art"}, referrals=GOOD_ART), set()),
    (dict(programmes={"art"}, referrals={"art": {**GOOD_ART["art"], "supply_days": 29}}), {"ART-07"}),
    (dict(programmes={"art"}, referrals={"art": {**GOOD_ART["art"], "appointment_on": None}}),
     {"ART-07"}),
    (dict(programmes={"art"}, referrals={"art": {**GOOD_ART["art"],
                                                 "appointment_on": RELEASE + timedelta(days=6)}}),
     {"ART-07"}),
    # HCV-04: the rest of the course and a community prescriber
    (dict(programmes={"hcv"}, course_end={"hcv": RELEASE + timedelta(days=20)},
          referrals={"hcv": dict(provider="HEP", supply_days=20)}), set()),
    (dict(programmes={"hcv"}, course_end={"hcv": RELEASE + timedelta(days=20)},
          referrals={"hcv": dict(provider="HEP", supply_days=10)}), {"HCV-04"}),
    (dict(programmes={"hcv"}, course_end={"hcv": RELEASE + timedelta(days=20)},
          referrals={"hcv": dict(supply_days=20)}), {"HCV-04"}),
    # TB-06 at release: DOT site, first visit within 2 days, card and doses handed over
    (dict(programmes={"tb"}), {"TB-06"}),
    (dict(programmes={"tb"}, checks={"tb_handover": True},
          referrals={"tb": dict(provider="TB", appointment_on=RELEASE + timedelta(days=2))}), set()),
    (dict(programmes={"tb"}, days=15), set()),
    # BR-09: a woman 30 days out with no reintegration item started
    (dict(sex="female", days=30), {"BR-09"}),
    (dict(sex="female", days=31), set()),
    (dict(sex="female", days=30, social={"housing": "referred"}), set()),
    (dict(sex="female", days=30, checks={"reintegration_partners": True}), set()),
    (dict(sex="female", days=30, social={"housing": "pending"}), {"BR-09"}),
    (dict(sex="male", days=30), set()),
])
def test_which_release_rules_a_plan_meets(case, expected):
    assert set(hits(**case)) == expected


def test_a_hit_carries_the_table_rule_and_names_the_missing_items():
    ost = hits({"ost"}, referrals=ALL_OST, checks={"ost_prescription_sent": True})
    hit = ost["OST-R-02"]
    assert (hit.severity, hit.role, hit.programme) == ("high", "nurse", "ost")
    assert set(hit.missing) == {"Naloxone kit issued", "Overdose response training given"}
    art = hits({"art"}, referrals={"art": {**GOOD_ART["art"], "supply_days": 10}})["ART-07"]
    assert art.missing == ("Bridging supply of ARVs (at least 30 days)",)
    assert hits({"tb"})["TB-06"].severity == "high"
    br = hits(sex="female", days=20)["BR-09"]
    assert (br.severity, br.role, br.programme) == ("warning", "release_officer", None)


def test_the_window_follows_the_alert_tables_threshold():
    table = ar.load_rules(overrides={"release_window_days": 20})
    subject = r.PlanSubject(sex="male", programmes=frozenset({"tb"}))
    state = r.PlanState(release_on=RELEASE)
    statuses = r.evaluate(D, subject, state)
    assert {h.rule_id for h in ra.release_hits(D.alerts, subject, state, statuses, 18, table)} == {"TB-06"}
    assert ra.release_hits(D.alerts, subject, state, statuses, 18, TABLE) == []
    assert ra.release_hits(D.alerts, subject, state, statuses, None, TABLE) == []


@pytest.mark.parametrize("entry,message", [
    ({"rule": "X-1", "items": ["nope"], "within_days": 3}, "unknown plan item"),
    ({"rule": "X-1", "items": [], "within_days": 3}, "items must be"),
    ({"rule": "X-1", "items": ["housing"], "within_days": -1}, "within_days"),
    ({"rule": "X-1", "items": ["housing"], "within_days": 3, "fires_when": "sometimes"}, "fires_when"),
    ({"rule": "X-1", "items": ["housing"], "within_days": 3, "colour": "red"}, "unknown key"),
])
def test_bad_release_alerts_are_refused(entry, message):
    problems = []
    assert ra.parse_alerts([entry], {i.id for i in D.items}, problems) == ()
    assert any(message in p for p in problems)

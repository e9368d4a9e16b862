"""The release plan rules as tables: no app, no database."""
from datetime import date

import pytest

from prisoncare.rules import release as r

D = r.load_definition()
RELEASE = date(2026, 4, 9)


def ids(subject):
    return {i.id for i in r.applicable_items(D, subject)}


def test_shipped_file_is_valid_and_cites_rl_items():
    assert D.version >= 1
    assert all(any(ref.startswith(("RL-", "OST-R", "ART-", "HCV-", "TB-", "BR-")) for ref in i.rule_refs)
               for i in D.items)
    assert D.thresholds.bridging_days["art"] == 30
    assert D.thresholds.appointment_within_days == {"ost": 1, "art": 5, "tb": 2, "hcv": 14}


@pytest.mark.parametrize("subject,present,absent", [
    (r.PlanSubject(sex="female", programmes=frozenset({"ost"}), opioid_use=True),
     {"ost_provider", "naloxone_issued", "women_harm_reduction", "violence_support"}, {"art_supply"}),
    (r.PlanSubject(sex="male", programmes=frozenset({"art"})),
     {"art_supply", "art_appointment", "housing"}, {"naloxone_issued", "violence_support"}),
    (r.PlanSubject(sex="female", opioid_use=True), {"naloxone_issued"}, {"ost_provider"}),
    (r.PlanSubject(sex="female", pregnant=True, programmes=frozenset({"art"})),
     {"antenatal_provider", "pmtct_continuation"}, set()),
    (r.PlanSubject(sex="female", children_outside=True), {"child_custody"}, {"child_health_handover"}),
    (r.PlanSubject(sex="female", child_with_her=True), {"child_health_handover"}, {"child_custody"}),
    (r.PlanSubject(sex="female", kind="emergency", programmes=frozenset({"hcv"})),
     {"prescriber_notified_same_day", "hcv_supply"}, {"reintegration_partners"}),
])
def test_applicability(subject, present, absent):
    got = ids(subject)
    assert present <= got and not (absent & got)


def _state(**referrals):
    return r.PlanState(referrals={k: r.Referral(**v) for k, v in referrals.items()}, release_on=RELEASE)


@pytest.mark.parametrize("item_id,referral,problem", [
    ("ost_appointment", {"provider": "X", "appointment_on": RELEASE}, None),
    ("ost_appointment", {"provider": "X", "appointment_on": date(2026, 4, 10)}, None),
    ("ost_appointment", {"provider": "X", "appointment_on": date(2026, 4, 11)},
     "appointment is 2 days after release (at most 1)"),
    ("ost_appointment", {"provider": "X", "appointment_on": date(2026, 4, 8)}, "appointment is before the release"),
    ("ost_appointment", {}, "no appointment booked"),
    ("art_appointment", {"appointment_on": date(2026, 4, 14)}, None),
    ("art_appointment", {"appointment_on": date(2026, 4, 15)}, "appointment is 6 days after release (at most 5)"),
    ("art_supply", {"supply_days": 30}, None),
    ("art_supply", {"supply_days": 29}, "29 days supplied (at least 30)"),
    ("art_supply", {}, "no supply recorded"),
    ("ost_provider", {"provider": "X"}, None),
])
def test_item_problems(item_id, referral, problem):
    item = D.item(item_id)
    assert r.item_problem(item, _state(**{item.need: referral}), D.thresholds) == problem


def test_hcv_supply_is_the_rest_of_the_course():
    state = _state(hcv={"supply_days": 20})
    state.course_end_on = {"hcv": date(2026, 5, 9)}  # 30 days after release
    assert r.item_problem(D.item("hcv_supply"), state, D.thresholds) == "20 days supplied (at least 30)"


def test_thresholds_are_configurable():
    t = D.thresholds.merged({"bridging_days": {"art": 60}, "appointment_within_days": {"ost": 0}})
    assert t.bridging_days["art"] == 60 and t.appointment_within_days["art"] == 5
    state = _state(art={"supply_days": 30})
    assert r.item_problem(D.item("art_supply"), state, t) == "30 days supplied (at least 60)"


def test_optional_items_do_not_block():
    subject = r.PlanSubject(sex="female", programmes=frozenset({"art"}))
    statuses = r.evaluate(D, subject, r.PlanState(release_on=RELEASE))
    assert "art_viral_load" not in {s.item.id for s in r.missing(statuses)}
    done, total = r.readiness(statuses)
    assert done == 0 and total == len(r.missing(statuses))


@pytest.mark.parametrize("mutate,message", [
    (lambda d: d["items"][0].update(kind="wish"), "kind must be one of"),
    (lambda d: d["items"][0].update(applies_when={"planet": "mars"}), "unknown condition"),
    (lambda d: d["items"][0].update(section="nowhere"), "unknown section"),
    (lambda d: d["thresholds"]["bridging_days"].update(art="lots"), "bridging_days.art"),
    (lambda d: d["items"].append(dict(d["items"][0])), "duplicate id"),
    (lambda d: d.update(colour="red"), "unknown key"),
])
def test_bad_files_are_refused_with_every_reason(mutate, message):
    import copy
    import tomllib
    from importlib import resources
    data = tomllib.loads((resources.files("prisoncare.rules") / "data" / "release_plan.toml").read_text())
    data = copy.deepcopy(data)
    mutate(data)
    with pytest.raises(r.PlanDefinitionError) as err:
        r.parse_definition(data)
    assert any(message in p for p in err.value.problems)


def test_opening_windows():
    today = date(2026, 3, 10)
    assert r.opens_at_sentencing(date(2026, 4, 8), today) and not r.opens_at_sentencing(date(2026, 4, 9), today)
    assert r.due_to_open(date(2026, 4, 9), today) and not r.due_to_open(date(2026, 4, 10), today)
    assert not r.due_to_open(None, today)

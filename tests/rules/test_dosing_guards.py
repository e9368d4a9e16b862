"""OST review block and same-day double-dose guard, as tables."""

from datetime import date, datetime, timedelta, timezone

import pytest

from prisoncare.rules.dosing_guards import (
    consecutive_days_without_given,
    drug_family,
    merge_thresholds,
    review_required,
    review_threshold,
    second_dose_same_day,
)
from prisoncare.rules.review_thresholds import REVIEW_THRESHOLDS

D = date(2026, 3, 10)  # "today" in the tables


def day(n: int) -> date:
    """D + n days (n <= 0 looks back)."""
    return D + timedelta(days=n)


def at(n: int, hour: int = 8) -> datetime:
    return datetime.combine(day(n), datetime.min.time(), timezone.utc) + timedelta(hours=hour)


def test_default_table_is_documented_policy():
    assert REVIEW_THRESHOLDS["methadone"]["days"] == 3
    assert REVIEW_THRESHOLDS["buprenorphine"]["days"] == 5
    for entry in REVIEW_THRESHOLDS.values():
        assert entry["rule_id"] and entry["source"] and entry["match"]
    assert merge_thresholds() == REVIEW_THRESHOLDS


@pytest.mark.parametrize(
    "drug, family",
    [
        ("Methadone", "methadone"),
        ("METHADONE oral solution 1mg/ml", "methadone"),
        ("methadone hydrochloride 10mg", "methadone"),
        ("Levomethadone", "methadone"),
        ("Physeptone", "methadone"),
        ("Метадон", "methadone"),
        ("Buprenorphine 8 mg sublingual", "buprenorphine"),
        ("buprenorphine/naloxone 8mg/2mg", "buprenorphine"),
        ("Buprenorphine-Naloxone", "buprenorphine"),
        ("Suboxone", "buprenorphine"),
        ("Subutex", "buprenorphine"),
        ("Бупренорфін", "buprenorphine"),
        ("Naloxone", None),  # the overdose kit is not OST
        ("Buvidal weekly depot", None),  # depot: product-specific, not matched
        ("Tenofovir/lamivudine/dolutegravir", None),
        ("Methadonex", None),  # whole words only
        ("", None),
    ],
)
def test_drug_family(drug, family):
    assert drug_family(drug) == family


@pytest.mark.parametrize(
    "outcomes, as_of, after, expected",
    [
        ({}, D, None, 0),
        ({day(0): ["given"]}, D, None, 0),
        ({day(-2): ["given"], day(-1): ["missed"], day(0): ["refused"]}, D, None, 2),
        # absent, held, not_available all count: only 'given' ends the streak.
        ({day(-4): ["given"], day(-3): ["absent"], day(-2): ["held"], day(-1): ["not_available"],
          day(0): ["missed"]}, D, None, 4),
        # One given dose of two ends the streak for that day.
        ({day(-1): ["missed"], day(0): ["refused", "given"]}, D, None, 0),
        ({day(-2): ["missed"], day(-1): ["refused", "given"], day(0): ["missed", "refused"]}, D, None, 1),
        # Unscheduled days (missing or empty) neither count nor break: every 2 days.
        ({day(-6): ["given"], day(-4): ["missed"], day(-2): ["missed"], day(0): ["missed"]}, D, None, 3),
        ({day(-2): ["missed"], day(-1): [], day(0): ["missed"]}, D, None, 2),
        # Today's dose still due: today is not over, skipped.
        ({day(-3): ["given"], day(-2): ["missed"], day(-1): ["missed"], day(0): ["due"]}, D, None, 2),
        ({day(-1): ["missed"], day(0): ["refused", "due"]}, D, None, 1),
        # Days after as_of are ignored.
        ({day(-1): ["missed"], day(0): ["missed"], day(1): ["given"]}, D, None, 2),
        ({day(-1): ["missed"], day(0): ["missed"]}, day(-1), None, 1),
        # Counting stops at 'after' (exclusive), e.g. the review day.
        ({day(-5): ["missed"], day(-4): ["missed"], day(-3): ["missed"], day(-2): ["missed"],
          day(-1): ["missed"], day(0): ["missed"]}, D, day(-3), 3),
        ({day(-1): ["missed"], day(0): ["missed"]}, D, day(0), 0),
    ],
)
def test_consecutive_days_without_given(outcomes, as_of, after, expected):
    assert consecutive_days_without_given(outcomes, as_of, after=after) == expected


def test_unknown_outcome_is_rejected():
    with pytest.raises(ValueError, match="unknown dose outcome"):
        consecutive_days_without_given({D: ["taken"]}, D)


@pytest.mark.parametrize(
    "drug, streak, last_review_at, last_given_at, since_review, expected",
    [
        # Methadone: 3 days.
        ("Methadone", 0, None, at(-1), None, False),
        ("Methadone", 2, None, at(-3), None, False),
        ("Methadone", 3, None, at(-4), None, True),
        ("Methadone", 7, None, at(-8), None, True),
        # Buprenorphine: 5 days.
        ("Buprenorphine/naloxone", 3, None, at(-4), None, False),
        ("Buprenorphine/naloxone", 4, None, at(-5), None, False),
        ("Buprenorphine/naloxone", 5, None, at(-6), None, True),
        # A review recorded after the streak began (after the last given dose) unblocks.
        ("Methadone", 3, at(0, 7), at(-4), None, False),
        ("Suboxone", 6, at(-1), at(-7), None, False),
        # A review before the last given dose belongs to an earlier streak.
        ("Methadone", 3, at(-10), at(-4), None, True),
        ("Methadone", 3, at(-4), at(-4), None, True),  # same instant: not after
        # Never given: any review counts; no review blocks.
        ("Methadone", 4, None, None, None, True),
        ("Methadone", 4, at(-1), None, None, False),
        # A new lapse after the review reaches the threshold again.
        ("Methadone", 7, at(-4), at(-8), 3, True),
        ("Methadone", 7, at(-4), at(-8), 2, False),
        ("Buprenorphine", 9, at(-6), at(-10), 4, False),
        ("Buprenorphine", 9, at(-6), at(-10), 5, True),
        # No threshold for the drug: never blocked here.
        ("Dolutegravir", 30, None, None, None, False),
        ("Naloxone", 30, None, None, None, False),
    ],
)
def test_review_required(drug, streak, last_review_at, last_given_at, since_review, expected):
    got = review_required(drug, streak, last_review_at, last_given_at,
                          missed_since_review=since_review)
    assert got is expected


def test_review_after_the_streak_unblocks_end_to_end():
    outcomes = {day(-4): ["given"], day(-3): ["refused"], day(-2): ["absent"],
                day(-1): ["missed"], day(0): ["due"]}
    streak = consecutive_days_without_given(outcomes, D)
    assert streak == 3
    assert review_required("Methadone", streak, None, at(-4)) is True
    assert review_required("Buprenorphine", streak, None, at(-4)) is False
    assert review_required("Methadone", streak, at(0, 7), at(-4)) is False


OVERRIDE_CASES = [
    # (override, drug, streak, expected)
    ({"methadone": {"days": 2}}, "Methadone", 2, True),
    ({"methadone": {"days": 2}}, "Methadone", 1, False),
    ({"methadone": {"days": 2}}, "Buprenorphine", 4, False),  # other family untouched
    ({"methadone": {"days": 2}}, "Buprenorphine", 5, True),
    ({"buprenorphine": {"days": 3}}, "Suboxone", 3, True),  # clinic-level rule, 1.2.2
    ({"methadone": {"days": 5}}, "Methadone", 3, False),
    # A new family (slow-release oral morphine as OST).
    ({"morphine": {"days": 3, "match": ["morphine", "substitol"]}}, "Substitol 200 mg", 3, True),
    ({"morphine": {"days": 3, "match": ["morphine", "substitol"]}}, "Substitol 200 mg", 2, False),
    # Widening a matcher keeps the days.
    ({"buprenorphine": {"match": ["buprenorphine", "buvidal"]}}, "Buvidal", 5, True),
    ({}, "Methadone", 3, True),
    (None, "Methadone", 3, True),
]


@pytest.mark.parametrize("override, drug, streak, expected", OVERRIDE_CASES)
def test_override_table(override, drug, streak, expected):
    assert review_required(drug, streak, None, None, thresholds=override) is expected


def test_override_does_not_change_the_defaults():
    merge_thresholds({"methadone": {"days": 1, "match": ["x"]}})
    assert REVIEW_THRESHOLDS["methadone"]["days"] == 3
    assert review_threshold("Methadone") == 3
    assert review_threshold("Methadone", {"methadone": {"days": 2}}) == 2
    assert review_threshold("Tenofovir") is None


@pytest.mark.parametrize(
    "override, message",
    [
        ({"methadone": {"days": 0}}, "days must be an int >= 1"),
        ({"methadone": {"days": "3"}}, "days must be an int >= 1"),
        ({"methadone": {"days": True}}, "days must be an int >= 1"),
        ({"methadone": {"match": []}}, "match must be a non-empty list"),
        ({"methadone": {"match": "methadone"}}, "match must be a non-empty list"),
        ({"morphine": {"days": 3}}, "match must be a non-empty list"),
        ({"morphine": {"match": ["morphine"]}}, "days must be an int >= 1"),
    ],
)
def test_malformed_override_is_a_configuration_error(override, message):
    with pytest.raises(ValueError, match=message):
        merge_thresholds(override)


@pytest.mark.parametrize(
    "times_per_day, given_today, refused",
    [
        (1, 0, False),
        (1, 1, True),  # the classic double dose
        (1, 2, True),
        (2, 0, False),
        (2, 1, False),  # morning and evening split dose
        (2, 2, True),
        (3, 2, False),
        (3, 3, True),
        (0, 0, False),  # no time today (every-N-days off day): treated as one allowed
        (0, 1, True),
    ],
)
def test_second_dose_same_day(times_per_day, given_today, refused):
    assert second_dose_same_day(times_per_day, given_today) is refused


@pytest.mark.parametrize("times_per_day, given_today", [(-1, 0), (1, -1), (1.0, 0), (1, None), (True, 0)])
def test_second_dose_same_day_rejects_bad_counts(times_per_day, given_today):
    with pytest.raises(ValueError):
        second_dose_same_day(times_per_day, given_today)


def test_the_guard_blocks_from_the_rule_tables_lowest_blocking_rung():
    from prisoncare.rules import dosing_guards
    """Methadone from OST-M-03 (3 days), buprenorphine from OST-B-03 (5 days: OST-B-02
    at 3 advises), as issue 4 asks; a deployment's override moves the block."""
    from prisoncare.rules.alert_rules import load_rules
    assert dosing_guards.thresholds_from_rules(load_rules()) == {
        "methadone": {"days": 3}, "buprenorphine": {"days": 5}}
    moved = load_rules(overrides={"OST-B-03": {"min": 6}})
    assert dosing_guards.thresholds_from_rules(moved)["buprenorphine"] == {"days": 6}
    table = dosing_guards.merge_thresholds(dosing_guards.thresholds_from_rules(moved))
    assert dosing_guards.review_threshold("Suboxone 8mg/2mg", table) == 6

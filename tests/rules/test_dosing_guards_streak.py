"""streak_before, the guard's one-pass reading of a dose history, says what the rule
says (consecutive_days_without_given over the days before the dose, a past `due`
dose counting as missed): on tables, and on thousands of generated histories."""
import random
from collections import defaultdict
from datetime import date, timedelta

import pytest

from prisoncare.rules.dosing_guards import consecutive_days_without_given, streak_before

D = date(2026, 3, 10)   # the dose's day
STATUSES = ("given", "refused", "held", "not_available", "absent", "missed", "due")


def day(n: int) -> date:
    return D + timedelta(days=n)


def by_the_rule(pairs, before, after=None):
    """The guard's reading as it was written first: a list of outcomes per day before
    the dose, `due` as missed, then the rule; and whether a given day is among them."""
    days = defaultdict(list)
    for d, status in pairs:
        if d < before:
            days[d].append("missed" if status == "due" else status)
    streak = consecutive_days_without_given(days, before - timedelta(days=1), after=after)
    given = [d for d, outcomes in days.items() if "given" in outcomes]
    return streak, max(given, default=None)


@pytest.mark.parametrize("pairs,after,expected", [
    ([], None, (0, None)),
    ([(day(-1), "missed"), (day(-2), "refused"), (day(-3), "given")], None, (2, day(-3))),
    # a past dose nobody recorded counts; today's (and later) doses are not read
    ([(day(-1), "due"), (day(0), "given"), (day(1), "given")], None, (1, None)),
    # two doses on one day: one given makes the day given
    ([(day(-1), "missed"), (day(-1), "given"), (day(-2), "missed")], None, (0, day(-1))),
    # alternate days: days without a dose neither count nor end the streak
    ([(day(-2), "missed"), (day(-4), "absent"), (day(-6), "given")], None, (2, day(-6))),
    # a review on day -2 stops the count there
    ([(day(-1), "missed"), (day(-2), "missed"), (day(-3), "missed")], day(-2), (1, None)),
    ([(day(-1), "missed"), (day(-3), "given")], day(-2), (1, day(-3))),
])
def test_tables(pairs, after, expected):
    assert streak_before(pairs, D, after=after) == expected == by_the_rule(pairs, D, after)


def test_an_unknown_status_on_a_day_the_count_reads_is_refused_as_by_the_rule():
    with pytest.raises(ValueError):
        streak_before([(day(-1), "lost")], D)
    with pytest.raises(ValueError):     # the given day that ends the count is read
        streak_before([(day(-2), "given"), (day(-2), "lost")], D)
    # days the count never reaches are not read, by either
    older = [(day(-1), "missed"), (day(-2), "given"), (day(-5), "lost")]
    assert streak_before(older, D) == (1, day(-2)) == by_the_rule(older, D)
    at_review = [(day(-1), "missed"), (day(-3), "lost")]
    assert streak_before(at_review, D, after=day(-3)) == (1, None)


@pytest.mark.parametrize("seed", range(8))
def test_generated_histories_read_the_same(seed):
    rng = random.Random(seed)
    for _ in range(500):
        every = rng.choice((1, 1, 2, 3, 7))
        span = rng.randint(0, 30)
        pairs = []
        for n in range(-span, 3):
            if n % every == 0:
                for _dose in range(rng.choice((1, 1, 1, 2))):
                    pairs.append((day(n), rng.choice(STATUSES)))
                if rng.random() < 0.05:       # an unknown status, now and then
                    pairs.append((day(n), "lost"))
        rng.shuffle(pairs)
        before = day(rng.randint(-3, 2))
        after = rng.choice((None, day(rng.randint(-span - 2, 1))))
        try:
            expected = by_the_rule(pairs, before, after)
        except ValueError:
            with pytest.raises(ValueError):
                streak_before(pairs, before, after=after)
            continue
        assert streak_before(pairs, before, after=after) == expected, (pairs, before, after)

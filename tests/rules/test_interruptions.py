"""Interruption episodes as tables: a MAR is written one day per token from DAY0."""
import random
from datetime import date, datetime, timedelta, timezone

import pytest

from prisoncare.rules.interruptions import (CAUSES, DoseRecord, Episode, compute_episodes,
                                            dose_cause, ongoing_episode)

DAY0 = date(2026, 3, 2)
CODES = {"G": "given", "R": "refused", "H": "held", "N": "not_available", "A": "absent",
         "M": "missed", "D": "due"}


def day(n: int) -> date:
    return DAY0 + timedelta(days=n)


def mar(spec: str) -> list[DoseRecord]:
    """'G M A:court - M+G' -> one token per day; '-' no dose; '+' joins doses; ':' custody."""
    doses = []
    for n, token in enumerate(spec.split()):
        for k, part in enumerate(token.split("+") if token != "-" else []):
            code, _, custody = part.partition(":")
            due_at = datetime.combine(day(n), datetime.min.time(), timezone.utc)
            doses.append(DoseRecord(due_at + timedelta(hours=8 + 10 * k), day(n), CODES[code],
                                    custody or None))
    return doses


def summary(episodes: list[Episode]) -> list[tuple]:
    """(start, end, length_days, missed_days, missed_doses, cause) with days as offsets."""
    off = lambda d: None if d is None else (d - DAY0).days
    return [(off(e.start_on), off(e.end_on), e.length_days, e.missed_days, e.missed_doses,
             e.cause) for e in episodes]


CASES = [
    # id, MAR, today (offset), expected episodes
    ("all given", "G G G", 2, []),
    ("one missed", "G M G", 2, [(1, 1, 1, 1, 1, "documentation_gap")]),
    ("two episodes", "M G M G", 3, [(0, 0, 1, 1, 1, "documentation_gap"),
                                    (2, 2, 1, 1, 1, "documentation_gap")]),
    ("court day", "G A:court G", 2, [(1, 1, 1, 1, 1, "court")]),
    ("court run", "G A:court A:court A:court G", 4, [(1, 3, 3, 3, 3, "court")]),
    ("court event alias", "G A:court_out G", 2, [(1, 1, 1, 1, 1, "court")]),
    ("missed while at court", "G M:court G", 2, [(1, 1, 1, 1, 1, "court")]),
    ("absent, no custody status", "G A G", 2, [(1, 1, 1, 1, 1, "documentation_gap")]),
    ("transfer", "G A:transfer_out A:transfer G", 3, [(1, 2, 2, 2, 2, "transfer")]),
    ("hospital", "G A:hospital G", 2, [(1, 1, 1, 1, 1, "hospital")]),
    ("refusal", "G R G", 2, [(1, 1, 1, 1, 1, "refusal")]),
    ("stock-out", "G N G", 2, [(1, 1, 1, 1, 1, "stock_out")]),
    # the cause is what began it; an unexplained day gives way to an explained one after it
    ("court then unrecorded", "G A:court M M G", 4, [(1, 3, 3, 3, 3, "court")]),
    ("unrecorded then court", "G M M A:court G", 4, [(1, 3, 3, 3, 3, "court")]),
    ("hospital then transfer", "A:hospital A:transfer G", 2, [(0, 1, 2, 2, 2, "hospital")]),
    ("refused and stock-out", "G R N G", 3, [(1, 2, 2, 2, 2, "refusal")]),
    ("refused beats unrecorded", "G M R M G", 4, [(1, 3, 3, 3, 3, "refusal")]),
    ("split dose, both lost", "G M+R G", 2, [(1, 1, 1, 1, 2, "refusal")]),
    ("split dose, one given", "G M+G G", 2, []),
    # ongoing
    ("ongoing", "G M M", 2, [(1, None, 2, 2, 2, "documentation_gap")]),
    ("ongoing, later today", "G M M", 4, [(1, None, 4, 2, 2, "documentation_gap")]),
    ("ongoing, today pending", "G M D", 2, [(1, None, 2, 1, 1, "documentation_gap")]),
    ("pending today alone", "G G D", 2, []),
    ("future doses ignored", "G M D D G", 2, [(1, None, 2, 1, 1, "documentation_gap")]),
    ("stale pending is neutral", "G M D M G", 4, [(1, 3, 3, 2, 2, "documentation_gap")]),
    # held: a verified hold does not open an interruption
    ("held only", "G H H G", 3, []),
    ("held then given", "G H G M G", 4, [(3, 3, 1, 1, 1, "documentation_gap")]),
    ("held inside", "G M H G", 3, [(1, 2, 2, 2, 1, "documentation_gap")]),
    ("held before", "G H M G", 3, [(1, 2, 2, 2, 1, "documentation_gap")]),
    ("held ongoing", "G M H", 2, [(1, None, 2, 2, 1, "documentation_gap")]),
    ("held with a lost split dose", "G H+M G", 2, [(1, 1, 1, 1, 1, "documentation_gap")]),
    # every 2 days: days without a scheduled dose are covered by the last given dose
    ("every 2 days, all given", "G - G - G", 4, []),
    ("every 2 days, one missed", "G - M - G", 4, [(2, 3, 2, 1, 1, "documentation_gap")]),
    ("every 2 days, two missed", "G - M - A:court - G", 6, [(2, 5, 4, 2, 2, "court")]),
    ("every 2 days, ongoing", "G - M -", 3, [(2, None, 2, 1, 1, "documentation_gap")]),
    ("every 2 days, missed today", "G - M", 2, [(2, None, 1, 1, 1, "documentation_gap")]),
    ("every 3 days, first missed", "M - - G", 3, [(0, 2, 3, 1, 1, "documentation_gap")]),
]


@pytest.mark.parametrize("spec, today, expected", [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_episodes(spec, today, expected):
    assert summary(compute_episodes(mar(spec), day(today))) == expected


TRANSITIONS = [
    # id, MAR, today, keyword arguments (offsets), expected
    ("intake gap, then given", "- - G G", 3, {"intake_due_on": 0},
     [(0, 1, 2, 2, 0, "intake_gap")]),
    ("intake gap, then first doses missed", "- M M G", 3, {"intake_due_on": 0},
     [(0, 2, 3, 3, 2, "intake_gap")]),
    ("intake gap, no order yet", "", 2, {"intake_due_on": 0},
     [(0, None, 3, 3, 0, "intake_gap")]),
    ("no intake gap when dosed on the day", "G G", 1, {"intake_due_on": 0}, []),
    ("intake day in the future", "", 1, {"intake_due_on": 3}, []),
    ("released without supply", "G G", 3, {"released_without_supply_on": 1},
     [(2, None, 2, 0, 0, "release_without_supply")]),
    ("released from court without supply", "G A:court", 3, {"released_without_supply_on": 1},
     [(1, None, 3, 1, 1, "court")]),
    ("released today", "G G", 1, {"released_without_supply_on": 1}, []),
]


@pytest.mark.parametrize("spec, today, kwargs, expected", [c[1:] for c in TRANSITIONS],
                         ids=[c[0] for c in TRANSITIONS])
def test_transitions(spec, today, kwargs, expected):
    kwargs = {k: day(v) for k, v in kwargs.items()}
    assert summary(compute_episodes(mar(spec), day(today), **kwargs)) == expected


ATTRIBUTION = [
    # id, MAR, today, keyword arguments (offsets), the episode's cause
    ("court", "G A:court G", 2, {}, "court"),
    ("transfer", "G A:transfer_out G", 2, {}, "transfer"),
    ("hospital", "G A:hospital G", 2, {}, "hospital"),
    ("intake gap", "- - G", 2, {"intake_due_on": 0}, "intake_gap"),
    ("release without supply", "G G", 3, {"released_without_supply_on": 1},
     "release_without_supply"),
    ("refusal", "G R G", 2, {}, "refusal"),
    ("stock-out", "G N G", 2, {}, "stock_out"),
    ("documentation gap", "G M M G", 3, {}, "documentation_gap"),
    # begun by one cause, continued by another: what began it
    ("transfer, then court, then released (the story's ART)", "G A:transfer A:court", 3,
     {"released_without_supply_on": 2}, "transfer"),
    ("court, then transfer", "G A:court A:transfer G", 3, {}, "court"),
    ("hospital, then court", "G A:hospital A:court G", 3, {}, "hospital"),
    ("refusal, then court", "G R A:court G", 3, {}, "refusal"),
    ("stock-out, then refusal", "G N R G", 3, {}, "stock_out"),
    ("intake gap, then court", "- A:court G", 2, {"intake_due_on": 0}, "intake_gap"),
    ("court, then released without supply", "G A:court", 3, {"released_without_supply_on": 1},
     "court"),
    # an unexplained day gives way to the first explained one after it
    ("unrecorded, then transfer", "G M A:transfer G", 3, {}, "transfer"),
    ("unrecorded, then refusal, then court", "G M R A:court G", 4, {}, "refusal"),
    # several doses on one day: the day's highest cause
    ("refused and unrecorded the same day", "G M+R G", 2, {}, "refusal"),
    ("refused in the morning, at court in the evening", "G R+A:court G", 2, {}, "court"),
]


@pytest.mark.parametrize("spec, today, kwargs, cause", [c[1:] for c in ATTRIBUTION],
                         ids=[c[0] for c in ATTRIBUTION])
def test_cause_attribution(spec, today, kwargs, cause):
    kwargs = {k: day(v) for k, v in kwargs.items()}
    (episode,) = compute_episodes(mar(spec), day(today), **kwargs)
    assert episode.cause == cause


def test_cause_days_keep_every_cause_in_precedence_order():
    (episode,) = compute_episodes(mar("G M R A:court N A:court"), day(5),
                                  released_without_supply_on=day(5))
    assert episode.cause == "refusal"     # what began it (the unrecorded day gives way)
    assert episode.cause_days == (("court", 2), ("stock_out", 1), ("refusal", 1),
                                  ("documentation_gap", 1))


def test_held_days_are_counted():
    (episode,) = compute_episodes(mar("G H M H G"), day(4))
    assert (episode.held_days, episode.missed_days, episode.missed_doses) == (2, 3, 1)


def test_ongoing_episode():
    episodes = compute_episodes(mar("M G M M"), day(3))
    assert ongoing_episode(episodes) == episodes[-1]
    assert ongoing_episode(compute_episodes(mar("M G"), day(1))) is None


def test_deterministic_whatever_the_input_order():
    doses = mar("G A:court M+R M G - N - G H M M D")
    expected = compute_episodes(doses, day(12), intake_due_on=day(0))
    for seed in range(5):
        shuffled = doses[:]
        random.Random(seed).shuffle(shuffled)
        assert compute_episodes(shuffled, day(12), intake_due_on=day(0)) == expected


@pytest.mark.parametrize("outcome, custody, cause", [
    ("given", None, None), ("held", None, None), ("due", None, None),
    ("refused", "court", "refusal"), ("not_available", None, "stock_out"),
    ("absent", "court", "court"), ("absent", "transfer_out", "transfer"),
    ("absent", "hospital_out", "hospital"), ("absent", None, "documentation_gap"),
    ("missed", "in_custody", "documentation_gap"), ("missed", "court_return", "documentation_gap"),
    ("missed", "hospital", "hospital"),
])
def test_dose_cause(outcome, custody, cause):
    dose = DoseRecord(datetime(2026, 3, 2, 8, tzinfo=timezone.utc), DAY0, outcome, custody)
    assert dose_cause(dose) == cause
    assert cause is None or cause in CAUSES


@pytest.mark.parametrize("kwargs, message", [
    ({"due_at": datetime(2026, 3, 2, 8)}, "aware UTC"),
    ({"due_at": datetime(2026, 3, 2, 8, tzinfo=timezone(timedelta(hours=1)))}, "aware UTC"),
    ({"outcome": "skipped"}, "outcome must be one of"),
    ({"custody": "police"}, "unknown custody status"),
])
def test_bad_records_are_refused(kwargs, message):
    fields = {"due_at": datetime(2026, 3, 2, 8, tzinfo=timezone.utc), "local_date": DAY0,
              "outcome": "missed", **kwargs}
    with pytest.raises(ValueError, match=message):
        DoseRecord(**fields)

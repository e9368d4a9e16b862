"""Dose generation: tables over DST changes, the every-N-days anchor and window edges."""

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from prisoncare.rules.schedule import (
    ScheduleError,
    due_instants,
    local_day,
    local_day_bounds,
    local_instant,
    parse_times,
)

KYIV = "Europe/Kyiv"
LONDON = "Europe/London"
# 2026 transitions (EU rule, 01:00 UTC): spring 29 March, autumn 25 October.
# Kyiv springs 03:00 -> 04:00 and falls 04:00 -> 03:00; London 01:00 -> 02:00 and 02:00 -> 01:00.


def utc(y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=timezone.utc)


def local(tz, y, mo, d, h=0, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=ZoneInfo(tz))


FAR = utc(2030, 1, 1)


@pytest.mark.parametrize(
    "tz, times, window_start, window_end, expected",
    [
        # 08:00 stays 08:00 local; its UTC instant moves by an hour.
        (KYIV, ["08:00"], utc(2026, 3, 28), utc(2026, 3, 31),
         [utc(2026, 3, 28, 6), utc(2026, 3, 29, 5), utc(2026, 3, 30, 5)]),
        (KYIV, ["08:00"], utc(2026, 10, 24), utc(2026, 10, 27),
         [utc(2026, 10, 24, 5), utc(2026, 10, 25, 6), utc(2026, 10, 26, 6)]),
        (LONDON, ["08:00"], utc(2026, 3, 28), utc(2026, 3, 31),
         [utc(2026, 3, 28, 8), utc(2026, 3, 29, 7), utc(2026, 3, 30, 7)]),
        (LONDON, ["08:00"], utc(2026, 10, 24), utc(2026, 10, 27),
         [utc(2026, 10, 24, 7), utc(2026, 10, 25, 8), utc(2026, 10, 26, 8)]),
        # Twice daily, given unsorted: output sorted.
        (LONDON, ["20:00", "08:00"], utc(2026, 3, 29), utc(2026, 3, 30),
         [utc(2026, 3, 29, 7), utc(2026, 3, 29, 19)]),
        # Nonexistent (spring gap) -> the instant the clocks jump.
        (KYIV, ["03:30"], local(KYIV, 2026, 3, 29), local(KYIV, 2026, 3, 30),
         [utc(2026, 3, 29, 1)]),
        (LONDON, ["01:30"], local(LONDON, 2026, 3, 29), local(LONDON, 2026, 3, 30),
         [utc(2026, 3, 29, 1)]),
        # Several times in one gap fall on one instant, returned once.
        (KYIV, ["03:00", "03:30", "04:00"], local(KYIV, 2026, 3, 29), local(KYIV, 2026, 3, 30),
         [utc(2026, 3, 29, 1)]),
        (LONDON, ["00:59", "01:00", "01:59", "02:00"], local(LONDON, 2026, 3, 29),
         local(LONDON, 2026, 3, 30), [utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1)]),
        # Ambiguous (autumn) -> once, first occurrence (summer offset).
        (KYIV, ["03:30"], local(KYIV, 2026, 10, 25), local(KYIV, 2026, 10, 26),
         [utc(2026, 10, 25, 0, 30)]),
        (LONDON, ["01:30"], local(LONDON, 2026, 10, 25), local(LONDON, 2026, 10, 26),
         [utc(2026, 10, 25, 0, 30)]),
        # Just after the repeated hour: unambiguous winter time.
        (LONDON, ["02:00"], local(LONDON, 2026, 10, 25), local(LONDON, 2026, 10, 26),
         [utc(2026, 10, 25, 2)]),
        # A zone whose spring gap is at midnight: the day starts at 01:00.
        ("America/Havana", ["00:00", "00:30", "08:00"], utc(2026, 3, 8), utc(2026, 3, 9),
         [utc(2026, 3, 8, 5), utc(2026, 3, 8, 12)]),
    ],
)
def test_daily_schedule_across_dst(tz, times, window_start, window_end, expected):
    start_at = utc(2026, 1, 1)
    assert due_instants(times, 1, start_at, None, tz, window_start, window_end) == expected


@pytest.mark.parametrize(
    "every_days, start_at, window_start, window_end, expected",
    [
        # Start 10 Jan 14:00 Kyiv: 08:00 that day is before start_at; next on day 2.
        (2, local(KYIV, 2026, 1, 10, 14), utc(2026, 1, 9), utc(2026, 1, 16),
         [utc(2026, 1, 12, 6), utc(2026, 1, 14, 6)]),
        # Start before 08:00: day 0 has a dose.
        (2, local(KYIV, 2026, 1, 10, 7), utc(2026, 1, 9), utc(2026, 1, 15),
         [utc(2026, 1, 10, 6), utc(2026, 1, 12, 6), utc(2026, 1, 14, 6)]),
        # A window that opens off-cycle keeps the start-date anchor.
        (2, local(KYIV, 2026, 1, 10, 7), utc(2026, 1, 13), utc(2026, 1, 17),
         [utc(2026, 1, 14, 6), utc(2026, 1, 16, 6)]),
        # Anchored on the LOCAL date: 10 Jan 23:30 UTC is 11 Jan 01:30 in Kyiv.
        (2, utc(2026, 1, 10, 23, 30), utc(2026, 1, 10), utc(2026, 1, 14),
         [utc(2026, 1, 11, 6), utc(2026, 1, 13, 6)]),
        # Every 3 days, a window a month later: offsets 33 and 36 from 1 Jan.
        (3, local(KYIV, 2026, 1, 1), utc(2026, 2, 1), utc(2026, 2, 8),
         [utc(2026, 2, 3, 6), utc(2026, 2, 6, 6)]),
        # Every 2 days across the spring change.
        (2, local(KYIV, 2026, 3, 27), utc(2026, 3, 27), utc(2026, 4, 1),
         [utc(2026, 3, 27, 6), utc(2026, 3, 29, 5), utc(2026, 3, 31, 5)]),
        # Window entirely before the start: nothing.
        (1, local(KYIV, 2026, 1, 10), utc(2026, 1, 1), utc(2026, 1, 9), []),
    ],
)
def test_every_n_days_anchored_on_start_date(every_days, start_at, window_start, window_end, expected):
    got = due_instants(["08:00"], every_days, start_at, None, KYIV, window_start, window_end)
    assert got == expected


DOSE = utc(2026, 5, 10, 7)  # 08:00 London (BST)


@pytest.mark.parametrize(
    "start_at, end_at, window_start, window_end, expected",
    [
        (DOSE, None, DOSE, DOSE + timedelta(hours=1), [DOSE]),  # start_at inclusive
        (DOSE + timedelta(seconds=1), None, utc(2026, 5, 10), utc(2026, 5, 11), []),
        (utc(2026, 5, 1), DOSE, utc(2026, 5, 10), utc(2026, 5, 11), []),  # end_at exclusive
        (utc(2026, 5, 1), DOSE + timedelta(seconds=1), utc(2026, 5, 10), utc(2026, 5, 11), [DOSE]),
        (utc(2026, 5, 1), None, DOSE, utc(2026, 5, 11), [DOSE]),  # window_start inclusive
        (utc(2026, 5, 1), None, utc(2026, 5, 10), DOSE, []),  # window_end exclusive
        (utc(2026, 5, 1), None, DOSE, DOSE, []),  # empty window
        (utc(2026, 5, 1), None, DOSE + timedelta(hours=1), DOSE, []),  # inverted window
        (utc(2026, 5, 1), utc(2026, 5, 3), utc(2026, 5, 1), FAR,
         [utc(2026, 5, 1, 7), utc(2026, 5, 2, 7)]),
        # Bounds in another offset are the same instants.
        (DOSE.astimezone(ZoneInfo(KYIV)), None, utc(2026, 5, 10), utc(2026, 5, 11), [DOSE]),
    ],
)
def test_bounds_are_half_open(start_at, end_at, window_start, window_end, expected):
    assert due_instants(["08:00"], 1, start_at, end_at, LONDON, window_start, window_end) == expected


@pytest.mark.parametrize("tz", [KYIV, LONDON, "America/Havana"])
@pytest.mark.parametrize("every_days", [1, 2, 3])
def test_daily_windows_tile_a_year_without_gaps_or_duplicates(tz, every_days):
    times = ["00:00", "01:30", "03:30", "08:00", "23:59"]
    start_at = local(tz, 2026, 1, 1)
    whole = due_instants(times, every_days, start_at, None, tz, start_at, local(tz, 2027, 1, 1))
    pieces = []
    day = date(2026, 1, 1)
    while day.year == 2026:
        pieces += due_instants(times, every_days, start_at, None, tz, *local_day_bounds(day, tz))
        day += timedelta(days=1)
    assert pieces == whole
    assert all(i.tzinfo is timezone.utc for i in whole)
    assert len(set(whole)) == len(whole)


@pytest.mark.parametrize(
    "instant, tz, expected",
    [
        (utc(2026, 3, 28, 22, 30), KYIV, date(2026, 3, 29)),
        (utc(2026, 3, 28, 21, 59), KYIV, date(2026, 3, 28)),
        (utc(2026, 10, 24, 23, 30), LONDON, date(2026, 10, 25)),
        (utc(2026, 12, 31, 23, 30), LONDON, date(2026, 12, 31)),
        (local(KYIV, 2026, 6, 1, 1), LONDON, date(2026, 5, 31)),
    ],
)
def test_local_day(instant, tz, expected):
    assert local_day(instant, tz) == expected


@pytest.mark.parametrize(
    "day, tz, start, end, hours",
    [
        (date(2026, 3, 29), KYIV, utc(2026, 3, 28, 22), utc(2026, 3, 29, 21), 23),
        (date(2026, 10, 25), KYIV, utc(2026, 10, 24, 21), utc(2026, 10, 25, 22), 25),
        (date(2026, 3, 29), LONDON, utc(2026, 3, 29), utc(2026, 3, 29, 23), 23),
        (date(2026, 10, 25), LONDON, utc(2026, 10, 24, 23), utc(2026, 10, 26), 25),
        (date(2026, 6, 1), LONDON, utc(2026, 5, 31, 23), utc(2026, 6, 1, 23), 24),
        (date(2026, 3, 8), "America/Havana", utc(2026, 3, 8, 5), utc(2026, 3, 9, 4), 23),
    ],
)
def test_local_day_bounds(day, tz, start, end, hours):
    assert local_day_bounds(day, tz) == (start, end)
    assert end - start == timedelta(hours=hours)


@pytest.mark.parametrize(
    "day, at, tz, expected",
    [
        (date(2026, 3, 29), time(3, 30), KYIV, utc(2026, 3, 29, 1)),
        (date(2026, 3, 29), time(2, 59), KYIV, utc(2026, 3, 29, 0, 59)),
        (date(2026, 10, 25), time(3, 0), KYIV, utc(2026, 10, 25, 0)),
        (date(2026, 10, 25), time(4, 0), KYIV, utc(2026, 10, 25, 2)),
        (date(2026, 3, 29), time(1, 0), LONDON, utc(2026, 3, 29, 1)),
        (date(2026, 10, 25), time(1, 59), LONDON, utc(2026, 10, 25, 0, 59)),
    ],
)
def test_local_instant(day, at, tz, expected):
    assert local_instant(day, at, tz) == expected


@pytest.mark.parametrize(
    "times, every_days, parsed, errors",
    [
        (["08:00"], 1, [time(8)], {}),
        (["20:00", "08:00", "00:00", "23:59"], 28,
         [time(0), time(8), time(20), time(23, 59)], {}),
        (["8:00"], 1, [], {"times": ["item 0: '8:00' is not a time of day HH:MM between 00:00 and 23:59"]}),
        (["24:00"], 1, [], {"times": ["item 0: '24:00' is not a time of day HH:MM between 00:00 and 23:59"]}),
        (["12:60"], 1, [], {"times": ["item 0: '12:60' is not a time of day HH:MM between 00:00 and 23:59"]}),
        (["08:00:00"], 1, [], {"times": ["item 0: '08:00:00' is not a time of day HH:MM between 00:00 and 23:59"]}),
        ([800], 1, [], {"times": ["item 0: 800 is not a time of day HH:MM between 00:00 and 23:59"]}),
        (["08:00", "08:00"], 1, [time(8)], {"times": ["item 1: 08:00 appears more than once"]}),
        ([], 1, [], {"times": ["at least one time of day is required"]}),
        ("08:00", 1, [], {"times": ["must be a list of times of day (HH:MM)"]}),
        (None, 1, [], {"times": ["must be a list of times of day (HH:MM)"]}),
        (["08:00"], 0, [time(8)], {"every_days": ["must be between 1 and 28"]}),
        (["08:00"], 29, [time(8)], {"every_days": ["must be between 1 and 28"]}),
        (["08:00"], True, [time(8)], {"every_days": ["must be a whole number of days"]}),
        (["08:00"], "2", [time(8)], {"every_days": ["must be a whole number of days"]}),
        (["08:00"], 1.5, [time(8)], {"every_days": ["must be a whole number of days"]}),
        (["x", "08:00", "08:00"], -1, [time(8)], {
            "times": ["item 0: 'x' is not a time of day HH:MM between 00:00 and 23:59",
                      "item 2: 08:00 appears more than once"],
            "every_days": ["must be between 1 and 28"],
        }),
    ],
)
def test_parse_times(times, every_days, parsed, errors):
    assert parse_times(times, every_days) == (parsed, errors)


NAIVE = datetime(2026, 1, 1)


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"times": ["25:00"]}, "times"),
        ({"every_days": 0}, "every_days"),
        ({"tz": "Europe/Kiev-ish"}, "tz"),
        ({"tz": ""}, "tz"),
        ({"start_at": NAIVE}, "start_at"),
        ({"end_at": NAIVE}, "end_at"),
        ({"window_start": NAIVE}, "window_start"),
        ({"window_end": NAIVE}, "window_end"),
    ],
)
def test_due_instants_rejects_bad_input_with_field_errors(kwargs, field):
    args = {
        "times": ["08:00"], "every_days": 1, "start_at": utc(2026, 1, 1), "end_at": None,
        "tz": KYIV, "window_start": utc(2026, 1, 1), "window_end": utc(2026, 1, 2),
    }
    with pytest.raises(ScheduleError) as exc:
        due_instants(**(args | kwargs))
    assert list(exc.value.fields) == [field]


def test_local_day_rejects_naive_instant():
    with pytest.raises(ScheduleError):
        local_day(NAIVE, KYIV)

"""The custody timeline bench/build.py gives each person: court days and a transfer
over the history, as the PMS posts them and the app records them (statuses replayed
through the app's transition table). Pure: rows and instants, no database."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from prisoncare.rules.custody_transitions import TRANSITIONS

UTC = timezone.utc
ZONE = ZoneInfo("Europe/Kyiv")
NOW = datetime(2026, 3, 10, 6, 10, tzinfo=UTC)      # bench.build's instant
TODAY = NOW.astimezone(ZONE).date()
TRANSFERS_A_YEAR = 0.08          # the share of people moved to another facility in a year


def at_local(day, minutes):
    """The instant `minutes` after local midnight of `day` (DST-correct)."""
    return datetime(day.year, day.month, day.day, minutes // 60, minutes % 60,
                    tzinfo=ZONE).astimezone(UTC)


def _ordinary_ward(rnd, places, code):
    fac_id, wards = places[code]
    return fac_id, wards["A"] if code == "F001" else wards[rnd.choice(sorted(wards))]


def custody_timeline(rnd, places, here, *, admitted, legal, status, bench, first_day, days,
                     traffic):
    """Her movements after the admission, as (occurred, type, facility id, ward id, to
    facility id, expected, status before, status after), in the order drawn; `away`:
    local day -> (left, back, cause, index in the timeline) of each day's absence;
    `moved`: (arrival, facility id, ward id before it) of her transfer, or None;
    `home`: where she was admitted. `here`: (facility code, id, ward id) now."""
    code, fac_id, ward_id = here
    codes = list(places)
    timeline = []
    away = {}
    moved = None
    home = (fac_id, ward_id)
    first_move = max(admitted.astimezone(ZONE).date() + timedelta(days=2), first_day)
    if bench is None and rnd.random() < TRANSFERS_A_YEAR * days / 365:
        span = (TODAY - timedelta(days=1) - first_move).days
        if span > 0:
            t_day = first_move + timedelta(days=rnd.randrange(span))
            other = codes[(codes.index(code) + 1 + rnd.randrange(len(codes) - 1)) % len(codes)]
            old = _ordinary_ward(rnd, places, other)
            left = at_local(t_day, 6 * 60 + rnd.randrange(90))
            arrived = at_local(t_day, 13 * 60 + rnd.randrange(300))
            planned = left - timedelta(days=1 + rnd.randrange(4), hours=rnd.randrange(8))
            if planned > admitted:
                timeline.append((planned, "transfer_scheduled", old[0], None, fac_id, left,
                                 "in_custody", "in_custody"))
            away[t_day] = (left, arrived, "transfer", len(timeline))
            timeline.append((left, "transfer_out", old[0], None, fac_id, None,
                             "in_custody", "in_transfer"))
            timeline.append((arrived, "transfer_in", fac_id, ward_id, None, None,
                             "in_transfer", "in_custody"))
            moved = (arrived, old[0], old[1])
            home = old
            traffic["transfers"] += 1
    if bench is None:
        # court: pre-trial every two to five weeks, sentenced (appeals) rarely
        gap = (10, 35) if legal == "pretrial" else (90, 300)
        day = first_move + timedelta(days=rnd.randrange(gap[1]))
        while day < TODAY:
            if day not in away and (moved is None or day != moved[0].astimezone(ZONE).date()):
                left = at_local(day, 6 * 60 + 30 + rnd.randrange(80))
                back = at_local(day, 16 * 60 + rnd.randrange(300))
                fac_then = home[0] if moved is not None and left < moved[0] else fac_id
                planned = left - timedelta(days=1 + rnd.randrange(7), hours=rnd.randrange(8))
                if planned > admitted and (moved is None or not (
                        moved[0] - timedelta(days=6) < planned < moved[0])):
                    timeline.append((planned, "court_scheduled", fac_then, None, None, left,
                                     "in_custody", "in_custody"))
                away[day] = (left, back, "court", len(timeline))
                timeline.append((left, "court_out", fac_then, None, None, None,
                                 "in_custody", "out_at_court"))
                timeline.append((back, "court_return", fac_then, None, None, None,
                                 "out_at_court", "in_custody"))
                traffic["court_trips"] += 1
            day += timedelta(days=rnd.randrange(*gap))
    if status != "in_custody":
        out_at = NOW - timedelta(hours=2)
        timeline.append((out_at, "court_out" if status == "out_at_court" else "hospital_out",
                         fac_id, None, None, None, "in_custody", status))
    return timeline, away, moved, home


def event_rows(w, ids, pid, admitted, legal, home, timeline, away):
    """The custody_event rows (admission first, then by time, each numbered and its
    statuses replayed; a plan the app would refuse is left out), the absences with
    their event ids, and the last sequence number (her custody_version)."""
    order_by_time = sorted(range(len(timeline)), key=lambda i: timeline[i][0])
    event_ids, rows = {}, []
    ids["event"] += 1
    rows.append((ids["event"], pid, pid, 1, "admission", w.ts(admitted), w.ts(admitted),
                 home[0], home[1], None, legal, None, "never_admitted", "in_custody"))
    seq, now_status = 1, "in_custody"
    for i in order_by_time:
        occurred, etype, e_fac, e_ward, to_fac, expected, before, after = timeline[i]
        after = TRANSITIONS.get((now_status, etype))
        if after is None:   # a plan posted while she was out: the app refuses it
            continue
        before, now_status, seq = now_status, after, seq + 1
        ids["event"] += 1
        event_ids[i] = ids["event"]
        rows.append((ids["event"], pid, pid, seq, etype, w.ts(occurred), w.ts(occurred),
                     e_fac, e_ward, to_fac, None, w.ts(expected), before, after))
    away = {d: (a, b, cause, event_ids[i]) for d, (a, b, cause, i) in away.items()}
    return rows, away, seq

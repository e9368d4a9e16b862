"""Sexual and reproductive health as data and pure functions: pregnancy dating,
antenatal contacts due, screening due dates, the child immunisation and
HIV-exposed infant schedules, and the Bangkok Rules 22/24 protection flags.

Schedules live in data/srh_*.toml, each entry citing its source; the loader
refuses unknown or missing keys. No Flask, no database.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from importlib import resources


class ScheduleError(ValueError):
    """A schedule file that does not have the expected shape."""


# --- loading -------------------------------------------------------------------------

_SHAPES = {
    # file stem: (meta keys required, {list name: (required keys, optional keys)})
    "srh_antenatal": ({"title", "version", "source", "booking_days", "booking_hours_drug_dependent",
                       "grace_days", "dating_term_days"},
                      {"contact": ({"number", "week", "name", "source"}, set()),
                       "postnatal": ({"number", "day", "name", "source"}, set())}),
    "srh_screening": ({"title", "version", "source", "first_offer_days", "sti_treatment_days"},
                      {"screening": ({"kind", "name", "start_age", "end_age", "interval_months",
                                      "abnormal_repeat_months", "source"}, set())}),
    "srh_immunisation": ({"title", "version", "source", "overdue_days"},
                         {"dose": ({"code", "name", "due_days", "source"}, set())}),
    "srh_infant_hiv": ({"title", "version", "source", "prophylaxis_start_hours", "overdue_days"},
                       {"prophylaxis": ({"feeding", "regimen", "weeks", "source"}, set()),
                        "test": ({"code", "name", "due_days", "source"}, set())}),
    "srh_protection": ({"title", "version", "source"},
                       {"flag": ({"code", "text", "applies", "source"},
                                 {"from_gestation_weeks", "until_days_after_birth"})}),
    "srh_pmtct": ({"title", "version", "source", "overdue_days", "breastfeeding_interval_days"},
                  {"viral_load": ({"code", "name", "anchor", "days", "window_before_days", "source"},
                                  set())}),
    "srh_alerts": ({"title", "version", "source"},
                   {"alert": ({"item", "stage", "code", "severity", "role", "message", "action",
                               "source"}, set())}),
}


def validate_schedule(stem: str, data: dict) -> dict:
    """Check one parsed file against its shape; every problem reported at once."""
    meta_required, lists = _SHAPES[stem]
    problems = []
    meta = data.get("meta")
    if not isinstance(meta, dict):
        problems.append("[meta] is missing")
        meta = {}
    for key in sorted(meta_required - meta.keys()):
        problems.append(f"[meta] needs {key}")
    for key in sorted(meta.keys() - meta_required):
        if not (key.endswith("_source") and key[:-7] in meta_required):
            problems.append(f"[meta] has unknown key {key}")
    for key in sorted(k for k in meta_required if k not in ("title", "source", "version")):
        if key in meta and f"{key}_source" not in meta:
            problems.append(f"[meta] {key} needs {key}_source")
    for key in sorted(data.keys() - {"meta"} - lists.keys()):
        problems.append(f"unknown table {key}")
    for name, (required, optional) in lists.items():
        entries = data.get(name)
        if not isinstance(entries, list) or not entries:
            problems.append(f"needs at least one [[{name}]]")
            continue
        for i, entry in enumerate(entries, 1):
            for key in sorted(required - entry.keys()):
                problems.append(f"[[{name}]] #{i} needs {key}")
            for key in sorted(entry.keys() - required - optional):
                problems.append(f"[[{name}]] #{i} has unknown key {key}")
            for key, value in entry.items():
                if key in ("week", "day", "due_days", "start_age", "end_age", "interval_months",
                           "abnormal_repeat_months", "weeks", "number", "days",
                           "window_before_days") and \
                        (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                    problems.append(f"[[{name}]] #{i} {key} must be a whole number >= 0")
    if problems:
        raise ScheduleError(f"{stem}.toml: " + "; ".join(problems))
    return data


@cache
def load(stem: str) -> dict:
    if stem not in _SHAPES:
        raise KeyError(stem)
    text = (resources.files("prisoncare.rules") / "data" / f"{stem}.toml").read_text(encoding="utf-8")
    try:
        return validate_schedule(stem, tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ScheduleError(f"{stem}.toml is not valid TOML: {exc}") from exc


def load_all() -> dict[str, dict]:
    return {stem: load(stem) for stem in _SHAPES}


# --- pregnancy dating ----------------------------------------------------------------

@dataclass(frozen=True)
class Gestation:
    weeks: int
    days: int

    @property
    def total_days(self) -> int:
        return self.weeks * 7 + self.days

    def __str__(self) -> str:
        return f"{self.weeks}+{self.days}"


def term_days() -> int:
    return load("srh_antenatal")["meta"]["dating_term_days"]


def due_date_from_lmp(lmp_on: date) -> date:
    return lmp_on + timedelta(days=term_days())


def due_date_from_scan(scan_on: date, weeks: int, days: int = 0) -> date:
    """The due date from a scan that measured `weeks`+`days` on `scan_on`."""
    return scan_on - timedelta(days=weeks * 7 + days) + timedelta(days=term_days())


def gestation_on(due_on: date, day: date) -> Gestation | None:
    """Gestational age on `day` (None before the pregnancy's dating start)."""
    total = term_days() - (due_on - day).days
    if total < 0:
        return None
    return Gestation(total // 7, total % 7)


def week_start(due_on: date, week: int) -> date:
    return due_on - timedelta(days=term_days() - week * 7)


# --- antenatal contacts --------------------------------------------------------------

@dataclass(frozen=True)
class ContactDue:
    number: int
    name: str
    due_at: datetime            # the moment it becomes overdue if not done
    status: str                 # done | due | overdue | upcoming
    done_on: date | None = None


def antenatal_schedule(*, due_on: date, recorded_at: datetime, drug_dependent: bool,
                       contacts_on: list[date], now: datetime, local_midnight,
                       booking_hours: int | None = None) -> list[ContactDue]:
    """The contacts she is owed: the booking within 7 days of the pregnancy being
    recorded (24 hours if drug-dependent), then each WHO contact whose week had
    not passed at booking. Recorded contacts satisfy them in order.
    `local_midnight(day)` turns a local date into the aware instant it starts;
    `booking_hours`, when given, replaces the file's booking delay (the service
    passes BR-03's, so the record, the worklist and the alert agree)."""
    data = load("srh_antenatal")
    meta, grace = data["meta"], timedelta(days=data["meta"]["grace_days"])
    if booking_hours is not None:
        booking_due = recorded_at + timedelta(hours=booking_hours)
    else:
        booking_due = recorded_at + (timedelta(hours=meta["booking_hours_drug_dependent"])
                                     if drug_dependent else timedelta(days=meta["booking_days"]))
    contacts = sorted(data["contact"], key=lambda c: c["number"])
    booking_day = booking_due.date()
    planned = [(contacts[0]["number"], contacts[0]["name"], booking_due)]
    for c in contacts[1:]:
        starts = week_start(due_on, c["week"])
        if starts > booking_day:
            planned.append((c["number"], c["name"], local_midnight(starts) + grace))
    done = sorted(contacts_on)
    out = []
    for i, (number, name, due_at) in enumerate(planned):
        if i < len(done):
            out.append(ContactDue(number, name, due_at, "done", done[i]))
            continue
        if now > due_at:
            status = "overdue"
        else:
            status = "due" if i == len(done) else "upcoming"
        out.append(ContactDue(number, name, due_at, status))
    return out


def postnatal_schedule(*, born_on: date, contacts_on: list[date], today: date) -> list[dict]:
    data = load("srh_antenatal")
    done = sorted(contacts_on)
    out = []
    for i, c in enumerate(sorted(data["postnatal"], key=lambda c: c["number"])):
        due_on = born_on + timedelta(days=c["day"])
        status = "done" if i < len(done) else ("overdue" if today > due_on else "due"
                                               if today >= due_on - timedelta(days=2) else "upcoming")
        out.append({"number": c["number"], "name": c["name"], "due_on": due_on, "status": status,
                    "done_on": done[i] if i < len(done) else None})
    return out


# --- screening -----------------------------------------------------------------------

def _add_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _birthday(born: date, age: int) -> date:
    return _add_months(born, 12 * age)


@dataclass(frozen=True)
class ScreeningDue:
    kind: str
    name: str
    due_on: date | None         # None: not in the programme's age range
    status: str                 # due | overdue | upcoming | not_eligible
    reason: str


def screening_due(kind: str, *, born: date, today: date, last_on: date | None = None,
                  last_result: str | None = None, since: date | None = None) -> ScreeningDue:
    """When her next `kind` screening is due. `last_result`: normal | abnormal.
    Never screened: due now, or, given `since` (when she came into care), a fixed
    `first_offer_days` after it (a stable date the scheduler can alert on)."""
    entry = next((s for s in load("srh_screening")["screening"] if s["kind"] == kind), None)
    if entry is None:
        raise KeyError(kind)
    starts, ends = _birthday(born, entry["start_age"]), _birthday(born, entry["end_age"] + 1)
    if today >= ends:
        return ScreeningDue(kind, entry["name"], None, "not_eligible", "past the programme's age range")
    if last_on is None and since is not None:
        first = since + timedelta(days=load("srh_screening")["meta"]["first_offer_days"])
        due_on, reason = max(starts, first), "never screened"
    elif last_on is None:
        due_on, reason = max(starts, today), "never screened"
    elif last_result == "abnormal":
        due_on = _add_months(last_on, entry["abnormal_repeat_months"])
        reason = f"repeat {entry['abnormal_repeat_months']} months after an abnormal result"
    else:
        due_on = _add_months(last_on, entry["interval_months"])
        reason = f"{entry['interval_months']} months after a normal result"
    due_on = max(due_on, starts)
    if due_on >= ends:
        return ScreeningDue(kind, entry["name"], None, "not_eligible", "next one falls past the age range")
    status = "overdue" if today > due_on else ("due" if today == due_on or
                                               (due_on - today).days <= 30 else "upcoming")
    return ScreeningDue(kind, entry["name"], due_on, status, reason)


# --- children ------------------------------------------------------------------------

def _status(today: date, due_on: date, overdue_days: int, done: bool) -> str:
    if done:
        return "done"
    if today > due_on + timedelta(days=overdue_days):
        return "overdue"
    return "due" if today >= due_on else "upcoming"


def immunisations_due(born: date, given: set[str], today: date) -> list[dict]:
    data = load("srh_immunisation")
    late = data["meta"]["overdue_days"]
    return [{"code": d["code"], "name": d["name"], "due_on": born + timedelta(days=d["due_days"]),
             "status": _status(today, born + timedelta(days=d["due_days"]), late, d["code"] in given)}
            for d in data["dose"]]


def immunisation_codes() -> set[str]:
    return {d["code"] for d in load("srh_immunisation")["dose"]}


def infant_hiv_schedule(born: date, *, feeding: str | None, tests_done: set[str],
                        prophylaxis_started: bool, today: date) -> dict:
    data = load("srh_infant_hiv")
    regimens = {p["feeding"]: p for p in data["prophylaxis"]}
    regimen = regimens.get(feeding or "breastfed", regimens["breastfed"])
    late = data["meta"]["overdue_days"]
    return {
        "prophylaxis": {"regimen": regimen["regimen"], "weeks": regimen["weeks"],
                        "until_on": born + timedelta(weeks=regimen["weeks"]),
                        "started": prophylaxis_started},
        "tests": [{"code": t["code"], "name": t["name"], "due_on": born + timedelta(days=t["due_days"]),
                   "status": _status(today, born + timedelta(days=t["due_days"]), late,
                                     t["code"] in tests_done)} for t in data["test"]],
    }


def infant_test_codes() -> set[str]:
    return {t["code"] for t in load("srh_infant_hiv")["test"]}


def prophylaxis_due_at(born_at: datetime, arrived_at: datetime) -> datetime:
    """When prophylaxis must have started: hours after birth, or after arrival for
    an infant who came in later."""
    hours = timedelta(hours=load("srh_infant_hiv")["meta"]["prophylaxis_start_hours"])
    return max(born_at, arrived_at) + hours


CHILD_SCREEN_DAYS = 7  # Bangkok Rule 9; clinical-rules.md BR-07 (the default of its hours)


def child_screen_due_at(arrived_at: datetime, hours: int | None = None) -> datetime:
    """When the child's health screen is late: BR-07's configured `hours` after the
    child's arrival (the service passes them, so the child's record, the worklist and
    the alert agree); CHILD_SCREEN_DAYS when none is given."""
    if hours is not None:
        return arrived_at + timedelta(hours=hours)
    return arrived_at + timedelta(days=CHILD_SCREEN_DAYS)


# --- protection flags ----------------------------------------------------------------

@dataclass(frozen=True)
class ProtectionState:
    """What the flags depend on; the flags themselves say none of it."""
    gestation_days: int | None = None       # while pregnant
    delivered_on: date | None = None        # the latest birth
    breastfeeding: bool = False
    infant_with_her: bool = False


@dataclass(frozen=True)
class Flag:
    code: str
    text: str


def protection_flags(state: ProtectionState, today: date) -> list[Flag]:
    out = []
    for flag in load("srh_protection")["flag"]:
        if flag["applies"] == "pregnant_or_breastfeeding_or_infant":
            on = state.gestation_days is not None or state.breastfeeding or state.infant_with_her
        elif flag["applies"] == "late_pregnancy_to_postpartum":
            late = state.gestation_days is not None and \
                state.gestation_days >= flag["from_gestation_weeks"] * 7
            after = state.delivered_on is not None and \
                state.delivered_on <= today <= state.delivered_on + timedelta(
                    days=flag["until_days_after_birth"])
            on = late or after
        else:
            raise ScheduleError(f"unknown flag condition {flag['applies']}")
        if on:
            out.append(Flag(flag["code"], flag["text"]))
    return out


def flag_texts() -> dict[str, str]:
    return {f["code"]: f["text"] for f in load("srh_protection")["flag"]}

"""Treatment interruption episodes computed from one order's medication record (pure).

Input: the scheduled doses of ONE order / programme as plain ``DoseRecord`` values.
Output: ``Episode`` values. Same input, same output: ordering of the input does not matter.

Definitions (for clinical review)
---------------------------------
Day. A facility-local calendar day (``local_date``). Only days up to ``today`` are read.

Day states, from that day's doses:
  * covered: at least one dose ``given`` (a split dose half given covers the day);
  * pending: nothing given and some dose still ``due`` (not yet recorded): neutral,
    the day neither opens nor closes an episode and is not counted;
  * held: every dose ``held`` (a verified clinical hold);
  * lost: nothing given, nothing pending, and at least one dose not held.

Episode. A maximal run of scheduled days with no given dose that contains at least one
lost day. Consequences:
  * held doses alone never open an episode, but held days adjacent to lost days belong to
    it (the patient still went without: tolerance falls whatever the reason);
  * days with no scheduled dose (every-N-days schedules, or gaps in the record) are
    covered by the last given dose; between two days without a dose they belong to the
    episode. A closed episode therefore ends the day before the next given dose: every
    2 days, given D1, missed D3, given D5 -> episode D3..D4, 2 days long, 1 missed day;
  * an episode with no given dose after it is ongoing: ``end_on`` None, length counted
    through ``today``.

Counts:
  * ``length_days``: calendar days from start to end (or today), for reports and the
    calendar-day rules (TB, HCV, ART-03);
  * ``missed_days``: days in custody when a dose was due and none was given: lost and held
    scheduled days plus intake-gap days (the reference's missed_consec_days, used by the
    OST and ART ladders);
  * ``missed_doses``: doses refused, not available, absent or missed (held excluded).

Cause of a lost dose: ``absent``, or ``missed`` while the custody status says court,
transfer or hospital -> that place; ``absent`` with no custody status ->
documentation_gap (the absence was not explained); ``refused`` -> refusal;
``not_available`` -> stock_out; ``missed`` -> documentation_gap.
Synthetic days: with ``intake_due_on`` (the first day a dose of a community treatment was
due in custody), the days from it up to the order's first scheduled day are intake_gap.
With ``released_without_supply_on``, the days after it through today are
release_without_supply (counted in the length, not in missed_days: no longer in custody).

A day's cause is the highest in ``CAUSES`` among its lost doses: custody movements
first (they are what this system exists to catch), then release and intake
transitions, then service failure (stock-out), then the patient's refusal, and last
an unexplained gap. An episode's cause is what began it: the cause of its first lost
day, except that an unexplained day (documentation gap) gives way to the first
explained day after it in the episode (a late-recorded movement often explains it).
What comes later does not change it: an ART interruption begun in transfer and
continued at court is the transfer's (a "highest cause over the whole episode" rule
once called it court's). ``cause_days`` keeps every cause with its day count for audit.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Iterable

OUTCOMES = ("given", "refused", "held", "not_available", "absent", "missed", "due")
CAUSES = ("court", "transfer", "hospital", "release_without_supply", "intake_gap",
          "stock_out", "refusal", "documentation_gap")  # precedence, highest first
# Custody status at due time (or the custody event that set it) -> where the person was.
CUSTODY = {
    None: None, "in_custody": None, "court": "court", "court_out": "court",
    "transfer": "transfer", "transfer_out": "transfer",
    "hospital": "hospital", "hospital_out": "hospital",
    "admission": None, "court_scheduled": None, "court_return": None, "sentenced": None,
    "transfer_scheduled": None, "transfer_in": None, "hospital_return": None,
    "release_scheduled": None,
}
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class DoseRecord:
    due_at: datetime          # aware, UTC
    local_date: date          # the facility-local day the dose belongs to
    outcome: str              # one of OUTCOMES
    custody: str | None = None  # custody status / event type at due time (see CUSTODY)

    def __post_init__(self):
        if self.due_at.tzinfo is None or self.due_at.utcoffset() != timedelta(0):
            raise ValueError(f"due_at must be an aware UTC datetime, got {self.due_at!r}")
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {self.outcome!r}")
        if self.custody not in CUSTODY:
            raise ValueError(f"unknown custody status {self.custody!r}")


@dataclass(frozen=True)
class Episode:
    start_on: date
    end_on: date | None       # None: ongoing as of today
    length_days: int
    missed_days: int
    missed_doses: int
    held_days: int
    cause: str
    cause_days: tuple[tuple[str, int], ...]  # (cause, lost days), in precedence order

    @property
    def ongoing(self) -> bool:
        return self.end_on is None


@dataclass(frozen=True)
class _Day:
    on: date
    state: str                # covered | pending | held | lost
    cause: str | None = None
    missed_doses: int = 0
    in_custody: bool = True


def compute_episodes(doses: Iterable[DoseRecord], today: date, *,
                     intake_due_on: date | None = None,
                     released_without_supply_on: date | None = None) -> list[Episode]:
    """Interruption episodes of one order as of ``today`` (facility-local), oldest first."""
    days = _classify(doses, today)
    days.update(_intake_gap(days, today, intake_due_on))
    days.update(_after_release(days, today, released_without_supply_on))
    return _episodes([days[on] for on in sorted(days)], today)


def ongoing_episode(episodes: Iterable[Episode]) -> Episode | None:
    return next((e for e in episodes if e.ongoing), None)


def dose_cause(dose: DoseRecord) -> str | None:
    """The cause a single dose contributes; None for given, held and due doses."""
    if dose.outcome == "refused":
        return "refusal"
    if dose.outcome == "not_available":
        return "stock_out"
    if dose.outcome in ("absent", "missed"):
        return CUSTODY[dose.custody] or "documentation_gap"
    return None


def _classify(doses: Iterable[DoseRecord], today: date) -> dict[date, _Day]:
    by_day: dict[date, list[DoseRecord]] = {}
    for dose in doses:
        if dose.local_date <= today:
            by_day.setdefault(dose.local_date, []).append(dose)
    return {on: _day(on, group) for on, group in by_day.items()}


def _day(on: date, doses: list[DoseRecord]) -> _Day:
    outcomes = {d.outcome for d in doses}
    if "given" in outcomes:
        return _Day(on, "covered")
    if "due" in outcomes:
        return _Day(on, "pending")
    causes = [c for d in doses if (c := dose_cause(d))]
    if not causes:
        return _Day(on, "held")
    return _Day(on, "lost", min(causes, key=CAUSES.index), len(causes))


def _intake_gap(days: dict[date, _Day], today: date, due_on: date | None) -> dict[date, _Day]:
    if due_on is None:
        return {}
    first = min((on for on in days if on >= due_on), default=today + _DAY)
    return {on: _Day(on, "lost", "intake_gap") for on in _span(due_on, first - _DAY)}


def _after_release(days: dict[date, _Day], today: date, released_on: date | None
                   ) -> dict[date, _Day]:
    if released_on is None:
        return {}
    return {on: _Day(on, "lost", "release_without_supply", in_custody=False)
            for on in _span(released_on + _DAY, today) if on not in days}


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _episodes(days: list[_Day], today: date) -> list[Episode]:
    episodes: list[Episode] = []
    run: list[_Day] = []
    for day in days:
        if day.state == "covered":
            if any(d.state == "lost" for d in run):
                episodes.append(_episode(run, day.on - _DAY, today))
            run = []
        elif day.state in ("lost", "held"):
            run.append(day)
    if any(d.state == "lost" for d in run):
        episodes.append(_episode(run, None, today))
    return episodes


def _episode(run: list[_Day], end_on: date | None, today: date) -> Episode:
    lost = [d for d in run if d.state == "lost"]
    counts = Counter(d.cause for d in lost)
    start = run[0].on
    return Episode(
        start_on=start,
        end_on=end_on,
        length_days=((end_on or today) - start).days + 1,
        missed_days=sum(1 for d in run if d.in_custody),
        missed_doses=sum(d.missed_doses for d in lost),
        held_days=sum(1 for d in run if d.state == "held"),
        cause=_began_it(lost),
        cause_days=tuple((c, counts[c]) for c in CAUSES if c in counts),
    )


def _began_it(lost: list[_Day]) -> str:
    """The cause of the first lost day, passing over unexplained days while an
    explained one follows (`lost` in day order)."""
    return next((d.cause for d in lost if d.cause != "documentation_gap"), "documentation_gap")

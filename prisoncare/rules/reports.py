"""Report definitions and small pure helpers (issue 8): the indicators file
(rules/data/indicators.toml), age bands, coverage bands, the report period and
its groupings, medians and rates. No Flask, no database."""
from __future__ import annotations

import statistics
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from importlib import resources

# The interruption report's groupings, in the order columns are shown.
REPORT_GROUPS = ("facility", "month", "sex", "age_band", "legal_status", "programme", "cause")
# Indicators are always by sex; these may be added.
INDICATOR_GROUPS = ("sex", "facility")
REPORT_PROGRAMMES = ("ost", "art", "tb", "hcv")
MAX_PERIOD_DAYS = 3 * 366


@dataclass(frozen=True)
class Bands:
    low_below: float
    high_above: float

    def level(self, percent: float | None) -> str | None:
        """low / medium / high, as the technical guide reads a coverage percentage."""
        if percent is None:
            return None
        if percent < self.low_below:
            return "low"
        if percent > self.high_above:
            return "high"
        return "medium"


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    unit: str
    numerator: str
    denominator: str
    period: str
    source: str
    bands: Bands | None = None
    bands_confidence: str | None = None
    guide_note: str | None = None    # how the measure differs from the technical guide's


@dataclass(frozen=True)
class Definitions:
    version: int
    indicators: tuple[Indicator, ...]
    age_bands: tuple[tuple[int, int, str], ...]
    age_band_note: str

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)


def parse(data: dict) -> Definitions:
    indicators = []
    for raw in data["indicators"]:
        raw = dict(raw)
        bands = raw.pop("bands", None)
        indicators.append(Indicator(**raw, bands=Bands(**bands) if bands else None))
    ids = [i.id for i in indicators]
    if len(ids) != len(set(ids)):
        raise ValueError("indicator ids must be unique")
    return Definitions(version=data["version"], indicators=tuple(indicators),
                       age_bands=tuple(tuple(b) for b in data["age_bands"]),
                       age_band_note=data["age_band_note"])


@lru_cache(maxsize=1)
def definitions() -> Definitions:
    resource = resources.files("prisoncare.rules") / "data" / "indicators.toml"
    return parse(tomllib.loads(resource.read_text(encoding="utf-8")))


def age_on(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(born: date, on: date, bands=None) -> str:
    age = age_on(born, on)
    for low, high, label in bands or definitions().age_bands:
        if low <= age <= high:
            return label
    return "unknown"


def parse_groups(value: str | None, allowed: tuple[str, ...]) -> tuple[tuple[str, ...], list[str]]:
    """`a,b` -> the groups in `allowed` order, and the errors for unknown names."""
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in allowed]
    errors = [f"Unknown group {n!r}; use any of {', '.join(allowed)}." for n in unknown]
    return tuple(g for g in allowed if g in names), errors


def period_errors(first: date, last: date) -> dict[str, list[str]]:
    if last < first:
        return {"to": ["Must be on or after from."]}
    if (last - first).days > MAX_PERIOD_DAYS:
        return {"to": [f"The period may be at most {MAX_PERIOD_DAYS} days."]}
    return {}


def months(first: date, last: date) -> list[tuple[str, date, date]]:
    """(YYYY-MM, first day, last day) of every month the period touches, clipped to it."""
    out, cursor = [], first.replace(day=1)
    while cursor <= last:
        following = (cursor + timedelta(days=32)).replace(day=1)
        out.append((cursor.strftime("%Y-%m"), max(cursor, first),
                    min(following - timedelta(days=1), last)))
        cursor = following
    return out


def rate_per_100(events: int, person_days: int) -> float | None:
    return round(100.0 * events / person_days, 2) if person_days else None


def percent(numerator: int, denominator: int) -> float | None:
    return round(100.0 * numerator / denominator, 1) if denominator else None


def median(values) -> float | None:
    values = list(values)
    return round(statistics.median(values), 1) if values else None


def indicators_markdown(defs: Definitions | None = None) -> str:
    """The README's "Indicators" list, from the same file the dashboard shows."""
    defs = defs or definitions()
    lines = []
    for i in defs.indicators:
        lines.append(f"- **{i.name}** (`{i.id}`, {i.unit}).")
        lines.append(f"  Numerator: {i.numerator}")
        lines.append(f"  Denominator: {i.denominator}")
        lines.append(f"  Period: {i.period}")
        if i.bands:
            lines.append(f"  Bands: low below {i.bands.low_below:g} %, high above "
                         f"{i.bands.high_above:g} %, medium between. Confidence: {i.bands_confidence}")
        if i.guide_note:
            lines.append(f"  Against the guide: {i.guide_note}")
        lines.append(f"  Source: {i.source}")
    return "\n".join(lines) + "\n"

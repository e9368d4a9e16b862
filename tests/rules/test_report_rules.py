"""Report definitions and helpers (pure)."""
from datetime import date
from pathlib import Path

import pytest

from prisoncare.rules import reports as rules
from prisoncare.services.reports.svg import bar_chart


def test_every_indicator_of_the_brief_is_defined_with_numerator_denominator_and_period():
    ids = {i.id for i in rules.definitions().indicators}
    assert ids == {"continuation_at_intake", "hours_to_first_dose", "dose_coverage",
                   "interruption_rate", "intake_checklist_24h", "alert_response_hours",
                   "release_plan_finalized", "naloxone_issued", "first_appointment_attended",
                   "ost_coverage", "art_coverage", "hiv_test_offered", "hiv_test_accepted"}
    for i in rules.definitions().indicators:
        assert i.numerator and i.denominator and i.period and i.source, i.id


def test_the_readme_lists_the_indicators_as_the_file_defines_them():
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert rules.indicators_markdown() in readme


@pytest.mark.parametrize("indicator,value,level", [
    ("ost_coverage", 19.9, "low"), ("ost_coverage", 20, "medium"), ("ost_coverage", 40, "medium"),
    ("ost_coverage", 40.1, "high"), ("ost_coverage", None, None),
])
def test_the_guide_bands(indicator, value, level):
    assert rules.definitions().indicator(indicator).bands.level(value) == level


def test_a_band_only_where_the_measure_is_the_guide_s_and_the_difference_said():
    defs = rules.definitions()
    assert [i.id for i in defs.indicators if i.bands] == ["ost_coverage"]
    for name in ("ost_coverage", "art_coverage", "hiv_test_accepted"):
        assert "guide" in defs.indicator(name).guide_note
    assert "Against the guide: No band" in rules.indicators_markdown()


@pytest.mark.parametrize("born,on,band", [
    (date(2001, 3, 2), date(2026, 3, 1), "<25"), (date(2001, 3, 1), date(2026, 3, 1), "25-34"),
    (date(1971, 3, 1), date(2026, 3, 1), "55+"), (date(1981, 12, 31), date(2026, 3, 1), "35-44"),
])
def test_age_bands_on_the_first_day(born, on, band):
    assert rules.age_band(born, on) == band


def test_groups_keep_a_fixed_order_and_name_the_unknown():
    assert rules.parse_groups("cause, sex", rules.REPORT_GROUPS) == (("sex", "cause"), [])
    groups, errors = rules.parse_groups("sex,colour", rules.REPORT_GROUPS)
    assert groups == ("sex",) and "colour" in errors[0]


def test_months_are_clipped_to_the_period():
    assert rules.months(date(2026, 1, 20), date(2026, 3, 5)) == [
        ("2026-01", date(2026, 1, 20), date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026-03", date(2026, 3, 1), date(2026, 3, 5))]


def test_rates_percentages_and_medians():
    assert rules.rate_per_100(3, 25) == 12.0 and rules.rate_per_100(1, 0) is None
    assert rules.percent(2, 3) == 66.7 and rules.percent(0, 0) is None
    assert rules.median([21, 2, 9]) == 9.0 and rules.median([]) is None


def test_a_chart_is_inline_svg_with_escaped_labels_and_no_data_marked():
    svg = str(bar_chart("Rate", [("<women>", 12.5), ("men", None)], unit=" %", bands=(20, 40),
                        scale_max=100))
    assert svg.startswith("<svg") and "&lt;women&gt;" in svg and "no data" in svg
    assert "12.5 %" in svg and "<script" not in svg

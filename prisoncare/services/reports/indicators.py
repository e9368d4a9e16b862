"""Every indicator of rules/data/indicators.toml for a scope, by sex (and facility
when asked), with a total, its value and, where the technical guide gives them,
its low / medium / high level. One access-log entry per read."""
from ... import audit
from ...rules.reports import definitions, median, percent, rate_per_100
from . import measures
from .interruptions import Scope, interruption_rows
from .sql import Dialect


def _release_measures(d, scope, groups):
    finalized, naloxone = {}, {}
    for row in measures.releases(d, scope, groups):
        key = tuple(row[:len(groups)])
        released_at, plan_id, finalized_at, checks, circumstances, on_ost = row[len(groups):]
        m = finalized.setdefault(key, measures.Measure())
        m.denominator += 1
        m.numerator += bool(plan_id and finalized_at and finalized_at <= released_at)
        n = naloxone.setdefault(key, measures.Measure())
        if on_ost or (circumstances or {}).get("opioid_use"):
            n.denominator += 1
            n.numerator += bool((checks or {}).get("naloxone_issued"))
    return finalized, naloxone


def _interruption_measures(scope, groups):
    out = {}
    for row in interruption_rows(scope, groups):
        out[tuple(row[g] for g in groups)] = measures.Measure(
            row["interruptions"], row["person_days_on_treatment"])
    return out


def measure_all(scope: Scope, groups, now) -> dict:
    """indicator id -> {group key: Measure}."""
    d = Dialect()
    share, hours = measures.intake_continuation(d, scope, groups, now)
    offered, accepted = measures.hiv_testing(d, scope, groups)
    finalized, naloxone = _release_measures(d, scope, groups)
    return {
        "continuation_at_intake": share, "hours_to_first_dose": hours,
        "dose_coverage": measures.dose_coverage(d, scope, groups),
        "interruption_rate": _interruption_measures(scope, groups),
        "intake_checklist_24h": measures.intake_within_24h(d, scope, groups, now),
        "alert_response_hours": measures.alert_response(d, scope, groups, now),
        "release_plan_finalized": finalized, "naloxone_issued": naloxone,
        "first_appointment_attended": measures.appointments(d, scope, groups, now),
        "ost_coverage": measures.ost_coverage(d, scope, groups),
        "art_coverage": measures.art_coverage(d, scope, groups),
        "hiv_test_offered": offered, "hiv_test_accepted": accepted,
    }


def _figure(indicator, m: measures.Measure) -> dict:
    if indicator.unit == "hours":
        value = median(m.values)
        out = {"numerator": None, "denominator": len(m.values), "value": value,
               "outstanding": m.outstanding,
               "outstanding_percent": percent(m.outstanding, len(m.values) + m.outstanding)}
    elif indicator.unit == "percent":
        out = {"numerator": m.numerator, "denominator": m.denominator,
               "value": percent(m.numerator, m.denominator)}
    else:
        out = {"numerator": m.numerator, "denominator": m.denominator,
               "value": rate_per_100(m.numerator, m.denominator)}
    out["level"] = indicator.bands.level(out["value"]) if indicator.bands else None
    return out


def _total(by_group: dict) -> measures.Measure:
    total = measures.Measure()
    for m in by_group.values():
        total.numerator += m.numerator
        total.denominator += m.denominator
        total.values.extend(m.values)
        total.outstanding += m.outstanding
    return total


def indicator_rows(scope: Scope, groups, now) -> list[dict]:
    """One dict per indicator: its definition, a row per group and a total."""
    groups = ("sex",) + tuple(g for g in groups if g != "sex")
    computed = measure_all(scope, groups, now)
    out = []
    for indicator in definitions().indicators:
        by_group = computed[indicator.id]
        rows = [{**dict(zip(groups, key)), **_figure(indicator, by_group[key])}
                for key in sorted(by_group, key=lambda k: tuple(str(v) for v in k))]
        out.append({
            "id": indicator.id, "name": indicator.name, "unit": indicator.unit,
            "numerator_definition": indicator.numerator,
            "denominator_definition": indicator.denominator, "period": indicator.period,
            "source": indicator.source,
            "bands": ({"low_below": indicator.bands.low_below,
                       "high_above": indicator.bands.high_above,
                       "confidence": indicator.bands_confidence} if indicator.bands else None),
            "guide_note": indicator.guide_note,
            "rows": rows, "total": _figure(indicator, _total(by_group))})
    return out


def indicators_report(actor, scope: Scope, groups, *, now) -> dict:
    items = indicator_rows(scope, groups, now)
    groups = ["sex"] + [g for g in groups if g != "sex"]
    audit.record(actor, "report.indicators.read", at=now, detail={
        "from": scope.first.isoformat(), "to": scope.last.isoformat(),
        "facility": scope.facility_code, "group_by": groups})
    return {"from": scope.first, "to": scope.last, "facility": scope.facility_code,
            "group_by": groups, "items": items, "total": len(items)}

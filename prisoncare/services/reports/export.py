"""CSV of the reports: the same rows the JSON and the dashboard show."""
import csv
import io

from .interruptions import FIGURES


def _csv(header, rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue()


def interruptions_csv(report: dict) -> str:
    """The rows, then a totals row ("all" in every group column) whose person-days
    are counted per programme, and a last column with each person-day once."""
    groups = report["group_by"]
    header = groups + list(FIGURES) + ["person_days_any_treatment"]
    rows = [[r[g] for g in groups + list(FIGURES)] + [None] for r in report["items"]]
    t = report["totals"]
    rows.append(["all"] * len(groups) + [t[f] for f in FIGURES] + [t["person_days_any_treatment"]])
    return _csv(header, rows)


def indicators_csv(report: dict, only: str | None = None) -> str:
    groups = report["group_by"]
    header = ["indicator", *groups, "numerator", "denominator", "value", "level", "outstanding",
              "outstanding_percent"]
    rows = []
    for item in report["items"]:
        if only and item["id"] != only:
            continue
        for r in item["rows"]:
            rows.append([item["id"], *[r[g] for g in groups], r["numerator"], r["denominator"],
                         r["value"], r["level"], r.get("outstanding"),
                         r.get("outstanding_percent")])
        t = item["total"]
        rows.append([item["id"], *["all"] * len(groups), t["numerator"], t["denominator"],
                     t["value"], t["level"], t.get("outstanding"), t.get("outstanding_percent")])
    return _csv(header, rows)


EPISODE_COLUMNS = ("id", "patient", "facility", "sex", "age_band", "programme", "cause",
                   "start_on", "end_on", "length_days", "missed_days", "missed_doses",
                   "missed_doses_in_period", "held_days")


def episodes_csv(rows) -> str:
    """The episodes behind a figure, one per row (days by cause as cause:days;...)."""
    return _csv(list(EPISODE_COLUMNS) + ["cause_days"],
                [[r[c] for c in EPISODE_COLUMNS]
                 + [";".join(f"{k}:{v}" for k, v in sorted(r["cause_days"].items()))]
                 for r in rows])

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
    groups = report["group_by"]
    return _csv(groups + list(FIGURES),
                [[r[g] for g in groups + list(FIGURES)] for r in report["items"]])


def indicators_csv(report: dict, only: str | None = None) -> str:
    groups = report["group_by"]
    header = ["indicator", *groups, "numerator", "denominator", "value", "level"]
    rows = []
    for item in report["items"]:
        if only and item["id"] != only:
            continue
        for r in item["rows"]:
            rows.append([item["id"], *[r[g] for g in groups], r["numerator"], r["denominator"],
                         r["value"], r["level"]])
        t = item["total"]
        rows.append([item["id"], *["all"] * len(groups), t["numerator"], t["denominator"],
                     t["value"], t["level"]])
    return _csv(header, rows)

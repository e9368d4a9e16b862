"""The report API and pages on the hand-checked world (tests/services/report_world.py):
the same figures in JSON, CSV and on the dashboard; group validation; facility
scope; the drill-down to episodes and their cause chains; reads audited."""
import csv
import io
import re

import pytest
from sqlalchemy import select

from prisoncare.extensions import db
from prisoncare.models import AuditEntry
from tests.services.report_world import build_report_world

Q = "from=2026-03-01&to=2026-03-09"


@pytest.fixture
def people(app):
    with app.app_context():
        people = build_report_world()
        db.session.remove()
    return people


def rows_by(items, *groups):
    return {tuple(r[g] for g in groups): (r["interruptions"], r["missed_doses"],
                                          r["person_days_on_treatment"],
                                          r["rate_per_100_person_days"]) for r in items}


def test_the_report_by_sex_as_json_and_csv(people, as_user):
    api = as_user("auditor.national")
    body = api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex").get_json()
    assert rows_by(body["items"], "sex") == {("female",): (2, 2, 16, 12.5),
                                             ("male",): (1, 2, 9, 11.11)}
    assert body["totals"] == {"interruptions": 3, "missed_doses": 4,
                              "person_days_on_treatment": 25, "person_days_any_treatment": 25,
                              "rate_per_100_person_days": 12.0}
    for resp in (api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex&format=csv"),
                 api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex",
                         headers={"Accept": "text/csv"})):
        assert resp.mimetype == "text/csv"
        table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
        assert [(r["sex"], r["interruptions"], r["missed_doses"], r["person_days_on_treatment"],
                 r["rate_per_100_person_days"]) for r in table] == [
            ("female", "2", "2", "16", "12.5"), ("male", "1", "2", "9", "11.11"),
            ("all", "3", "4", "25", "12.0")]
        assert table[-1]["person_days_any_treatment"] == "25"


def test_unknown_group_is_a_field_error(people, as_user):
    api = as_user("auditor.national")
    resp = api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex,colour")
    assert resp.status_code == 422
    assert "colour" in resp.get_json()["error"]["fields"]["group_by"][0]
    resp = api.get(f"/api/v1/reports/indicators?{Q}&group_by=programme")
    assert resp.status_code == 422 and "group_by" in resp.get_json()["error"]["fields"]
    resp = api.get("/api/v1/reports/interruptions?from=2026-03-09&to=2026-03-01")
    assert resp.status_code == 422 and "to" in resp.get_json()["error"]["fields"]


def test_a_facility_auditor_sees_only_her_facility(people, as_user):
    api = as_user("auditor.a")
    body = api.get(f"/api/v1/reports/interruptions?{Q}&group_by=facility").get_json()
    assert rows_by(body["items"], "facility") == {("FAC-A",): (2, 2, 16, 12.5)}
    assert api.get(f"/api/v1/reports/interruptions?{Q}&facility=FAC-B").status_code == 404
    assert api.get(f"/api/v1/reports/indicators?{Q}&facility=FAC-B").status_code == 404
    other = as_user("auditor.b").get(f"/api/v1/reports/interruptions/episodes?{Q}").get_json()
    [m1] = other["items"]
    assert (m1["facility"], m1["cause"]) == ("FAC-B", "documentation_gap")
    assert api.get(f"/api/v1/reports/interruptions/episodes/{m1['id']}").status_code == 404


def test_each_figure_drills_down_to_its_episodes_and_their_cause_chain(people, as_user):
    api = as_user("auditor.national")
    sentenced = api.get(f"/api/v1/reports/interruptions/episodes?{Q}&legal_status=sentenced").get_json()
    assert sentenced["total"] == 1
    [w2] = sentenced["items"]
    assert (w2["patient"], w2["cause"], w2["missed_doses"]) == (people["W2"], "refusal", 1)
    court = api.get(f"/api/v1/reports/interruptions/episodes?{Q}&cause=court").get_json()["items"]
    chain = api.get(f"/api/v1/reports/interruptions/episodes/{court[0]['id']}").get_json()
    assert chain["cause_event"]["type"] == "court_out"
    lost = [d for d in chain["doses"] if d["in_episode"]]
    assert [(d["status"], d["mark"], d["mark_cause"]) for d in lost] == [("absent", "absent", "court")]
    acted = [a for a in chain["alerts"] if a["rule"] == "OST-E-02"]
    assert acted and acted[0]["acknowledged_by"] == "nurse.a"
    listed = api.get(f"/reports/episodes?{Q}&cause=court").get_data(as_text=True)
    assert f'href="/reports/episodes/{court[0]["id"]}"' in listed
    page = api.get(f"/reports/episodes/{court[0]['id']}").get_data(as_text=True)
    assert "court out" in page and "nurse.a at" in page


def test_dashboard_shows_the_figures_of_the_api(people, as_user):
    api = as_user("auditor.national")
    page = api.get(f"/reports?{Q}&group_by=sex")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html and "<script" not in html
    body = api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex").get_json()
    for row in body["items"]:
        cells = (f"<td>{row['sex']}</td>", f">{row['interruptions']}</a></td>",
                 f">{row['missed_doses']}</a></td><td>{row['person_days_on_treatment']}</td>",
                 f"<td>{row['rate_per_100_person_days']}</td>")
        assert all(c in html for c in cells), row
    indicators = api.get(f"/api/v1/reports/indicators?{Q}").get_json()
    assert len(indicators["items"]) == 13
    for item in indicators["items"]:
        section = html.split(f'id="ind-{item["id"]}"')[1].split("</section>")[0]
        for row in item["rows"] + [dict(item["total"], sex="All")]:
            first = "<td>female</td>" if row["sex"] == "female" else (
                "<td>male</td>" if row["sex"] == "male" else '<th scope="row" colspan="1">All</th>')
            cells = first + "".join(f"<td>{'' if v is None else v}</td>" for v in (
                row["numerator"], row["denominator"]))
            value = '—' if row['value'] is None else row['value']
            if item["id"] == "interruption_rate":     # a link to the episodes behind it
                value = re.search(rf'<td><a href="/reports/episodes[^"]*">{value}</a></td>',
                                  section).group(0)[4:-5]
            cells += f"<td>{value}</td>"
            if item["bands"]:
                cells += f"<td>{row['level'] or '—'}</td>"
            if item["unit"] == "hours":
                cells += f"<td>{row['outstanding']} ({row['outstanding_percent']} %)</td>"
            assert cells in section, (item["id"], row)
        assert ("Against the guide" in section) == bool(item["guide_note"]), item["id"]
    ost = next(i for i in indicators["items"] if i["id"] == "ost_coverage")
    section = html.split('id="ind-ost_coverage"')[1].split("</section>")[0]
    assert re.search(r"<td>female</td><td>2</td><td>2</td><td>100.0</td><td>high</td>", section)
    assert ost["total"] == {"numerator": 2, "denominator": 3, "value": 66.7, "level": "high"}
    # bands only where the measure is the guide's: not ART coverage or HIV testing
    assert [i["id"] for i in indicators["items"] if i["bands"]] == ["ost_coverage"]
    csv_text = api.get(f"/api/v1/reports/indicators?{Q}&format=csv&indicator=ost_coverage"
                       ).get_data(as_text=True)
    assert csv_text.splitlines()[1:] == ["ost_coverage,female,2,2,100.0,high,,",
                                         "ost_coverage,male,0,1,0.0,low,,",
                                         "ost_coverage,all,2,3,66.7,high,,"]


def test_a_report_read_is_one_access_log_entry(people, app, as_user):
    api = as_user("auditor.national")
    api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex,programme")
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("report.%"))).all()
        assert actions == ["report.interruptions.read"]


def test_invalid_dashboard_filters_show_the_error(people, as_user):
    resp = as_user("auditor.national").get(f"/reports?{Q}&group_by=colour")
    assert resp.status_code == 422 and "Unknown group" in resp.get_data(as_text=True)


@pytest.fixture
def edges(ctx):
    from tests.services.report_edges import build_edge_world
    return build_edge_world()


def test_missed_doses_drill_down_to_their_episodes_and_the_list_answers_csv(edges, as_user):
    api = as_user("auditor.national")
    q = "from=2026-03-01&to=2026-03-08"
    # 7 missed doses due 1-8 March (report_edges.py): X3's February episode (2 of its 4),
    # her going-on one (2 of 3), T1's transfer (2), P2's ART refusal (1)
    behind = api.get(f"/api/v1/reports/interruptions/episodes?{q}&figure=missed_doses").get_json()
    assert behind["total"] == 4
    assert sorted((e["patient"], str(e["start_on"]), e["missed_doses"], e["missed_doses_in_period"])
                  for e in behind["items"]) == sorted([
        (edges["X3"], "2026-02-27", 4, 2), (edges["X3"], "2026-03-07", 3, 2),
        (edges["T1"], "2026-03-05", 2, 2), (edges["P2"], "2026-03-04", 1, 1)])
    assert sum(e["missed_doses_in_period"] for e in behind["items"]) == 7
    as_csv = api.get(f"/api/v1/reports/interruptions/episodes?{q}&format=csv&limit=1")
    assert as_csv.mimetype == "text/csv"
    table = list(csv.DictReader(io.StringIO(as_csv.get_data(as_text=True))))
    assert len(table) == 4          # every episode started 1-8 March, unpaged
    assert {r["facility"] for r in table} == {"FAC-A"}
    assert api.get(f"/api/v1/reports/interruptions/episodes?{q}",
                   headers={"Accept": "text/csv"}).mimetype == "text/csv"
    page = api.get(f"/reports?{q}&group_by=cause").get_data(as_text=True)
    assert 'figure=missed_doses' in page and "counted per programme" in page
    listed = api.get(f"/reports/episodes?{q}&figure=missed_doses").get_data(as_text=True)
    assert "4 episodes" in listed and "format=csv" in listed


def test_the_interruption_csv_has_a_totals_row_counting_each_day_once(edges, as_user):
    api = as_user("auditor.national")
    text = api.get("/api/v1/reports/interruptions?from=2026-03-01&to=2026-03-08"
                   "&group_by=programme&format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["programme"], r["person_days_on_treatment"], r["person_days_any_treatment"])
            for r in rows] == [("art", "8", ""), ("ost", "25", ""), ("all", "33", "25")]
    by_cause = list(csv.DictReader(io.StringIO(api.get(
        "/api/v1/reports/interruptions?from=2026-03-01&to=2026-03-08&group_by=cause&format=csv"
    ).get_data(as_text=True))))
    assert [r["person_days_on_treatment"] for r in by_cause] == ["", "", "", "33"]

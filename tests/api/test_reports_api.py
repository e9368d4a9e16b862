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
                              "person_days_on_treatment": 25, "rate_per_100_person_days": 12.0}
    for resp in (api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex&format=csv"),
                 api.get(f"/api/v1/reports/interruptions?{Q}&group_by=sex",
                         headers={"Accept": "text/csv"})):
        assert resp.mimetype == "text/csv"
        table = list(csv.DictReader(io.StringIO(resp.get_data(as_text=True))))
        assert [(r["sex"], r["interruptions"], r["missed_doses"], r["person_days_on_treatment"],
                 r["rate_per_100_person_days"]) for r in table] == [
            ("female", "2", "2", "16", "12.5"), ("male", "1", "2", "9", "11.11")]


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
                 f"<td>{row['missed_doses']}</td><td>{row['person_days_on_treatment']}</td>",
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
            cells += f"<td>{'—' if row['value'] is None else row['value']}</td>"
            if item["bands"]:
                cells += f"<td>{row['level'] or '—'}</td>"
            assert cells in section, (item["id"], row)
    ost = next(i for i in indicators["items"] if i["id"] == "ost_coverage")
    section = html.split('id="ind-ost_coverage"')[1].split("</section>")[0]
    assert re.search(r"<td>female</td><td>2</td><td>2</td><td>100.0</td><td>high</td>", section)
    assert ost["total"] == {"numerator": 2, "denominator": 3, "value": 66.7, "level": "high"}
    csv_text = api.get(f"/api/v1/reports/indicators?{Q}&format=csv&indicator=ost_coverage"
                       ).get_data(as_text=True)
    assert csv_text.splitlines()[1:] == ["ost_coverage,female,2,2,100.0,high",
                                         "ost_coverage,male,0,1,0.0,low",
                                         "ost_coverage,all,2,3,66.7,high"]


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

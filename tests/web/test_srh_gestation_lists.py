"""Gestation wherever a pregnant woman appears in a list, for nurses and clinicians
only: the SRH worklist, the alert worklist, the patient list; never for custody
staff, release officers or auditors. And the set-based gestation_by_patient the
pill pass will call."""
from datetime import date, timedelta

import pytest

from prisoncare.extensions import db
from prisoncare.services import srh
from prisoncare.services.alerts import AlertSpec, raise_alert
from prisoncare.services.srh.gestation import gestation_by_patient
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_patient
from tests.web.helpers import get


@pytest.fixture
def women(app, world):
    """(pregnant id, not pregnant id), both in FAC-A with an open alert."""
    with app.app_context():
        ids = []
        for number, family in (("W-11", "Bondar"), ("W-12", "Tkachenko")):
            patient = make_patient(number, facility="FAC-A", family=family)
            admit(patient, at=NOW - timedelta(hours=3))
            raise_alert(AlertSpec(rule_code="TEST-1", severity="warning", role="nurse",
                                  programme="women", message="check", action="check"),
                        patient, now=NOW, dedup_key=f"TEST-1:{number}")
            ids.append(patient.id)
        srh.record_pregnancy(SYSTEM, db.session.get(type(patient), ids[0]),
                             {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)}, now=NOW)
        db.session.commit()
        return tuple(ids)


def rows_with(page, needle):
    return [tr.text for tr in page.root.find_all("tr") if needle in tr.text]


@pytest.mark.parametrize("path", ["/patients/?scope=all", "/alerts?show=all", "/srh/worklist"])
def test_nurses_and_clinicians_see_gestation_in_the_lists(logged_in, women, path):
    for user in ("nurse.a", "clinician.a"):
        page = get(logged_in(user), path)
        assert page.status == 200
        assert any("pregnant 11+3" in r for r in rows_with(page, "Bondar")), (user, path)
        assert not any("pregnant" in r for r in rows_with(page, "Tkachenko"))


@pytest.mark.parametrize("user", ["custody.a", "release_officer.a", "auditor.a"])
def test_other_roles_never_see_it(logged_in, women, user):
    for path in ("/patients/?scope=all", "/alerts?show=all"):
        page = get(logged_in(user), path)
        assert "11+3" not in page.text and "pregnant" not in page.text.lower(), (user, path)


def test_the_srh_worklist_api_carries_gestation(as_user, women):
    rows = as_user("nurse.a").get("/api/v1/srh/worklist?facility=FAC-A").get_json()["items"]
    mine = {r["patient"]["id"]: r["patient"]["gestation"] for r in rows}
    assert mine[women[0]] == "11+3"


def test_gestation_by_patient_is_one_query_for_many(app, women):
    with app.app_context():
        statements = []
        from sqlalchemy import event
        engine = db.engine
        listen = lambda *a, **k: statements.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listen)
        try:
            out = gestation_by_patient(list(women) + [999999], date(2026, 3, 10))
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        assert out == {women[0]: "11+3"}
        assert len(statements) == 1
        assert gestation_by_patient([women[0]], date(2026, 3, 17)) == {women[0]: "12+3"}
        assert gestation_by_patient([], date(2026, 3, 17)) == {}

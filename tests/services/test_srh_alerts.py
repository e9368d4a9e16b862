"""The SRH alerts on the database: raised once at the right instant, resolved when the
task is done, a due alert superseded by its overdue one, ART-04 never twice beside
the rules engine; and the facility worklist, read with the same queries however many
women it holds."""
from datetime import date, timedelta

import pytest
from sqlalchemy import event

from prisoncare.errors import NotFound
from prisoncare.extensions import db
from prisoncare.models import Alert, Facility
from prisoncare.models.interruptions import InterruptionEpisode
from prisoncare.rules.alert_rules import load_rules
from prisoncare.services import orders, srh, srh_care
from prisoncare.services.dose_marks import sweep_settings
from prisoncare.services.rule_evaluation import evaluate_rules
from prisoncare.services.srh.alerts import SUPERSEDED_NOTE
from prisoncare.services.srh.worklist import srh_worklist
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, build_world, make_patient

OST = {"programme": "ost", "drug": "methadone", "dose": 60, "unit": "mg", "route": "oral",
       "schedule": {"times": ["08:00"], "every_days": 1}, "administration": "witnessed"}
ART = {"programme": "art", "drug": "TLD", "dose": 1, "unit": "tablet", "route": "oral",
       "schedule": {"times": ["08:00"], "every_days": 1}, "administration": "nurse_administered"}


@pytest.fixture
def woman(ctx):
    build_world()
    patient = make_patient("S-1", facility="FAC-A", born=date(1992, 6, 1))
    admit(patient, at=NOW - timedelta(hours=1))
    db.session.flush()
    return patient


def alerts(code=None):
    query = db.select(Alert).order_by(Alert.id)
    if code:
        query = query.where(Alert.rule_code == code)
    return db.session.scalars(query).all()


def sweep(at):
    raised = srh_care.raise_srh_alerts(now=at)
    db.session.flush()
    return raised


def test_br03_is_24_hours_for_a_woman_on_ost_and_resolves_when_she_is_booked(woman):
    orders.create_order(SYSTEM, woman, OST, now=NOW)
    srh.record_pregnancy(SYSTEM, woman, {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)}, now=NOW)
    sweep(NOW + timedelta(hours=23, minutes=59))
    assert alerts("BR-03") == []
    sweep(NOW + timedelta(hours=24))
    [br03] = alerts("BR-03")
    pregnancy_id = srh.current_pregnancy(woman.id).id
    assert (br03.severity, br03.role, br03.dedup_key) == ("high", "clinician", f"BR-03:pregnancy:{pregnancy_id}")
    assert "drug-dependent" in br03.message and br03.status == "open"
    sweep(NOW + timedelta(hours=30))
    assert alerts("BR-03") == [br03]
    srh.record_contact(SYSTEM, woman, {"contact_on": date(2026, 3, 11)}, now=NOW + timedelta(hours=31))
    assert br03.status == "resolved" and br03.resolve_note.startswith("Done")
    sweep(NOW + timedelta(hours=40))
    assert len(alerts("BR-03")) == 1


def test_without_ost_the_booking_has_seven_days(woman):
    srh.record_pregnancy(SYSTEM, woman, {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)}, now=NOW)
    sweep(NOW + timedelta(days=6, hours=23))
    assert alerts("BR-03") == []
    sweep(NOW + timedelta(days=7))
    assert [a.severity for a in alerts("BR-03")] == ["high"]


def test_a_due_immunisation_alert_gives_way_to_the_overdue_one_and_both_close_when_given(woman):
    srh_care.record_child(SYSTEM, woman, {"name": "Baby K", "born_at": NOW - timedelta(hours=2)}, now=NOW)
    [child] = srh_care.children_view(woman, now=NOW)
    sweep(NOW + timedelta(hours=1))
    due_bcg = [a for a in alerts("SRH-IMM") if a.dedup_key.endswith(":imm:bcg")]
    assert [(a.severity, a.dedup_key.split(":")[1]) for a in due_bcg] == [("info", "due")]
    sweep(NOW + timedelta(days=30))
    bcg = {a.dedup_key.split(":")[1]: a for a in alerts("SRH-IMM") if a.dedup_key.endswith(":imm:bcg")}
    assert bcg["due"].status == "resolved" and bcg["due"].resolve_note == SUPERSEDED_NOTE
    assert bcg["overdue"].status == "open" and bcg["overdue"].severity == "warning"
    srh_care.record_child_care(SYSTEM, woman, {"child_id": child["id"], "kind": "immunisation",
                                               "code": "bcg", "done_on": date(2026, 4, 9)},
                               now=NOW + timedelta(days=30, hours=1))
    assert bcg["overdue"].status == "resolved"
    assert sweep(NOW + timedelta(days=30, hours=2)) == 0


def test_art04_in_breastfeeding_and_never_twice_beside_the_rules_engine(woman):
    orders.create_order(SYSTEM, woman, ART, now=NOW - timedelta(days=3))
    srh.record_breastfeeding(SYSTEM, woman, {"status": "breastfeeding"}, now=NOW)
    other = make_patient("S-2", facility="FAC-A")
    admit(other, at=NOW - timedelta(hours=1))
    orders.create_order(SYSTEM, other, ART, now=NOW - timedelta(days=3))
    srh.record_pregnancy(SYSTEM, other, {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)}, now=NOW)
    episodes = {}
    for p in (woman, other):
        ep = InterruptionEpisode(patient_id=p.id, facility_id=p.facility_id, programme="art",
                                 start_on=date(2026, 3, 9), end_on=None, length_days=2, missed_days=2,
                                 missed_doses=2, held_days=0, cause="unrecorded", cause_days={})
        db.session.add(ep)
        db.session.flush()
        episodes[p.id] = ep.id
    evaluate_rules(db.session, NOW + timedelta(hours=1), load_rules(), sweep_settings(None))
    sweep(NOW + timedelta(hours=1))
    sweep(NOW + timedelta(hours=2))
    art04 = {a.patient_id: a for a in alerts("ART-04")}
    assert len(alerts("ART-04")) == 2
    assert art04[woman.id].dedup_key == f"ART-04:episode:{episodes[woman.id]}"
    assert art04[woman.id].message.startswith("Breastfeeding: ") and art04[woman.id].severity == "high"
    assert art04[other.id].dedup_key == f"ART-04:episode:{episodes[other.id]}"


def test_a_released_woman_s_due_alerts_are_closed_and_others_alerts_are_left_alone(woman):
    from prisoncare.services import alerts as alert_service
    srh_care.record_child(SYSTEM, woman, {"name": "Baby K", "born_at": NOW - timedelta(hours=2)}, now=NOW)
    alert_service.raise_alert(alert_service.AlertSpec("BR-03", "high", "clinician", "women", "m"),
                              woman, dedup_key="BR-03:checklist:1", now=NOW)
    sweep(NOW + timedelta(hours=1))
    assert any(a.status == "open" for a in alerts("SRH-IMM"))
    woman.custody_status = "released"
    sweep(NOW + timedelta(hours=2))
    assert all(a.status == "resolved" for a in alerts("SRH-IMM"))
    assert [a.status for a in alerts("BR-03")] == ["open"]      # not ours: untouched


def count_queries():
    seen = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)
    event.listen(db.engine, "before_cursor_execute", before)
    return seen, lambda: event.remove(db.engine, "before_cursor_execute", before)


def test_the_worklist_reads_the_same_queries_for_one_woman_or_many_most_overdue_first(woman):
    from prisoncare.models import StaffUser
    nurse = db.session.scalar(db.select(StaffUser).filter_by(username="nurse.a"))
    fac_a = db.session.scalar(db.select(Facility).filter_by(code="FAC-A"))
    srh.record_pregnancy(SYSTEM, woman, {"dating_method": "lmp", "lmp_on": date(2025, 12, 20)}, now=NOW)
    srh_care.record_violence(SYSTEM, woman, {"period": "before_custody", "disclosure": "SECRET-X",
                                             "informed_of_recourse": True}, now=NOW)
    srh_care.record_child(SYSTEM, woman, {"name": "Older", "born_at": NOW - timedelta(days=400),
                                          "arrived_at": NOW - timedelta(hours=1)}, now=NOW)
    db.session.flush()
    later = NOW + timedelta(days=10)
    seen, stop = count_queries()
    rows, total = srh_worklist(nurse, fac_a, now=later)
    stop()
    one = len(seen)
    assert total == len(rows) >= 2 and "SECRET-X" not in str(rows)
    assert rows[0]["kind"] == "immunisation" and rows[0]["child"]["name"] == "Older"  # a year late
    [booking] = [r for r in rows if r["kind"] == "antenatal_booking"]
    assert booking["status"] == "overdue" and booking["days_overdue"] == 4
    for n in range(5):
        p = make_patient(f"S-{10 + n}", facility="FAC-A")
        admit(p, at=NOW)
        srh_care.record_child(SYSTEM, p, {"name": f"Child {n}", "born_at": NOW - timedelta(days=20)}, now=NOW)
    db.session.flush()
    seen, stop = count_queries()
    rows, total = srh_worklist(nurse, fac_a, now=later)
    stop()
    assert len(seen) == one, seen
    overdue = [r for r in rows if r["status"] == "overdue"]
    assert [r["days_overdue"] for r in overdue] == sorted((r["days_overdue"] for r in overdue), reverse=True)
    assert rows.index(overdue[-1]) < min(rows.index(r) for r in rows if r["status"] == "due")
    assert {r["patient"]["prison_number"] for r in rows} >= {"S-1", "S-10"}
    nurse_b = db.session.scalar(db.select(StaffUser).filter_by(username="nurse.b"))
    with pytest.raises(NotFound):
        srh_worklist(nurse_b, fac_a, now=later)

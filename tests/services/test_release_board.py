"""The release board lists each patient once, with the plan of her current episode."""
from datetime import timedelta

from prisoncare.extensions import db
from prisoncare.models import AuditEntry, Facility, StaffUser
from prisoncare.services import custody
from prisoncare.services.release_board import release_board
from tests.conftest import NOW
from tests.factories import SYSTEM

from .test_release_support import make_providers, make_woman


def test_a_readmitted_woman_appears_once_with_her_current_plan(ctx, world):
    make_providers()
    woman = make_woman(release_in_days=5)
    custody.record_event(SYSTEM, woman, dict(type="release", occurred_at=NOW), now=NOW)
    custody.record_event(SYSTEM, woman, dict(type="admission", occurred_at=NOW, facility="FAC-A",
                                             ward="A", legal_status="pretrial"), now=NOW)
    custody.record_event(SYSTEM, woman, dict(type="release_scheduled", occurred_at=NOW,
                                             expected_at=NOW + timedelta(days=10)), now=NOW)
    db.session.flush()
    officer = db.session.scalars(db.select(StaffUser).where(
        StaffUser.username == "release_officer.a")).one()
    facility = db.session.scalars(db.select(Facility).where(Facility.code == "FAC-A")).one()
    rows = release_board(officer, facility, now=NOW)
    assert [r["patient"].id for r in rows] == [woman.id]
    row = rows[0]
    assert row["plan"] is not None and row["plan"].episode.released_at is None
    assert row["days"] == 10 and row["total"] > row["done"]
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "release_board.read", AuditEntry.username == "release_officer.a")) == 1


def _count_queries(fn):
    from sqlalchemy import event
    engine = db.engine
    seen = []

    def on_execute(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    return result, len(seen)


def test_readiness_is_read_set_based_with_the_same_results(ctx, world):
    """A fixed number of queries whatever the number of plans, and the readiness
    each row shows is what the plan page computes for that plan."""
    from prisoncare.services import release
    make_providers()
    officer = db.session.scalars(db.select(StaffUser).where(
        StaffUser.username == "release_officer.a")).one()
    facility = db.session.scalars(db.select(Facility).where(Facility.code == "FAC-A")).one()
    first = make_woman("R-1", release_in_days=12)
    release.update_plan(SYSTEM, first, {"checks": {"naloxone_issued": True},
                                        "circumstances": {"children_outside": True}}, now=NOW)
    db.session.flush()
    db.session.expire_all()
    rows, few = _count_queries(lambda: release_board(officer, facility, now=NOW))
    assert len(rows) == 1
    for n in range(2, 7):
        make_woman(f"R-{n}", release_in_days=n)
    db.session.flush()
    db.session.expire_all()
    rows, many = _count_queries(lambda: release_board(officer, facility, now=NOW))
    assert len(rows) == 6 and many == few
    for row in rows:
        evaluation = release.Evaluation(row["plan"], NOW)
        done = sum(1 for s in evaluation.statuses if s.item.required and s.done)
        total = sum(1 for s in evaluation.statuses if s.item.required)
        assert (row["done"], row["total"]) == (done, total)
    assert {row["done"] for row in rows} == {0, 1}  # the first woman's naloxone counts

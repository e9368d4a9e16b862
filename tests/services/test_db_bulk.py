"""The sweep's bulk writes (prisoncare/db_bulk.py): on PostgreSQL each column goes as
one array literal, so every value must come back exactly as written, whatever its
characters, its type or its absence; a unique clash is skipped only when asked."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, StatementError

from prisoncare.db_bulk import insert_rows, update_rows
from prisoncare.extensions import db
from prisoncare.models import Alert
from prisoncare.models.interruptions import InterruptionEpisode
from tests.factories import build_world, make_patient

UTC = timezone.utc
AWKWARD = ['she said "no"', "C:\\path\\", "a,b", "{braces}", "NULL", "", "Ü ünïcode", "x" * 24]
EPISODE = InterruptionEpisode.__table__


@pytest.fixture
def patient_id(ctx):
    build_world()
    return make_patient("BULK-1").id


def episode(patient_id, i, **changes):
    row = dict(patient_id=patient_id, programme="ost", facility_id=None,
               drug_family=None if i % 2 else "methadone", start_on=date(2026, 3, 1 + i),
               end_on=None if i % 3 == 0 else date(2026, 3, 2 + i), length_days=i + 1,
               missed_days=i, missed_doses=2 * i, held_days=0, cause=AWKWARD[i % len(AWKWARD)],
               cause_days={"court": i, AWKWARD[i % len(AWKWARD)] * 20: [1, None, "q\"uote"]},
               cause_event_id=None, opened_at=datetime(2026, 3, 10, 6, i, tzinfo=UTC),
               updated_at=datetime(2026, 3, 10, 6, i, 30, tzinfo=UTC), updated_run=None if i % 2 else i)
    return {**row, **changes}


def stored(patient_id):
    rows = db.session.execute(select(EPISODE).where(EPISODE.c.patient_id == patient_id)
                              .order_by(EPISODE.c.start_on)).mappings().all()
    return [{k: v for k, v in r.items() if k != "id"} for r in rows]


def test_inserted_rows_come_back_exactly_as_written(patient_id):
    rows = [episode(patient_id, i) for i in range(len(AWKWARD) + 1)]
    insert_rows(db.session, EPISODE, rows)
    db.session.commit()
    assert stored(patient_id) == rows


def test_updated_rows_change_exactly_the_rows_named_by_key(patient_id):
    insert_rows(db.session, EPISODE, [episode(patient_id, i) for i in range(4)])
    db.session.commit()
    ids = db.session.scalars(select(EPISODE.c.id).where(EPISODE.c.patient_id == patient_id)
                             .order_by(EPISODE.c.start_on)).all()
    later = datetime(2026, 3, 11, 1, 2, 3, tzinfo=UTC)
    changes = [dict(id=ids[1], end_on=None, cause='back\\slash "and" quote', cause_days={},
                    updated_at=later, updated_run=None),
               dict(id=ids[3], end_on=date(2026, 3, 20), cause="court", cause_days={"court": 9},
                    updated_at=later, updated_run=7)]
    update_rows(db.session, EPISODE, changes)
    db.session.commit()
    expected = [episode(patient_id, i) for i in range(4)]
    for i, change in ((1, changes[0]), (3, changes[1])):
        expected[i].update({k: v for k, v in change.items() if k != "id"})
    assert stored(patient_id) == expected


def test_a_unique_clash_is_skipped_when_asked_and_refused_otherwise(patient_id):
    def alert(key, message):
        return dict(dedup_key=key, rule_code="OST-M-01", severity="high", role="clinician",
                    patient_id=patient_id, facility_id=None, programme="ost", message=message,
                    action=None, custody_message=None, status="open",
                    opened_at=datetime(2026, 3, 10, 6, 0, tzinfo=UTC), escalation_level=0,
                    cause_event_type=None, cause_event_id=None)
    table = Alert.__table__
    insert_rows(db.session, table, [alert("K:1", "first")], skip_conflicts_on=["dedup_key"])
    insert_rows(db.session, table, [alert("K:1", "second"), alert('K:"2"', "new")],
                skip_conflicts_on=["dedup_key"])
    db.session.commit()
    assert dict(db.session.execute(select(table.c.dedup_key, table.c.message)
                                   .order_by(table.c.dedup_key)).all()) == {
        "K:1": "first", 'K:"2"': "new"}
    with pytest.raises(IntegrityError):
        insert_rows(db.session, table, [alert("K:1", "third")])
    db.session.rollback()


def test_a_naive_instant_is_refused_not_stored_in_some_zone(patient_id):
    naive = episode(patient_id, 0, opened_at=datetime(2026, 3, 10, 6, 0))
    with pytest.raises((ValueError, StatementError), match="naive"):
        insert_rows(db.session, EPISODE, [naive])
    db.session.rollback()
    assert stored(patient_id) == []


def test_nothing_to_write_writes_nothing(patient_id):
    insert_rows(db.session, EPISODE, [])
    update_rows(db.session, EPISODE, [])
    assert stored(patient_id) == []


def test_a_string_too_long_for_its_column_is_never_cut(patient_id):
    # PostgreSQL refuses it, as any other write; SQLite enforces no length and keeps it whole
    too_long = episode(patient_id, 0, cause="x" * 25)
    if db.engine.dialect.name == "postgresql":
        with pytest.raises(DataError):
            insert_rows(db.session, EPISODE, [too_long])
        db.session.rollback()
        assert stored(patient_id) == []
    else:
        insert_rows(db.session, EPISODE, [too_long])
        assert stored(patient_id) == [too_long]


def test_a_json_none_is_stored_as_the_orm_stores_it(patient_id):
    # JSON columns keep None as JSON null (SQLAlchemy's default), not SQL NULL
    from prisoncare.models import AuditEntry
    table = AuditEntry.__table__
    at = datetime(2026, 3, 10, 6, 0, tzinfo=UTC)
    db.session.add(AuditEntry(at=at, action="orm", detail=None))
    insert_rows(db.session, table, [dict(at=at, action="bulk", detail=None),
                                    dict(at=at, action="bulk-dict", detail={"k": 'v"1'})])
    db.session.commit()
    is_null = dict(db.session.execute(select(table.c.action, table.c.detail.is_(None))
                                      .where(table.c.action.in_(["orm", "bulk"]))).all())
    assert is_null["bulk"] == is_null["orm"]
    assert db.session.scalar(select(table.c.detail).where(table.c.action == "bulk-dict")) == {"k": 'v"1'}

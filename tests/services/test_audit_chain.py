"""The access log's hash chain detects an edited, a deleted and a cut-off entry."""
from datetime import timedelta

import pytest
from flask.cli import FlaskGroup
from sqlalchemy import text

from prisoncare import audit, clock
from prisoncare.extensions import db
from prisoncare.models import AuditEntry
from prisoncare.services import audit_chain
from tests.conftest import NOW

LATER = NOW + timedelta(minutes=10)


def write_entries(n=5):
    for i in range(n):
        audit.record(None, "patient.read", entity="patient", entity_id=i, patient_id=None,
                     detail={"i": i}, at=NOW - timedelta(minutes=n - i))
    db.session.commit()


def sql(statement, **params):
    db.session.execute(text(statement), params)
    db.session.commit()


def test_sealing_links_old_entries_in_order_and_leaves_recent_ones(ctx):
    write_entries(3)
    audit.record(None, "patient.read", at=LATER - timedelta(minutes=1))  # too recent
    db.session.commit()
    assert audit_chain.seal(now=LATER) == 3
    db.session.commit()
    rows = db.session.scalars(db.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.chain_seq for r in rows] == [1, 2, 3, None]
    assert rows[1].prev_hash == rows[0].entry_hash
    assert audit_chain.seal(now=LATER) == 0  # a second run at the same instant seals nothing
    result = audit_chain.verify(now=LATER)
    assert result.ok and result.checked == 3 and result.head_seq == 3


def test_an_edited_entry_is_detected(ctx):
    write_entries()
    audit_chain.seal(now=LATER)
    db.session.commit()
    victim = db.session.scalars(db.select(AuditEntry).where(AuditEntry.chain_seq == 3)).one()
    sql("UPDATE audit_entry SET username = 'someone.else' WHERE id = :id", id=victim.id)
    db.session.expire_all()
    result = audit_chain.verify()
    assert not result.ok
    assert result.problems == [f"entry #{victim.id} (chain 3) was changed after it was sealed"]


def test_a_deleted_entry_is_detected(ctx):
    write_entries()
    audit_chain.seal(now=LATER)
    db.session.commit()
    sql("DELETE FROM audit_entry WHERE chain_seq = 2")
    result = audit_chain.verify()
    assert not result.ok and "entries 2..2 of the chain are missing" in result.problems[0]


def test_deleting_the_last_entries_is_detected_by_the_head(ctx):
    write_entries()
    audit_chain.seal(now=LATER)
    db.session.commit()
    sql("DELETE FROM audit_entry WHERE chain_seq >= 4")
    result = audit_chain.verify()
    assert result.problems == ["the chain ends at 3 but its head says 5: the last entries were deleted"]


@pytest.fixture
def flask(app):
    cli = FlaskGroup(create_app=lambda: app)

    def run(*args):
        return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)

    return run


def test_the_audit_verify_command(app, flask):
    with app.app_context():
        write_entries()
    assert flask("audit", "seal", "--now", LATER.isoformat()).output.strip() == "sealed 5 entries"
    result = flask("audit", "verify")
    assert result.exit_code == 0 and "5 entries checked, chain intact" in result.output
    with app.app_context():
        sql("UPDATE audit_entry SET action = 'nothing.to.see' WHERE chain_seq = 1")
    result = flask("audit", "verify")
    assert result.exit_code == 1 and "BROKEN: entry #" in result.output
    assert clock.now() == NOW


def test_verify_seals_what_is_waiting_first_and_counts_what_is_not_sealed(app, flask):
    with app.app_context():
        for i in range(3):      # past the 5-minute grace period at NOW
            audit.record(None, "patient.read", entity_id=i, at=NOW - timedelta(minutes=20 - i))
        audit.record(None, "patient.read", at=NOW - timedelta(minutes=1))   # too recent
        db.session.commit()
    result = flask("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "sealed 3 entries first" in result.output
    assert "1 entries not yet sealed" in result.output
    assert "3 entries checked, chain intact" in result.output


def test_verify_exits_non_zero_on_a_broken_chain_and_does_not_seal_onto_it(app, flask):
    with app.app_context():
        write_entries()
    flask("audit", "seal", "--now", LATER.isoformat())
    with app.app_context():
        audit.record(None, "patient.read", at=NOW - timedelta(minutes=30))   # waiting
        db.session.commit()
        sql("DELETE FROM audit_entry WHERE chain_seq = 2")
    result = flask("audit", "verify")
    assert result.exit_code == 1 and "chain BROKEN" in result.output
    assert "entries 2..2 of the chain are missing" in result.output
    assert "sealed" not in result.output.split("entries not yet sealed")[0]
    with app.app_context():
        assert audit_chain.unsealed_count() == 1     # not linked onto the broken chain
    assert flask("audit", "verify", "--no-seal").exit_code == 1

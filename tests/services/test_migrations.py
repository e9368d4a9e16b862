"""The models and the Alembic migrations agree, and `db upgrade` builds a database
from nothing (and back down and up again)."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask.cli import FlaskGroup
from flask_migrate import downgrade, upgrade
from sqlalchemy import Column, MetaData, String, inspect, select, text

from prisoncare import create_app
from prisoncare.extensions import db
from prisoncare.models import Facility


def differences(connection, metadata):
    """What autogenerate would write to make the database match `metadata`. Types,
    nullability and server defaults are compared too."""
    context = MigrationContext.configure(connection, opts={
        "compare_type": True, "compare_server_default": True})
    return compare_metadata(context, metadata)


def head_revision(app) -> str:
    config = app.extensions["migrate"].migrate.get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"the migrations have several heads: {heads}"
    return heads[0]


def app_tables():
    return set(db.metadata.tables)


# --- on the session's migrated database (SQLite and PostgreSQL) -----------------------

def test_the_migrated_schema_matches_the_models_exactly(app):
    with app.app_context(), db.engine.connect() as conn:
        diff = differences(conn, db.metadata)
    # No exceptions: the UtcDateTime columns compare equal to the migrations'
    # DateTime(timezone=True), on both backends.
    assert diff == []


def test_the_comparison_would_notice_a_difference(app):
    """Guard against a vacuous comparison: a changed copy of the metadata differs."""
    changed = MetaData(naming_convention=db.metadata.naming_convention)
    for table in db.metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["patient"].append_column(Column("nickname", String(40)))
    changed.tables["facility"].c.code.type = String(64)
    changed.tables["staff_user"].c.display_name.nullable = True
    with app.app_context(), db.engine.connect() as conn:
        diff = differences(conn, changed)
    flat = [d for item in diff for d in (item if isinstance(item, list) else [item])]
    kinds = {(d[0], d[2], d[3]) if d[0].startswith("modify") else (d[0], d[2], d[3].name)
             for d in flat}
    assert ("add_column", "patient", "nickname") in kinds
    assert ("modify_type", "facility", "code") in kinds
    assert ("modify_nullable", "staff_user", "display_name") in kinds


def test_the_database_is_at_the_single_head(app):
    with app.app_context():
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == head_revision(app)


# --- from nothing, on SQLite ---------------------------------------------------------------

@pytest.fixture
def empty_app(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'fresh.db'}")
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def table_names(app):
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def test_upgrade_builds_an_empty_database_from_nothing(empty_app):
    assert table_names(empty_app) == set()
    with empty_app.app_context():
        upgrade()
    assert table_names(empty_app) == app_tables() | {"alembic_version"}
    with empty_app.app_context():
        with db.engine.connect() as conn:
            assert differences(conn, db.metadata) == []
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) \
            == head_revision(empty_app)
        assert db.session.scalars(select(Facility)).all() == []


def test_the_db_upgrade_command_builds_the_database(empty_app, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    cli = FlaskGroup(create_app=lambda: empty_app, load_dotenv=False, set_debug_flag=False)
    result = empty_app.test_cli_runner().invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert table_names(empty_app) == app_tables() | {"alembic_version"}


def test_downgrade_to_base_then_upgrade_again(empty_app):
    from tests.factories import make_facility
    with empty_app.app_context():
        upgrade()
        make_facility("FAC-X")
        db.session.commit()
        db.session.remove()
        downgrade(revision="base")
    assert table_names(empty_app) - {"alembic_version"} == set()
    with empty_app.app_context():
        assert db.session.scalar(text("SELECT count(*) FROM alembic_version")) == 0
        db.session.remove()
        upgrade()
    assert table_names(empty_app) == app_tables() | {"alembic_version"}
    with empty_app.app_context():
        with db.engine.connect() as conn:
            assert differences(conn, db.metadata) == []
        # The rebuilt database is empty and usable.
        assert db.session.scalars(select(Facility)).all() == []
        make_facility("FAC-Y")
        db.session.commit()
        assert [f.code for f in db.session.scalars(select(Facility))] == ["FAC-Y"]

"""Test fixtures shared by every layer.

Database tests run on SQLite and, when TEST_DATABASE_URL points at a PostgreSQL
database, on PostgreSQL as well (each test is parametrized by backend). The schema
is built by the Alembic migrations, so the migrations are tested on both. With
CI=true a missing PostgreSQL or Chromium fails the run instead of skipping.
"""
import os
import tempfile
from datetime import datetime, timezone

import pytest
from sqlalchemy import create_engine, text

from prisoncare import clock, create_app
from prisoncare.extensions import db

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=timezone.utc)
IN_CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("TEST_DATABASE_URL")


def skip_or_fail(reason: str):
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run, not skip)")
    pytest.skip(reason)


def _migrate(url: str) -> None:
    from flask_migrate import upgrade
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade(revision="heads")
        db.engine.dispose()


def _reset_postgres(url: str) -> None:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1)
                           if url.startswith("postgresql://") else url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url():
    folder = tempfile.mkdtemp(prefix="prisoncare-test-")
    url = "sqlite:///" + os.path.join(folder, "test.db")
    _migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url():
    if not PG_URL:
        skip_or_fail("PostgreSQL tests need TEST_DATABASE_URL")
    _reset_postgres(PG_URL)
    _migrate(PG_URL)
    return PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request):
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture(autouse=True)
def frozen_clock():
    """Every test starts at NOW; move it with clock.set_now(...)."""
    clock.set_now(NOW)
    yield NOW
    clock.set_now(None)


@pytest.fixture
def app(database_url):
    """The app, with no context pushed: each test-client request gets a fresh app
    context (and `g`) as in production. Use `ctx` to work with the database."""
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=database_url)
    yield app
    wipe(app)


def wipe(app):
    """Delete every row (children first) and close the connections."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An app context for service tests and for looking at the database."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """Two facilities with wards and one user per role in each (see factories)."""
    from tests.factories import build_world
    with app.app_context():
        return build_world()


@pytest.fixture
def as_user(app):
    """as_user("nurse.a") -> an ApiClient logged in as that user."""
    from tests.factories import ApiClient

    def login(username):
        api = ApiClient(app.test_client())
        api.login(username)
        return api

    return login

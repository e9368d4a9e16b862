"""How the app talks to its database: id lists bound as one parameter, and no
server-side prepared statements on PostgreSQL (their generic plans made the pill
pass's alert query six times slower on the national bench database)."""
from sqlalchemy import select

from prisoncare import create_app
from prisoncare.db_types import in_list, in_strings
from prisoncare.extensions import db
from prisoncare.models.facilities import Facility
from tests.factories import make_facility


def test_postgresql_urls_get_no_prepared_statements():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="postgres://u@db.invalid/prisoncare")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.invalid/prisoncare"
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"prepare_threshold": None}
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True


def test_a_deployments_own_connect_args_win():
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u@db.invalid/p",
                     SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"sslmode": "require"}})
    assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"sslmode": "require"}


def test_sqlite_gets_no_postgresql_options(tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/x.db")
    assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_the_live_connection_never_prepares(app):
    with app.app_context():
        raw = db.session.connection().connection.driver_connection
        if db.engine.dialect.name == "postgresql":
            assert raw.prepare_threshold is None
        db.session.rollback()


def test_in_list_selects_exactly_the_listed_ids(app):
    with app.app_context():
        ids = [make_facility(code).id for code in ("L1", "L2", "L3")]
        db.session.commit()
        query = select(Facility.code).where(
            in_list(Facility.id, "ids", db.engine.dialect.name)).order_by(Facility.code)
        assert db.session.scalars(query, {"ids": ids[:2]}).all() == ["L1", "L2"]
        assert db.session.scalars(query, {"ids": [ids[2], 10**9]}).all() == ["L3"]
        assert db.session.scalars(query, {"ids": []}).all() == []


def test_in_strings_selects_exactly_the_listed_strings_whatever_their_characters(app):
    # alert keys and facility codes are free text to the database: a quote, a
    # backslash, a comma or a brace in one must neither break the array literal
    # PostgreSQL gets nor match another string
    codes = ['Q"1', "B\\2", "C,3", "{D4}", "NULL", "plain"]
    with app.app_context():
        for code in codes:
            make_facility(code)
        db.session.commit()
        query = select(Facility.code).where(
            in_strings(Facility.code, "codes", db.engine.dialect.name)).order_by(Facility.code)
        assert db.session.scalars(query, {"codes": codes}).all() == sorted(codes)
        assert db.session.scalars(query, {"codes": ['Q"1', "C", "3", "D4", "null"]}).all() == ['Q"1']
        assert db.session.scalars(query, {"codes": []}).all() == []

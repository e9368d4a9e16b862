"""A few hot page statements run as driver SQL, compiled once, and on PostgreSQL as
server-side prepared statements (issue 4, item 7: the pill pass's CPU per page).

`rows(statement, params, prepare=True)` runs a Core select built once (by an
lru_cache'd builder, so the same object each time) as its compiled SQL text:
SQLAlchemy neither builds its cache key nor processes the result per row (plain
driver values: psycopg's own types; a timestamptz comes back aware, in the
connection's time zone rather than UTC, which callers only compare or convert).
SQLAlchemy's statement events still see it, so statement counts stay honest.
SQLite and any other database take the ordinary path (their types need it).

`prepare=True` makes psycopg prepare the statement on the server the first time
a connection runs it, and PostgreSQL then plans it once per connection instead of
on every page (its generic plan after five runs). Only for statements whose plan
does not depend on their values (equality filters on keys): the engine otherwise
keeps psycopg's automatic preparing off (prisoncare/__init__.py: a generic plan
made the pill pass's alert query six times slower). A transaction-pooling
pgbouncer in front needs 1.21 or later (max_prepared_statements set); with an
older one set PRISONCARE_PG_PREPARED_STATEMENTS=0.
"""
import sys
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import event

from .extensions import db

PREPARE = "prisoncare_prepare"   # the execution option that asks for a prepared statement
# For an ORM select run every request (the session's user): .execution_options(**PREPARED)
PREPARED = {PREPARE: True}


def init_prepared(app) -> None:
    """Let psycopg prepare the statements that ask for it (on this app's engine)."""
    if not app.config.get("PG_PREPARED_STATEMENTS", True):
        return
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg":
        event.listen(engine, "do_execute", _prepare_when_asked)


def _prepare_when_asked(cursor, statement, parameters, context):
    """psycopg prepares with `execute(..., prepare=True)` only on a connection whose
    prepare_threshold is not None (None turns preparing off altogether): the
    threshold is lifted for this one call, to a count no statement reaches, so
    nothing else is ever prepared automatically."""
    if not context.execution_options.get(PREPARE):
        return None
    conn = cursor.connection
    threshold = conn.prepare_threshold
    conn.prepare_threshold = sys.maxsize
    try:
        cursor.execute(statement, parameters, prepare=True)
    finally:
        conn.prepare_threshold = threshold
    return True


@dataclass(frozen=True, slots=True)
class _Driver:
    sql: str
    constants: dict       # the statement's own bound values ('given', 0 ...)
    params: dict          # name -> bind processor (or None) of the caller's parameters


@lru_cache(maxsize=64)
def _driver(statement, dialect) -> _Driver:
    compiled = statement.compile(dialect=dialect)
    constants, params = {}, {}
    for param, name in compiled.bind_names.items():
        if param.required:
            params[name] = param.type.dialect_impl(dialect).bind_processor(dialect)
        else:
            processor = param.type.dialect_impl(dialect).bind_processor(dialect)
            value = param.effective_value
            constants[name] = processor(value) if processor and value is not None else value
    return _Driver(str(compiled), constants, params)


def rows(statement, params: dict, *, prepare: bool = False) -> list:
    """All rows of `statement` (a Core select built once) with `params`."""
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(statement, params).all()
    driver = _driver(statement, conn.dialect)
    bound = dict(driver.constants)
    for name, processor in driver.params.items():
        value = params[name]
        bound[name] = processor(value) if processor is not None and value is not None else value
    return conn.exec_driver_sql(driver.sql, bound,
                                execution_options={PREPARE: True} if prepare else None).all()

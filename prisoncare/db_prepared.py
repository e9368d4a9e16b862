"""A few hot page statements run as driver SQL, compiled once, and on PostgreSQL as
server-side prepared statements (issue 4, item 7: the pill pass's CPU per page).

`rows(statement, params, prepare=True)` runs a Core select built once (by an
lru_cache'd builder, so the same object each time) as its compiled SQL text:
SQLAlchemy neither builds its cache key nor processes the result per row (plain
driver values: psycopg's own types; a timestamptz comes back aware, in the
connection's time zone rather than UTC, which callers only compare or convert).
SQLAlchemy's statement events still see it, so statement counts stay honest.
SQLite and any other database take the ordinary path (their types need it).

The statement's own values (statuses, the user's facilities) are written into
the text as literals; only the caller's parameters are placeholders.

`prepare=True` makes psycopg prepare the statement on the server the first time
a connection runs it, and PostgreSQL then plans it once per connection instead of
on every page (its generic plan after five runs). Only for statements whose plan
does not depend on the caller's values (equality filters on keys): the engine
otherwise keeps psycopg's automatic preparing off (prisoncare/__init__.py: the
generic plan of the pill pass's alert query, its statuses then parameters, was
six times slower). A transaction-pooling
pgbouncer in front needs 1.21 or later (max_prepared_statements set); with an
older one set PRISONCARE_PG_PREPARED_STATEMENTS=0.
"""
import sys
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import event
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import BindParameter

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
    sql: str              # the statement's own values written in as literals
    params: dict          # name -> bind processor (or None) of the caller's parameters


@lru_cache(maxsize=256)
def _driver(statement, dialect) -> _Driver:
    """The statement's SQL with its own values (statuses, 0, the user's facilities:
    it is built once per user scope) written into the text as literals, IN lists
    expanded, so that the text is fixed and PostgreSQL plans a prepared statement
    knowing them (the hatch alerts' generic plan was six times slower with its
    statuses, programmes and roles as parameters; with them as literals it reads
    what the custom plan reads). The caller's parameters stay placeholders
    (compiled with None for them, then set per call)."""
    compiled = _inline_constants(statement).compile(dialect=dialect)
    caller = [name for param, name in compiled.bind_names.items() if param.required]
    if any(param.expanding and param.required for param in compiled.bind_names):
        raise TypeError("a caller's list is bound as one array here (db_types.in_list)")
    processors = {name: param.type.dialect_impl(dialect).bind_processor(dialect)
                  for param, name in compiled.bind_names.items() if param.required}
    return _Driver(compiled.construct_expanded_state(dict.fromkeys(caller)).statement,
                   processors)


def _inline_constants(statement):
    """A copy of `statement` whose own bound values render as literals (SQLAlchemy's
    literal_execute: written in at the expansion, with the type's literal form)."""
    def literal(element, **_kw):
        if isinstance(element, BindParameter) and not element.required:
            clone = element._clone()
            clone.literal_execute = True
            return clone
        return None
    return visitors.replacement_traverse(statement, {}, literal)


def rows(statement, params: dict, *, prepare: bool = False) -> list:
    """All rows of `statement` (a Core select built once) with `params`, after
    flushing the session's pending changes (as the ORM's own queries would)."""
    db.session.flush()
    conn = db.session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(statement, params).all()
    driver = _driver(statement, conn.dialect)
    bound = {}
    for name, processor in driver.params.items():
        value = params[name]
        bound[name] = value if processor is None or value is None else processor(value)
    return conn.exec_driver_sql(driver.sql, bound,
                                execution_options={PREPARE: True} if prepare else None).all()

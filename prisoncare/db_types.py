"""Column types shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import ARRAY, DateTime, any_, bindparam
from sqlalchemy.types import TypeDecorator


class UtcDateTime(TypeDecorator):
    """An aware UTC instant on every database.

    PostgreSQL stores `timestamptz`; SQLite stores naive UTC text. Either way the
    application only ever sees aware UTC datetimes, and a naive one is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def in_list(column, name: str, dialect: str):
    """`column IN :name` for a list of values bound as one parameter.

    On PostgreSQL this is `column = ANY(:name)` with an array: the SQL text is the
    same whatever the list's length, so psycopg caches its conversion and prepares
    the statement after a few runs. An expanding IN renders one placeholder per
    value instead (300 ids cost about a millisecond of Python per statement to render
    and parse, and PostgreSQL plans each length anew). Elsewhere an expanding IN
    (on SQLite a `json_each` of one JSON parameter was measured slower: its planner
    cannot size the list)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))

"""Column types shared by the models."""
from datetime import datetime, timezone

from sqlalchemy import ARRAY, DateTime, Integer, Text, any_, bindparam, cast
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


class IdArrayText(TypeDecorator):
    """A list of integer ids bound as one PostgreSQL array literal ('{1,2,3}'), cast
    to integer[] in the SQL: joining the digits costs microseconds, where psycopg's
    array dumper costs a fraction of a millisecond per list of 300 in Python."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return "{" + ",".join(str(int(v)) for v in value) + "}"


def in_list(column, name: str, dialect: str):
    """`column IN :name` for a list of integer ids bound as one parameter.

    On PostgreSQL this is `column = ANY(CAST(:name AS INTEGER[]))`: the SQL text is
    the same whatever the list's length, and PostgreSQL plans it the same way. An
    expanding IN renders one placeholder per value instead (300 ids cost about a
    millisecond of Python per statement to render and parse, and PostgreSQL plans
    each length anew). Elsewhere an expanding IN (on SQLite a `json_each` of one
    JSON parameter was measured slower: its planner cannot size the list)."""
    if not isinstance(column.type, Integer):
        raise TypeError(f"in_list binds integer ids, not {column.type!r}")
    if dialect == "postgresql":
        return column == any_(cast(bindparam(name, type_=IdArrayText()), ARRAY(Integer)))
    return column.in_(bindparam(name, expanding=True))

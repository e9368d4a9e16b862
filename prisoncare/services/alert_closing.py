"""Closing alerts whose condition has ended, by the sweep or by the record that ends
it (a transfer handover): set-based, 2,000 alerts at a time, each found by its
unique dedup key whatever its note. Only alerts still open or acknowledged change,
so running it again changes nothing. The alert keeps who resolved it (None: the
system), when, and the note saying why."""
from sqlalchemy import ARRAY, Text, bindparam, cast, func, or_, update

from ..db_types import TextArrayText
from ..models import Alert

CHUNK = 2000


def close_alerts(session, notes: dict[str, str], *, now, resolved_by_id=None) -> int:
    """Resolve the alerts named by dedup key (key -> note). Returns how many changed."""
    table = Alert.__table__
    still_open = or_(table.c.status == "open", table.c.status == "acknowledged")
    items = list(notes.items())
    if session.get_bind().dialect.name == "postgresql":
        # One UPDATE joined to the keys and notes unnested from two array
        # parameters: the executemany below ran an UPDATE per alert (~0.1 ms each).
        given = func.unnest(cast(bindparam("keys", type_=TextArrayText()), ARRAY(Text)),
                            cast(bindparam("notes", type_=TextArrayText()), ARRAY(Text))
                            ).table_valued("key", "note").render_derived(name="given")
        statement = (update(table).where(table.c.dedup_key == given.c.key, still_open)
                     .values(status="resolved", resolved_at=now, resolve_note=given.c.note,
                             resolved_by_id=resolved_by_id))
        return sum(session.execute(statement, {"keys": [k for k, _ in chunk],
                                               "notes": [n for _, n in chunk]}).rowcount
                   for chunk in (items[i:i + CHUNK] for i in range(0, len(items), CHUNK)))
    statement = (update(table).where(table.c.dedup_key == bindparam("one_key"), still_open)
                 # no IN: an expanding parameter cannot executemany
                 .values(status="resolved", resolved_at=now, resolve_note=bindparam("one_note"),
                         resolved_by_id=resolved_by_id))
    rows = [{"one_key": key, "one_note": note} for key, note in items]
    return sum(session.execute(statement, rows[i:i + CHUNK]).rowcount
               for i in range(0, len(rows), CHUNK))

"""Closing alerts whose condition has ended, by the sweep or by the record that ends
it (a transfer handover): set-based, one UPDATE by dedup key executed for every
2,000 alerts at once (executemany: each finds its row by the unique key, whatever
its note). Only alerts still open or acknowledged change, so running it again
changes nothing. The alert keeps who resolved it (None: the system), when, and the
note saying why."""
from sqlalchemy import bindparam, or_, update

from ..models import Alert

CHUNK = 2000


def close_alerts(session, notes: dict[str, str], *, now, resolved_by_id=None) -> int:
    """Resolve the alerts named by dedup key (key -> note). Returns how many changed."""
    table = Alert.__table__
    statement = (update(table).where(table.c.dedup_key == bindparam("one_key"),
                                     # no IN: an expanding parameter cannot executemany
                                     or_(table.c.status == "open",
                                         table.c.status == "acknowledged"))
                 .values(status="resolved", resolved_at=now, resolve_note=bindparam("one_note"),
                         resolved_by_id=resolved_by_id))
    rows = [{"one_key": key, "one_note": note} for key, note in notes.items()]
    return sum(session.execute(statement, rows[i:i + CHUNK]).rowcount
               for i in range(0, len(rows), CHUNK))

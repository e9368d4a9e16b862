"""Closing alerts whose condition has ended, by the sweep or by the record that ends
it (a transfer handover): set-based, one UPDATE per note and 2,000 keys. Only alerts
still open or acknowledged change, so running it again changes nothing. The alert
keeps who resolved it (None: the system), when, and the note saying why."""
from collections import defaultdict

from sqlalchemy import update

from ..models import Alert

CHUNK = 2000


def close_alerts(session, notes: dict[str, str], *, now, resolved_by_id=None) -> int:
    """Resolve the alerts named by dedup key (key -> note). Returns how many changed."""
    by_note: dict[str, list[str]] = defaultdict(list)
    for key, note in notes.items():
        by_note[note].append(key)
    changed = 0
    for note, keys in by_note.items():
        for i in range(0, len(keys), CHUNK):
            changed += session.execute(
                update(Alert).where(Alert.dedup_key.in_(keys[i:i + CHUNK]),
                                    Alert.status.in_(("open", "acknowledged")))
                .values(status="resolved", resolved_at=now, resolve_note=note,
                        resolved_by_id=resolved_by_id)
                .execution_options(synchronize_session=False)).rowcount
    return changed

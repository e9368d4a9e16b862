"""A database lease so that only one scheduler process works at a time.

Taking or renewing the lease is one conditional UPDATE (or the first INSERT),
atomic on SQLite and PostgreSQL alike. A second process stays on standby and
takes over when the holder's heartbeat is older than the lease.
"""
from datetime import datetime, timedelta, timezone

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import SchedulerLock

LEASE = timedelta(minutes=2)
EXPIRED = datetime(1970, 1, 1, tzinfo=timezone.utc)  # a released lease is free at once


def _renew(name: str, holder: str, now, lease: timedelta) -> bool:
    taken = db.session.execute(
        update(SchedulerLock)
        .where(SchedulerLock.name == name,
               or_(SchedulerLock.holder == holder, SchedulerLock.heartbeat_at < now - lease))
        .values(holder=holder, heartbeat_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if taken:
        db.session.commit()
        return True
    db.session.rollback()
    return False


def acquire(name: str, holder: str, *, now, lease: timedelta = LEASE) -> bool:
    """Take or renew the lease `name` for `holder`; commit; True if it is ours."""
    if _renew(name, holder, now, lease):
        return True
    if db.session.scalar(select(SchedulerLock.name).where(SchedulerLock.name == name)):
        # The row exists: held by another, or created since our renewal by another
        # thread of this same holder (the race that once skipped first runs).
        db.session.rollback()
        return _renew(name, holder, now, lease)
    try:
        db.session.add(SchedulerLock(name=name, holder=holder, acquired_at=now, heartbeat_at=now))
        db.session.commit()
        return True
    except IntegrityError:
        # Created a moment ago, perhaps by another thread of this same holder
        # (the jobs start together on a fresh database): try the renewal again.
        db.session.rollback()
        return _renew(name, holder, now, lease)


def release(name: str, holder: str) -> None:
    """Give the lease up at once (a clean exit): a standby or a restarted process
    takes it on its next try instead of waiting for the lease to run out."""
    db.session.execute(update(SchedulerLock).where(
        SchedulerLock.name == name, SchedulerLock.holder == holder)
        .values(heartbeat_at=EXPIRED)
        .execution_options(synchronize_session=False))
    db.session.commit()


class LeaseLost(Exception):
    """This process no longer holds the lease: another one has taken it over."""


def ensure_held(name: str, holder: str) -> None:
    """Inside a job's transaction, just before its commit: confirm that `holder`
    still holds the lease, or raise LeaseLost (the caller rolls back). A no-op
    UPDATE of the lease row where `holder` is still the holder: it locks the row
    until the commit (PostgreSQL; on SQLite the write lock is held already), so a
    take-over cannot slip in between this check and the commit."""
    held = db.session.execute(
        update(SchedulerLock).where(SchedulerLock.name == name, SchedulerLock.holder == holder)
        .values(holder=holder).execution_options(synchronize_session=False)).rowcount
    if not held:
        lock = db.session.scalar(select(SchedulerLock.holder).where(SchedulerLock.name == name))
        raise LeaseLost(f"the lease {name!r} is held by {lock or 'nobody'}, not {holder}")


def holder_of(name: str) -> SchedulerLock | None:
    return db.session.get(SchedulerLock, name)

"""The scheduler's jobs, as data with stable ids. A job is a service call that
computes from the state of the data at `now`, never from when it last ran: a
missed run is caught up by the next, a run killed halfway and run again ends in
the same state, and a second run at the same instant changes nothing.

Each job runs in its own transaction; one failing job does not stop the others.
"""
import logging
from dataclasses import dataclass
from typing import Callable

from .extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    minutes: int
    run: Callable  # (now) -> str: a short summary of what it changed
    description: str


def _escalate(now):
    from .services.alerts import escalate_open_alerts
    return f"{escalate_open_alerts(now=now)} escalated"


JOBS: tuple[Job, ...] = (
    Job("escalate-alerts", 5, _escalate, "Escalate open alerts nobody acknowledged in time"),
)


def run_job(job: Job, now) -> tuple[bool, str]:
    try:
        summary = job.run(now)
        db.session.commit()
        return True, summary
    except Exception as error:  # noqa: BLE001 - one job's failure must not stop the others
        db.session.rollback()
        log.exception("job %s failed", job.id)
        return False, f"failed: {error}"


def run_all(now, jobs=JOBS) -> list[tuple[str, bool, str]]:
    return [(job.id, *run_job(job, now)) for job in jobs]

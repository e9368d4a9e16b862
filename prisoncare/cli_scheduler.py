"""Command line: the scheduler's commands, `flask --app wsgi sweep [--now INSTANT]`
(every job once, at an instant) and `flask --app wsgi scheduler run` (the
scheduler's own long-running process). Only the holder of the database lease
runs jobs; `sweep` takes the same lease, so the jobs never run twice at once."""
import os
import socket
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from . import clock

LOCK_NAME = "scheduler"


def parse_instant(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter("use ISO 8601 with an offset, e.g. 2026-03-05T10:00:00Z") from None
    if value.tzinfo is None:
        raise click.BadParameter("give a UTC offset, e.g. 2026-03-05T10:00:00Z")
    return value.astimezone(timezone.utc)


@click.command("sweep")
@click.option("--now", "now_text", metavar="INSTANT", help="Run as if it were this instant.")
@with_appcontext
def sweep_command(now_text):
    """Run every scheduler job once, at --now (default: now), and print a summary."""
    import time
    from datetime import timedelta
    from .jobs import Lease, run_all
    from .services import scheduler_lock
    as_of = parse_instant(now_text) if now_text else clock.now()
    holder = f"sweep:{socket.gethostname()}:{os.getpid()}"
    started, ticks = clock.now(), time.monotonic()
    if not scheduler_lock.acquire(LOCK_NAME, holder, now=started):
        lock = scheduler_lock.holder_of(LOCK_NAME)
        raise click.ClickException(f"the scheduler process {lock.holder} is running these jobs now")
    # the heartbeat moves on with the time the sweep takes, whatever instant it runs as
    lease = Lease(LOCK_NAME, holder,
                  lambda: started + timedelta(seconds=time.monotonic() - ticks))
    try:
        with clock.frozen(as_of):
            results = run_all(as_of, lease=lease)
    finally:
        scheduler_lock.release(LOCK_NAME, holder)
    parts = [f"{job}: {summary}" for job, _ok, summary in results]
    click.echo(f"sweep at {as_of.isoformat().replace('+00:00', 'Z')}: " + "; ".join(parts))
    if not all(ok for _job, ok, _summary in results):
        raise SystemExit(1)


scheduler_cli = AppGroup("scheduler", help="The scheduler's own process.")


def scheduled_tick(app, job, holder) -> str | None:
    """One scheduled run of `job`: only the lease holder works; others stand by."""
    from .jobs import Lease, run_job
    from .services import scheduler_lock
    with app.app_context():
        now = clock.now()
        if not scheduler_lock.acquire(LOCK_NAME, holder, now=now):
            return None
        try:
            ok, summary = run_job(job, now, Lease(LOCK_NAME, holder, clock.now))
        except scheduler_lock.LeaseLost as lost:
            summary = f"not committed: {lost}"
        return f"{job.id}: {summary}"


# How often the scheduler renews its lease (well inside scheduler_lock.LEASE), and
# how often a standby process tries to take it over.
LEASE_RENEW_SECONDS = 30


class SchedulerRunner:
    """The jobs of one `scheduler run` process. Only the lease holder works; when
    this process takes the lease (at start-up, or taking over from a stopped one) it
    first runs every job once. A job it does not run is logged, never silently
    skipped. Runs are serialised within the process (one transaction at a time)."""

    def __init__(self, app, holder, echo, jobs=None):
        import threading
        from .jobs import JOBS, Lease
        self.app, self.holder, self.echo = app, holder, echo
        self.jobs = JOBS if jobs is None else jobs
        self.lease = Lease(LOCK_NAME, holder, clock.now)
        self.held = False
        self.mutex = threading.Lock()

    def _log(self, text):
        self.echo(f"{clock.now():%Y-%m-%d %H:%M:%S}Z {text}")

    def _run(self, job, now) -> bool:
        """Run `job`; its transaction re-checks the lease before committing. False:
        the lease was taken over meanwhile (nothing committed): stop."""
        from .jobs import run_job
        from .services import scheduler_lock
        try:
            ok, summary = run_job(job, now, self.lease)
        except scheduler_lock.LeaseLost as lost:
            self.held = False
            self._log(f"{job.id}: not committed, rolled back: {lost}; stopping until "
                      f"the lease is free")
            return False
        self._log(f"{job.id}: {summary}")
        return True

    def _lost(self, before):
        from .services import scheduler_lock
        lock = scheduler_lock.holder_of(LOCK_NAME)
        self.held = False
        self._log(f"lease lost to {lock.holder if lock else '?'} before {before}: stopping")

    def _take(self, now) -> bool:
        """Take or renew the lease; on taking it, run every job once, renewing the
        lease before each. False: standby (or the lease was lost on the way)."""
        from .services import scheduler_lock
        if not scheduler_lock.acquire(LOCK_NAME, self.holder, now=now):
            lock = scheduler_lock.holder_of(LOCK_NAME)
            if self.held or self.held is None:
                self._log(f"on standby, the lease is held by {lock.holder if lock else '?'}")
            self.held = False
            return False
        if not self.held:
            self.held = True
            self._log(f"lease taken by {self.holder}: running every job once")
            for n, job in enumerate(self.jobs):
                if n and not self.lease.renew():   # a long job must not let the lease lapse
                    self._lost(job.id)
                    return False
                if not self._run(job, now):
                    return False
            return None   # every job has just run
        return True

    def renew(self):
        """The lease job: keep the lease, or take it when it is free."""
        with self.mutex, self.app.app_context():
            self._take(clock.now())

    def tick(self, job):
        with self.mutex, self.app.app_context():
            now = clock.now()
            taken = self._take(now)
            if taken is False:
                from .services import scheduler_lock
                lock = scheduler_lock.holder_of(LOCK_NAME)
                self._log(f"skipped {job.id}: standby, the lease is held by "
                          f"{lock.holder if lock else '?'}")
            elif taken:
                self._run(job, now)

    def release(self):
        from .services import scheduler_lock
        with self.app.app_context():
            try:
                scheduler_lock.release(LOCK_NAME, self.holder)
            except Exception as error:  # noqa: BLE001 - exiting anyway; say so
                self._log(f"could not release the lease: {error}")
                return
        if self.held:
            self._log(f"lease released by {self.holder}")
        self.held = False


@scheduler_cli.command("run")
def scheduler_run():
    """Run the jobs on their intervals until stopped. Start one per deployment;
    a second one waits on standby and takes over if the first stops. At start-up
    (and on taking over) the lease holder runs every job once; on SIGTERM, SIGINT
    or exit it gives the lease up, so a restart or a standby carries on at once."""
    import atexit
    import signal
    from datetime import timedelta
    from apscheduler.schedulers.blocking import BlockingScheduler
    from .jobs import JOBS
    app = current_app._get_current_object()
    holder = f"scheduler:{socket.gethostname()}:{os.getpid()}"
    runner = SchedulerRunner(app, holder, click.echo)
    runner.held = None   # neither held nor logged as standby yet

    def stop(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    atexit.register(runner.release)
    click.echo(f"scheduler {holder}: {len(JOBS)} jobs; Ctrl+C stops it")
    runner.renew()   # takes the lease and runs every job once, or stands by
    scheduler = BlockingScheduler(timezone="UTC")
    start = datetime.now(timezone.utc)
    scheduler.add_job(runner.renew, "interval", seconds=LEASE_RENEW_SECONDS, id="lease",
                      max_instances=1, coalesce=True)
    for job in JOBS:
        scheduler.add_job(runner.tick, "interval", minutes=job.minutes, id=job.id, args=[job],
                          next_run_time=start + timedelta(minutes=job.minutes), max_instances=1,
                          coalesce=True, replace_existing=True)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=True)   # a job under way finishes its transaction
        runner.release()

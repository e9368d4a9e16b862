"""The scheduler process at start and stop, with real processes: on a fresh
database the lease holder runs every job once at start-up (none skipped); a
stopped scheduler gives its lease up, so the next one starts at once; a standby
says which jobs it did not run and why."""
import os
import re
import signal
import subprocess
import sys
import time

from prisoncare.cli_scheduler import LOCK_NAME
from prisoncare.extensions import db
from prisoncare.jobs import JOBS
from prisoncare.models import SchedulerLock
from prisoncare.services.scheduler_lock import EXPIRED

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def start(database_url, log_path):
    env = {**os.environ, "DATABASE_URL": database_url, "PRISONCARE_ENV": "testing",
           "PYTHONUNBUFFERED": "1"}
    log = open(log_path, "w")
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def jobs_run(text: str) -> set[str]:
    return set(re.findall(r"^\S+ \S+Z ([a-z-]+): ", text, re.M))


def wait_for(predicate, seconds=40):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def stop(proc, sig=signal.SIGTERM):
    if proc.poll() is None:
        proc.send_signal(sig)
    return proc.wait(timeout=30)


def test_every_job_runs_at_start_up_and_a_stop_gives_the_lease_up(app, database_url, tmp_path):
    every = {job.id for job in JOBS}
    first = start(database_url, tmp_path / "first.log")
    try:
        assert wait_for(lambda: jobs_run((tmp_path / "first.log").read_text()) >= every), \
            (tmp_path / "first.log").read_text()
    finally:
        stop(first)
    log = (tmp_path / "first.log").read_text()
    assert f"lease released by scheduler:" in log, log
    with app.app_context():
        lock = db.session.get(SchedulerLock, LOCK_NAME)
        assert lock.heartbeat_at == EXPIRED and lock.holder.endswith(f":{first.pid}")

    # restarted: the new process takes the free lease at once, no hour's wait
    began = time.monotonic()
    second = start(database_url, tmp_path / "second.log")
    try:
        assert wait_for(lambda: jobs_run((tmp_path / "second.log").read_text()) >= every), \
            (tmp_path / "second.log").read_text()
        assert time.monotonic() - began < 40
    finally:
        stop(second, signal.SIGINT)
    with app.app_context():
        db.session.expire_all()
        assert db.session.get(SchedulerLock, LOCK_NAME).heartbeat_at == EXPIRED


def test_a_standby_logs_that_it_stands_by_and_takes_over_when_the_holder_stops(
        app, database_url, tmp_path):
    first = start(database_url, tmp_path / "first.log")
    try:
        assert wait_for(lambda: "lease taken by" in (tmp_path / "first.log").read_text())
        standby = start(database_url, tmp_path / "standby.log")
        try:
            assert wait_for(lambda: "on standby, the lease is held by scheduler:" in
                            (tmp_path / "standby.log").read_text()), \
                (tmp_path / "standby.log").read_text()
            assert not jobs_run((tmp_path / "standby.log").read_text())
            stop(first)
            # the standby takes the released lease on its next renewal (30 s) and
            # runs every job once
            assert wait_for(lambda: jobs_run((tmp_path / "standby.log").read_text()) >=
                            {job.id for job in JOBS}, seconds=60), \
                (tmp_path / "standby.log").read_text()
        finally:
            stop(standby)
    finally:
        stop(first)

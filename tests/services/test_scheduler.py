"""The scheduler: one worker at a time through a database lease, the sweep
command, and a standby process that takes over."""
from datetime import timedelta

import pytest
from flask.cli import FlaskGroup

from prisoncare import clock
from prisoncare.cli_scheduler import LOCK_NAME, scheduled_tick
from prisoncare.extensions import db
from prisoncare.jobs import JOBS
from prisoncare.models import Alert
from prisoncare.services import alerts, scheduler_lock
from tests.conftest import NOW
from tests.factories import admit, build_world, make_patient


def test_only_one_holder_at_a_time_and_a_stale_lease_is_taken_over(ctx):
    assert scheduler_lock.acquire(LOCK_NAME, "a", now=NOW)
    assert not scheduler_lock.acquire(LOCK_NAME, "b", now=NOW + timedelta(seconds=30))
    assert scheduler_lock.acquire(LOCK_NAME, "a", now=NOW + timedelta(seconds=60))  # renewed
    assert not scheduler_lock.acquire(LOCK_NAME, "b", now=NOW + timedelta(minutes=2))
    # a's heartbeat stops: after the lease, b takes over and a is out
    assert scheduler_lock.acquire(LOCK_NAME, "b", now=NOW + timedelta(minutes=3, seconds=1))
    assert not scheduler_lock.acquire(LOCK_NAME, "a", now=NOW + timedelta(minutes=3, seconds=2))
    scheduler_lock.release(LOCK_NAME, "b")
    assert scheduler_lock.acquire(LOCK_NAME, "a", now=NOW + timedelta(minutes=3, seconds=3))


def test_two_scheduler_processes_only_one_works(app):
    with app.app_context():
        build_world()
        patient = make_patient()
        admit(patient)
        alerts.raise_alert(alerts.AlertSpec("X-1", "critical", "nurse", "ost", "m"), patient,
                           dedup_key="x", now=NOW - timedelta(hours=1))
        db.session.commit()
    job = next(j for j in JOBS if j.id == "escalate-alerts")
    assert scheduled_tick(app, job, "first") == "escalate-alerts: 1 escalated"
    assert scheduled_tick(app, job, "second") is None  # standby: did nothing
    assert scheduled_tick(app, job, "first") == "escalate-alerts: 0 escalated"


@pytest.fixture
def flask(app):
    cli = FlaskGroup(create_app=lambda: app)

    def run(*args):
        return app.test_cli_runner().invoke(cli, list(args), catch_exceptions=False)

    return run


def test_sweep_at_an_instant_prints_a_summary_and_twice_changes_nothing(app, flask):
    with app.app_context():
        build_world()
        patient = make_patient()
        admit(patient)
        alerts.raise_alert(alerts.AlertSpec("X-1", "high", "nurse", "ost", "m"), patient,
                           dedup_key="x", now=NOW)
        db.session.commit()
    result = flask("sweep", "--now", "2026-03-10T12:30:00Z")
    assert result.exit_code == 0, result.output
    line = result.output.strip()
    assert line.startswith("sweep at 2026-03-10T12:30:00Z: ") and "\n" not in line
    assert "escalate-alerts: 1 escalated" in line
    result = flask("sweep", "--now", "2026-03-10T12:30:00Z")
    assert "escalate-alerts: 0 escalated" in result.output
    with app.app_context():
        alert = db.session.scalars(db.select(Alert)).one()
        assert alert.escalation_level == 2
        assert clock.now() == NOW  # the sweep's instant does not leak into the clock


def test_sweep_refuses_while_the_scheduler_process_holds_the_lease(app, flask):
    with app.app_context():
        scheduler_lock.acquire(LOCK_NAME, "scheduler:ward-server:42", now=clock.now())
    result = flask("sweep")
    assert result.exit_code == 1
    assert "scheduler:ward-server:42 is running these jobs now" in result.output


def test_sweep_rejects_a_naive_instant(flask, app):
    result = flask("sweep", "--now", "2026-03-10T12:30:00")
    assert result.exit_code == 2 and "offset" in result.output


def ran_a_job(output: str) -> bool:
    """A job line: `<date> <time>Z <job id>: <summary>`."""
    import re
    return re.search(r"^\S+ \S+Z [a-z-]+: ", output, re.M) is not None


def test_two_real_scheduler_processes_one_works_the_other_stands_by(app, database_url, tmp_path):
    """Start `flask scheduler run` twice against the same database: one takes
    the lease and runs the jobs, the other only waits."""
    import os
    import subprocess
    import sys
    import time
    from prisoncare.models import SchedulerLock
    env = {**os.environ, "DATABASE_URL": database_url, "PRISONCARE_ENV": "testing",
           "PYTHONUNBUFFERED": "1"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))
    procs, logs = [], []
    for i in range(2):
        log = open(tmp_path / f"s{i}.log", "w+")
        procs.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler",
                                       "run"], cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT))
        logs.append(log)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            outputs = [(tmp_path / f"s{i}.log").read_text() for i in range(2)]
            if any(ran_a_job(out) for out in outputs):
                break
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)
    outputs = [(tmp_path / f"s{i}.log").read_text() for i in range(2)]
    workers = [i for i, out in enumerate(outputs) if ran_a_job(out)]
    assert len(workers) == 1, outputs
    with app.app_context():
        holder = db.session.get(SchedulerLock, LOCK_NAME).holder
    assert holder.endswith(f":{procs[workers[0]].pid}")

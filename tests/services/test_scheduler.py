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


# -- the lease during a run: renewed between jobs, re-checked before each commit ---------

def _alert_job(job_id, minutes_taken, during=None):
    """A job that takes `minutes_taken` (the clock moves on), lets `during` happen
    meanwhile (another runner), then raises an alert X-<job id> and commits."""
    from prisoncare.jobs import Job
    from prisoncare.models import Patient

    def run(now):
        clock.set_now(clock.now() + timedelta(minutes=minutes_taken))
        if during is not None:
            during()
        patient = db.session.scalars(db.select(Patient)).first()
        alerts.raise_alerts([alerts.AlertDraft(alerts.AlertSpec(f"X-{job_id}", "info", "nurse",
                                                                "ost", "m"),
                                               patient.id, patient.facility_id, f"x:{job_id}")],
                            now=now)
        return "1 raised"
    return Job(job_id, 15, run, "test job")


def _raised(app):
    with app.app_context():
        return sorted(db.session.scalars(db.select(Alert.rule_code)))


@pytest.fixture
def one_patient(app):
    with app.app_context():
        build_world()
        admit(make_patient())
        db.session.commit()
    return app


def test_the_runner_renews_its_lease_between_jobs_so_a_standby_cannot_take_it(one_patient):
    from prisoncare.cli_scheduler import SchedulerRunner
    from prisoncare.models import SchedulerLock
    app, log_a, log_b = one_patient, [], []
    jobs = tuple(_alert_job(f"slow-{n}", 1.5) for n in range(3))   # 4 1/2 minutes in all
    a = SchedulerRunner(app, "runner-a", log_a.append, jobs=jobs)
    a.renew()                                  # takes the lease: runs the three jobs once
    assert _raised(app) == ["X-slow-0", "X-slow-1", "X-slow-2"]
    with app.app_context():
        # renewed before the last job (3 minutes in), not left at the start
        assert db.session.get(SchedulerLock, LOCK_NAME).heartbeat_at == NOW + timedelta(minutes=3)
    b = SchedulerRunner(app, "runner-b", log_b.append, jobs=jobs)
    b.renew()                                  # 4 1/2 minutes after a took it: still a's
    assert (a.held, b.held, log_b) == (True, False, [])
    with app.app_context():
        assert db.session.get(SchedulerLock, LOCK_NAME).holder == "runner-a"


def test_a_runner_whose_lease_was_taken_over_mid_run_commits_nothing(one_patient):
    from prisoncare.cli_scheduler import SchedulerRunner
    app, log_a, log_b = one_patient, [], []
    b = SchedulerRunner(app, "runner-b", log_b.append, jobs=(_alert_job("by-b", 0),))
    # a's job takes 3 minutes, more than the lease; b takes the lease over meanwhile
    slow = _alert_job("slow", 3, during=b.renew)
    a = SchedulerRunner(app, "runner-a", log_a.append, jobs=(slow, _alert_job("after", 0)))
    a.renew()
    assert _raised(app) == ["X-by-b"]          # a's job was rolled back, its next never ran
    assert not a.held and b.held
    assert "slow: not committed, rolled back: the lease 'scheduler' is held by runner-b" in log_a[-1]
    assert not any("after" in line for line in log_a)
    a.tick(slow)                               # a's next tick: standby, nothing runs
    assert _raised(app) == ["X-by-b"] and "skipped slow: standby" in log_a[-1]


def test_a_sweep_stops_when_the_lease_is_taken_over_mid_job(one_patient):
    from prisoncare.jobs import Lease, run_all
    app = one_patient

    def take_over():
        with app.app_context():
            scheduler_lock.acquire(LOCK_NAME, "scheduler:other", now=clock.now())

    with app.app_context():
        assert scheduler_lock.acquire(LOCK_NAME, "sweep:1", now=clock.now())
        results = run_all(NOW, (_alert_job("slow", 3, during=take_over), _alert_job("after", 0)),
                          lease=Lease(LOCK_NAME, "sweep:1", clock.now))
    assert results == [("slow", False, "not committed: the lease 'scheduler' is held by "
                                       "scheduler:other, not sweep:1")]
    assert _raised(app) == []

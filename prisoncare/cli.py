"""Command line: `flask --app wsgi users|demo|serve|sweep|scheduler ...`
(`db upgrade` comes from Flask-Migrate). Commands act as the operator at the shell, who is trusted as an
administrator; each change is audited under "cli:<os user>"."""
import getpass
import os
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import clock
from .errors import DomainError
from .extensions import db
from .models import ApiToken
from .models.staff import ROLES
from .services import auth, users as user_service


@dataclass(frozen=True)
class CliActor:
    """The shell operator, as an audit-log actor with national scope."""

    username: str = field(default_factory=lambda: f"cli:{getpass.getuser()}")
    id: None = None
    all_facilities: bool = True
    facility_ids: frozenset = frozenset()
    roles: frozenset = frozenset({"admin"})
    is_authenticated: bool = True


def fail(error: DomainError):
    db.session.rollback()
    details = "; ".join(f"{k}: {' '.join(v)}" for k, v in (error.fields or {}).items())
    raise click.ClickException(error.message + (f" ({details})" if details else ""))


users_cli = AppGroup("users", help="Staff accounts and API tokens.")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--facility", "facilities", multiple=True, help="Facility code (repeatable).")
@click.option("--all-facilities", is_flag=True, help="National scope.")
@click.option("--password", help="Prompted for when absent.")
@click.option("--name", "display_name", default="", help="Full name.")
def create_user(username, roles, facilities, all_facilities, password, display_name):
    """Create a staff account."""
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user_service.create_user(CliActor(), username=username, password=password,
                                 roles=list(roles), facility_codes=list(facilities),
                                 all_facilities=all_facilities, display_name=display_name,
                                 now=clock.now())
    except DomainError as err:
        fail(err)
    db.session.commit()
    click.echo(f"Created {username} ({', '.join(roles)}).")


@users_cli.command("token")
@click.argument("username")
def create_token(username):
    """Print a new bearer token for USERNAME (shown once; only its hash is kept)."""
    try:
        user = user_service.get_user(username)
    except DomainError as err:
        fail(err)
    if user.is_disabled:
        raise click.ClickException(f"{username} is disabled.")
    row, raw = auth.issue_token(CliActor(), user, now=clock.now())
    db.session.commit()
    click.echo(raw)
    click.echo(f"Token id {row.id} (prefix {row.prefix}); revoke with "
               f"`flask --app wsgi users revoke-token {row.id}`.", err=True)


@users_cli.command("revoke-token")
@click.argument("token_id", type=int)
def revoke_token(token_id):
    """Revoke a bearer token by its id."""
    row = db.session.get(ApiToken, token_id)
    if row is None:
        raise click.ClickException(f"No token {token_id}.")
    auth.revoke_token(CliActor(), row, now=clock.now())
    db.session.commit()
    click.echo(f"Revoked token {token_id} of {row.user.username}.")


@users_cli.command("tokens")
@click.argument("username")
def list_tokens(username):
    """List USERNAME's tokens (ids and prefixes, never the secret)."""
    try:
        user = user_service.get_user(username)
    except DomainError as err:
        fail(err)
    for row in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)):
        state = f"revoked {row.revoked_at:%Y-%m-%d}" if row.revoked_at else "active"
        click.echo(f"{row.id}\t{row.prefix}…\tcreated {row.created_at:%Y-%m-%d}\t{state}")


@users_cli.command("disable")
@click.argument("username")
def disable_user(username):
    """Disable USERNAME: ends their sessions; their tokens stop working."""
    try:
        user = user_service.get_user(username)
    except DomainError as err:
        fail(err)
    user_service.disable_user(CliActor(), user, now=clock.now())
    db.session.commit()
    click.echo(f"Disabled {username}.")


@click.command("demo")
@with_appcontext
def demo_command():
    """Load fictional demo facilities, staff and patients (safe to run twice)."""
    from .demo import DEMO_PASSWORD, load_demo
    summary = load_demo(CliActor(username="cli:demo"), now=clock.now())
    db.session.commit()
    click.echo(f"Demo data: {summary}.")
    print_logins(DEMO_PASSWORD)


def print_logins(password):
    from .demo import DEMO_USERS
    click.echo("Demo logins (password for all: %s):" % password)
    for username, roles, facilities in DEMO_USERS:
        scope = "all facilities" if facilities is None else ", ".join(facilities)
        click.echo(f"  {username:<18} {'/'.join(roles):<16} {scope}")


@click.command("serve")
@click.option("--demo", is_flag=True, help="Migrate, load the demo data and print the logins first.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(demo, host, port):
    """Serve prisoncare (the quick start: `serve --demo`). Production uses gunicorn."""
    from flask_migrate import upgrade
    from werkzeug.serving import run_simple
    if demo:
        upgrade()
        from .demo import DEMO_PASSWORD, load_demo
        load_demo(CliActor(username="cli:demo"), now=clock.now())
        db.session.commit()
        print_logins(DEMO_PASSWORD)
    # The scheduler runs in its own process, never inside the web server.
    scheduler = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"])
    click.echo(f"prisoncare is at http://{host}:{port}/  (Ctrl+C stops it)")
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True,
                   use_reloader=False, use_debugger=False)
    finally:
        scheduler.terminate()
        scheduler.wait(timeout=10)


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
    from .jobs import run_all
    from .services import scheduler_lock
    as_of = parse_instant(now_text) if now_text else clock.now()
    holder = f"sweep:{socket.gethostname()}:{os.getpid()}"
    if not scheduler_lock.acquire(LOCK_NAME, holder, now=clock.now()):
        lock = scheduler_lock.holder_of(LOCK_NAME)
        raise click.ClickException(f"the scheduler process {lock.holder} is running these jobs now")
    try:
        with clock.frozen(as_of):
            results = run_all(as_of)
    finally:
        scheduler_lock.release(LOCK_NAME, holder)
    parts = [f"{job}: {summary}" for job, _ok, summary in results]
    click.echo(f"sweep at {as_of.isoformat().replace('+00:00', 'Z')}: " + "; ".join(parts))
    if not all(ok for _job, ok, _summary in results):
        raise SystemExit(1)


scheduler_cli = AppGroup("scheduler", help="The scheduler's own process.")


def scheduled_tick(app, job, holder) -> str | None:
    """One scheduled run of `job`: only the lease holder works; others stand by."""
    from .jobs import run_job
    from .services import scheduler_lock
    with app.app_context():
        now = clock.now()
        if not scheduler_lock.acquire(LOCK_NAME, holder, now=now):
            return None
        ok, summary = run_job(job, now)
        return f"{job.id}: {summary}"


# How often the scheduler renews its lease (well inside scheduler_lock.LEASE), and
# how often a standby process tries to take it over.
LEASE_RENEW_SECONDS = 30


class SchedulerRunner:
    """The jobs of one `scheduler run` process. Only the lease holder works; when
    this process takes the lease (at start-up, or taking over from a stopped one) it
    first runs every job once. A job it does not run is logged, never silently
    skipped. Runs are serialised within the process (one transaction at a time)."""

    def __init__(self, app, holder, echo):
        import threading
        self.app, self.holder, self.echo = app, holder, echo
        self.held = False
        self.mutex = threading.Lock()

    def _log(self, text):
        self.echo(f"{clock.now():%Y-%m-%d %H:%M:%S}Z {text}")

    def _run(self, job, now):
        from .jobs import run_job
        ok, summary = run_job(job, now)
        self._log(f"{job.id}: {summary}")

    def _take(self, now) -> bool:
        """Take or renew the lease; on taking it, run every job once. False: standby."""
        from .jobs import JOBS
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
            for job in JOBS:
                self._run(job, now)
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


audit_cli = AppGroup("audit", help="The tamper-evident access log.")


@audit_cli.command("seal")
@click.option("--now", "now_text", metavar="INSTANT", help="Seal as if it were this instant.")
def audit_seal(now_text):
    """Link the access log's recent entries into the hash chain (the scheduler does this too)."""
    from .services import audit_chain
    now = parse_instant(now_text) if now_text else clock.now()
    sealed = audit_chain.seal(now=now)
    db.session.commit()
    click.echo(f"sealed {sealed} entries")


@audit_cli.command("verify")
@click.option("--no-seal", is_flag=True,
              help="Check the chain as it is, without sealing the entries waiting first.")
def audit_verify(no_seal):
    """Seal the entries past the grace period (as the scheduler would), then recompute
    the hash chain; exit 1 if any entry was changed or deleted. Entries younger
    than the grace period are not sealed yet: their count is reported."""
    from .services import audit_chain
    now = clock.now()
    if not no_seal:
        before = audit_chain.verify(now=None)
        if before.ok:       # never extend a broken chain: seal only onto an intact one
            sealed = audit_chain.seal(now=now)
            db.session.commit()
            if sealed:
                click.echo(f"sealed {sealed} entries first")
        else:
            db.session.rollback()
    result = audit_chain.verify(now=now, grace=audit_chain.GRACE)
    for problem in result.problems:
        click.echo(f"BROKEN: {problem}")
    waiting = audit_chain.unsealed_count()
    click.echo(f"{waiting} entries not yet sealed"
               + (f" ({result.unsealed} past the grace period: is the scheduler running?)"
                  if result.unsealed else ""))
    state = "intact" if result.ok else "BROKEN"
    click.echo(f"audit log: {result.checked} entries checked, chain {state}; "
               f"head {result.head_seq} {result.head_hash}")
    if not result.ok:
        click.echo("audit log chain BROKEN", err=True)
        sys.exit(1)


def init_commands(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(serve_command)
    app.cli.add_command(sweep_command)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(audit_cli)

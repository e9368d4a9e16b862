"""Command line: `flask --app wsgi users|demo|serve|sweep|scheduler|audit ...`
(`db upgrade` comes from Flask-Migrate; `sweep` and `scheduler` are in
cli_scheduler.py). Commands act as the operator at the shell, who is trusted as an
administrator; each change is audited under "cli:<os user>"."""
import getpass
import subprocess
import sys
from dataclasses import dataclass, field

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import select

from . import clock
from .cli_scheduler import parse_instant, scheduler_cli, sweep_command
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

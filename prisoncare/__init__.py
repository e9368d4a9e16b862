"""prisoncare: continuity of OST, ART, TB, HCV and SRH care across custody events."""
import os

from flask import Flask

from config import config_for


def create_app(config_name: str | None = None, **overrides) -> Flask:
    app = Flask(__name__, template_folder=os.path.join(os.path.dirname(__file__), "..", "templates"),
                static_folder="static")
    app.config.from_object(config_for(config_name))
    app.config.update(overrides)
    configure_database(app)
    configure_alert_rules(app)
    configure_sweep_settings(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    return app


def configure_database(app: Flask) -> None:
    cfg = app.config
    if not cfg.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY is not set. Set it to a long random value in the "
                           "environment (python -c 'import secrets; print(secrets.token_hex(32))').")
    url = cfg.get("SQLALCHEMY_DATABASE_URI")
    if not url:
        if cfg.get("PRODUCTION"):
            raise RuntimeError("DATABASE_URL is not set: production needs PostgreSQL.")
        os.makedirs(app.instance_path, exist_ok=True)
        url = "sqlite:///" + os.path.join(app.instance_path, "prisoncare.db")
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    cfg["SQLALCHEMY_DATABASE_URI"] = url
    if url.startswith("postgresql"):
        # No server-side prepared statements: psycopg prepares a statement after five
        # runs, and PostgreSQL then may switch it to a generic plan, blind to the
        # parameters. Measured on the national bench database, the pill pass's alert
        # query went from 2 ms to 12 ms that way once the sweep had raised its alerts.
        # Planning each run costs well under a millisecond here; it is also what a
        # transaction-pooling pgbouncer needs. A deployment's own connect_args win.
        # db_prepared prepares a few hot statements itself, with their own values
        # (statuses, roles, facilities) written in as literals: the alert query so
        # prepared plans as well as a custom plan.
        options = dict(cfg.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
        options.setdefault("connect_args", {"prepare_threshold": None})
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options


def configure_alert_rules(app: Flask) -> None:
    """Read ALERT_RULE_OVERRIDES (PRISONCARE_ALERT_RULE_OVERRIDES) and check it against
    the rule table now: a bad override stops the start, saying what is wrong."""
    from config import read_overrides
    from .rules.alert_rules import load_rules
    from .rules.alert_schema import RuleFileError
    try:
        overrides = read_overrides(app.config.get("ALERT_RULE_OVERRIDES"))
        load_rules(overrides=overrides)
    except (ValueError, RuleFileError) as error:
        raise RuntimeError(f"PRISONCARE_ALERT_RULE_OVERRIDES is invalid: {error}") from None
    app.config["ALERT_RULE_OVERRIDES"] = overrides


def configure_sweep_settings(app: Flask) -> None:
    """Read SWEEP_SETTINGS (PRISONCARE_SWEEP_SETTINGS) and check it against sweep.toml
    now: an unknown table or setting, or a value of the wrong type, stops the start."""
    from config import read_overrides
    from .rules.sweep_settings import check
    try:
        settings = check(read_overrides(app.config.get("SWEEP_SETTINGS"),
                                        name="PRISONCARE_SWEEP_SETTINGS",
                                        what="sweep.toml tables"))
    except ValueError as error:
        raise RuntimeError(f"PRISONCARE_SWEEP_SETTINGS is invalid: {error}") from None
    app.config["SWEEP_SETTINGS"] = settings


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (registers the tables)
    from .auth_hooks import init_auth
    from .extensions import csrf, db, migrate
    from .i18n import init_i18n

    db.init_app(app)
    from .db_prepared import init_prepared
    init_prepared(app)   # the few hot statements PostgreSQL may keep prepared (issue 4)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(__file__), "..", "migrations"))
    csrf.init_app(app)
    init_auth(app)
    init_i18n(app)


def register_blueprints(app: Flask) -> None:
    from .blueprints import (admin, alerts, audit, auth, home, intake, mar, patients, photos,
                             release, reports, srh)
    from .blueprints.api import register_api

    for module in (auth, home, patients, intake, mar, alerts, srh, release, audit, admin, reports,
                   photos):
        app.register_blueprint(module.bp)
    from .blueprints import handovers
    app.register_blueprint(handovers.bp)
    from .blueprints import escort
    app.register_blueprint(escort.bp)
    register_api(app)
    from .templating import init_templating
    init_templating(app)


def register_errorhandlers(app: Flask) -> None:
    from .error_pages import init_error_handlers
    init_error_handlers(app)


def register_commands(app: Flask) -> None:
    from .cli import init_commands
    init_commands(app)

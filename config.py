"""Configuration read from the environment once. No side effects at import."""
import json
import os
import tomllib


def _int(name, default):
    return int(os.environ.get(name, default))


def read_overrides(value, name="PRISONCARE_ALERT_RULE_OVERRIDES",
                   what="rule ids or threshold names") -> dict:
    """A JSON object given inline, or the path of a .json or .toml file holding one.
    Raises ValueError saying what is wrong (the app then refuses to start)."""
    if value is None or isinstance(value, dict):
        return value or {}
    text = str(value).strip()
    if not text:
        return {}
    try:
        if text[0] in "{[":
            data = json.loads(text)
        elif text.endswith(".toml"):
            with open(text, "rb") as f:
                data = tomllib.load(f)
        else:
            with open(text, encoding="utf-8") as f:
                data = json.load(f)
    except OSError as error:
        raise ValueError(f"{name}: cannot read {text!r} ({error.strerror})") from None
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{name}: not valid JSON or TOML ({error})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{name}: must be an object of {what}")
    return data


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # A few hot page statements as server-side prepared statements on PostgreSQL
    # (prisoncare/db_prepared.py). Set 0 behind a transaction-pooling pgbouncer
    # older than 1.21.
    PG_PREPARED_STATEMENTS = os.environ.get("PRISONCARE_PG_PREPARED_STATEMENTS", "1") == "1"

    # Shared ward terminals: a session ends after this much inactivity.
    IDLE_TIMEOUT_MINUTES = _int("PRISONCARE_IDLE_TIMEOUT_MINUTES", 15)
    # Lock-out: this many failed logins in a row lock the account for LOCKOUT_MINUTES.
    LOGIN_MAX_FAILURES = _int("PRISONCARE_LOGIN_MAX_FAILURES", 5)
    LOCKOUT_MINUTES = _int("PRISONCARE_LOCKOUT_MINUTES", 15)

    # werkzeug's scrypt: memory-hard, salted. Tests use a cheap setting for speed.
    PASSWORD_HASH_METHOD = "scrypt"

    # How far back a dose may be documented as a late entry.
    MAR_LATE_ENTRY_DAYS = _int("PRISONCARE_MAR_LATE_ENTRY_DAYS", 7)

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("PRISONCARE_SECURE_COOKIES", "0") == "1"
    SESSION_COOKIE_NAME = "prisoncare_session"

    # CSRF is checked by our own before_request hook (cookie-authenticated writes
    # only; bearer-token requests are exempt), not on every POST by Flask-WTF.
    WTF_CSRF_CHECK_DEFAULT = False
    WTF_CSRF_HEADERS = ["X-CSRF-Token", "X-CSRFToken"]
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (idle-limited) session

    API_TITLE = "prisoncare API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"

    MAX_CONTENT_LENGTH = 5 * 1024 * 1024

    # Patient photos (issue 4): the largest upload accepted, in bytes.
    PHOTO_MAX_BYTES = _int("PRISONCARE_PHOTO_MAX_BYTES", 2 * 1024 * 1024)
    # Deployment overrides of the alert rule thresholds (JSON, or a .json/.toml path),
    # read and validated against the rule table when the app starts.
    ALERT_RULE_OVERRIDES = os.environ.get("PRISONCARE_ALERT_RULE_OVERRIDES")
    # Deployment overrides of the scheduler's settings (prisoncare/rules/data/sweep.toml),
    # the same way: read and checked against the file when the app starts.
    SWEEP_SETTINGS = os.environ.get("PRISONCARE_SWEEP_SETTINGS")


class DevelopmentConfig(Config):
    """Embedded SQLite in the instance folder; a fixed, loudly-named dev secret."""

    SECRET_KEY = Config.SECRET_KEY or "dev-only-insecure-secret-do-not-deploy"


class ProductionConfig(Config):
    PRODUCTION = True
    SESSION_COOKIE_SECURE = os.environ.get("PRISONCARE_SECURE_COOKIES", "1") == "1"


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret"
    PASSWORD_HASH_METHOD = "scrypt:1024:8:1"


CONFIGS = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_for(name=None):
    name = name or os.environ.get("PRISONCARE_ENV", "development")
    if name not in CONFIGS:
        raise RuntimeError(f"PRISONCARE_ENV must be one of {sorted(CONFIGS)}, not {name!r}")
    return CONFIGS[name]

"""The scheduler's settings (rules/data/sweep.toml: the windows the sweep works in,
the grace hours, escalation) with a deployment's overrides, pure.

A deployment overrides them with PRISONCARE_SWEEP_SETTINGS (inline JSON, or the
path of a .json or .toml file) or the SWEEP_SETTINGS config mapping, e.g.
{"grace_hours": {"ost": 4}, "doses": {"ahead_hours": 48}}. Overrides are merged
one table deep: a setting given replaces the file's value, and a setting that is
itself a table (escalation.minutes) is replaced whole. `check` refuses an unknown
table or setting and a value of the wrong type, naming it; the app runs it when it
starts, so a typo stops the start instead of being ignored.
"""
import tomllib
from pathlib import Path

PATH = Path(__file__).resolve().parent / "data" / "sweep.toml"


class SettingsError(ValueError):
    """An override that does not fit sweep.toml (the message names it)."""


def defaults() -> dict:
    return tomllib.loads(PATH.read_text(encoding="utf-8"))


def load(overrides=None) -> dict:
    """sweep.toml, with a deployment's overrides merged one table deep."""
    data = defaults()
    for section, values in (overrides or {}).items():
        if isinstance(values, dict) and isinstance(data.get(section), dict):
            data[section] = {**data[section], **values}
        else:
            data[section] = values
    return data


def check(overrides) -> dict:
    """`overrides` if every table, setting and value fits sweep.toml; else
    SettingsError saying which and why."""
    if overrides is None:
        return {}
    if not isinstance(overrides, dict):
        raise SettingsError("must be an object of sweep.toml tables")
    data = defaults()
    for section, values in overrides.items():
        if section not in data:
            raise SettingsError(f"[{section}]: no such table (sweep.toml has "
                                f"{', '.join(sorted(data))})")
        if not isinstance(values, dict):
            raise SettingsError(f"[{section}]: must be a table of settings, not {values!r}")
        for key, value in values.items():
            if key not in data[section]:
                raise SettingsError(f"{section}.{key}: no such setting ([{section}] has "
                                    f"{', '.join(sorted(data[section]))})")
            _same_kind(f"{section}.{key}", data[section][key], value)
    return overrides


def _same_kind(name, default, value) -> None:
    """`value` is of the kind of the file's `default`: a whole number (not negative),
    text, a list of the same kind as its items, or a table of the same kind as its
    values (new keys are allowed there: a role, an event type)."""
    if isinstance(default, (int, float)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise SettingsError(f"{name}: must be a whole number, 0 or more, not {value!r}")
    elif isinstance(default, str):
        if not isinstance(value, str) or not value.strip():
            raise SettingsError(f"{name}: must be text, not {value!r}")
    elif isinstance(default, list):
        if not isinstance(value, list):
            raise SettingsError(f"{name}: must be a list, not {value!r}")
        for n, item in enumerate(value):
            if default:
                _same_kind(f"{name}[{n}]", default[0], item)
    elif isinstance(default, dict):
        if not isinstance(value, dict):
            raise SettingsError(f"{name}: must be a table, not {value!r}")
        kinds = list(default.values())
        for key, item in value.items():
            if kinds:
                _same_kind(f"{name}.{key}", kinds[0], item)

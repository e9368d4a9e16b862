"""A deployment changes rule thresholds without code: PRISONCARE_ALERT_RULE_OVERRIDES
(inline JSON, or a .json/.toml file) is read and checked when the app starts; a bad
override stops the start with a message saying what is wrong."""
import json
import os
import subprocess
import sys

import pytest

from prisoncare import create_app
from prisoncare.rules.alert_rules import load_rules

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def start(overrides):
    return create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", ALERT_RULE_OVERRIDES=overrides)


def rules_of(app):
    with app.app_context():
        from flask import current_app
        return load_rules(overrides=current_app.config["ALERT_RULE_OVERRIDES"])


def test_inline_json_and_files_override_thresholds(tmp_path):
    app = start('{"admission_continuation_hours": 36, "OST-M-05": {"min": 6}}')
    rules = rules_of(app)
    assert rules.thresholds["admission_continuation_hours"] == 36
    assert next(r for r in rules if r.id == "OST-M-05").params["min"] == 6
    toml = tmp_path / "overrides.toml"
    toml.write_text('release_window_days = 7\n')
    assert rules_of(start(str(toml))).thresholds["release_window_days"] == 7
    as_json = tmp_path / "overrides.json"
    as_json.write_text(json.dumps({"transfer_handover_hours": 12}))
    assert rules_of(start(str(as_json))).thresholds["transfer_handover_hours"] == 12
    assert rules_of(start(None)).thresholds["admission_continuation_hours"] == 24


@pytest.mark.parametrize("value,message", [
    ('{"OST-M-99": {"min": 6}}', "override OST-M-99: no rule with this id"),
    ('{"OST-M-05": {"hours": 6}}', "'hours' is not a parameter"),
    ('{"admission_hours": 36', "not valid JSON or TOML"),
    ("/nowhere/overrides.json", "cannot read '/nowhere/overrides.json'"),
    ("[1, 2]", "must be an object"),
])
def test_a_bad_override_stops_the_start_with_a_clear_message(value, message):
    with pytest.raises(RuntimeError, match="PRISONCARE_ALERT_RULE_OVERRIDES is invalid") as error:
        start(value)
    assert message in str(error.value)


def test_the_environment_variable_is_read_at_start(tmp_path):
    env = {**os.environ, "PRISONCARE_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "PRISONCARE_ALERT_RULE_OVERRIDES": '{"no_such_threshold": 1}'}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "override no_such_threshold: neither a rule id nor a named threshold" in done.stderr

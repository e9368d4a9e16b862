"""A deployment changes the scheduler's settings (sweep.toml) without code:
PRISONCARE_SWEEP_SETTINGS (inline JSON, or a .json/.toml file) is read and checked
when the app starts; an unknown table or setting, or a value of the wrong type,
stops the start with a message naming it."""
import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from prisoncare import clock, create_app
from prisoncare.extensions import db
from prisoncare.jobs import JOBS, _settings
from prisoncare.models.medication import ScheduledDose
from tests.conftest import wipe
from tests.factories import build_world

from .test_sweep_helpers import at, dose, on_methadone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def start(value, url="sqlite://"):
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, SWEEP_SETTINGS=value)


def settings_of(app):
    with app.app_context():
        return _settings()


def test_inline_json_and_files_override_settings(tmp_path):
    s = settings_of(start('{"grace_hours": {"ost": 4}, "doses": {"ahead_hours": 48}}'))
    assert s["grace_hours"]["ost"] == 4 and s["grace_hours"]["art"] == 6   # the rest kept
    assert (s["doses"]["ahead_hours"], s["doses"]["backfill_hours"]) == (48, 168)
    toml = tmp_path / "sweep.toml"
    toml.write_text('[escalation]\nmax_level = 2\nnext_role = { nurse = "clinician", '
                    'clinician = "admin" }\n')
    s = settings_of(start(str(toml)))
    assert s["escalation"]["max_level"] == 2
    assert s["escalation"]["next_role"] == {"nurse": "clinician", "clinician": "admin"}
    as_json = tmp_path / "sweep.json"
    as_json.write_text(json.dumps({"interruptions": {"programmes": ["ost", "art"]}}))
    assert settings_of(start(str(as_json)))["interruptions"]["programmes"] == ["ost", "art"]
    assert settings_of(start(None))["doses"]["ahead_hours"] == 36


@pytest.mark.parametrize("value,message", [
    ('{"dose": {"ahead_hours": 48}}', "[dose]: no such table"),
    ('{"doses": {"ahead_hour": 48}}', "doses.ahead_hour: no such setting ([doses] has "
                                      "ahead_hours, backfill_hours, catch_up_max_days)"),
    ('{"doses": {"ahead_hours": "48"}}', "doses.ahead_hours: must be a whole number"),
    ('{"doses": {"ahead_hours": true}}', "doses.ahead_hours: must be a whole number"),
    ('{"grace_hours": {"ost": -1}}', "grace_hours.ost: must be a whole number, 0 or more"),
    ('{"grace_hours": {"ost": 4.5}}', "grace_hours.ost: must be a whole number"),
    ('{"grace_hours": 4}', "[grace_hours]: must be a table of settings"),
    ('{"interruptions": {"programmes": "ost"}}', "interruptions.programmes: must be a list"),
    ('{"interruptions": {"programmes": ["ost", 3]}}', "interruptions.programmes[1]: must be text"),
    ('{"escalation": {"minutes": {"high": "soon"}}}', "escalation.minutes.high: must be a whole"),
    ('{"doses": {"ahead_hours": 48}', "not valid JSON or TOML"),
    ("/nowhere/sweep.toml", "cannot read '/nowhere/sweep.toml'"),
    ("[1, 2]", "must be an object of sweep.toml tables"),
])
def test_a_bad_setting_stops_the_start_with_a_clear_message(value, message):
    with pytest.raises(RuntimeError, match="PRISONCARE_SWEEP_SETTINGS is invalid") as error:
        start(value)
    assert message in str(error.value)


def run_python(code, value, tmp_path):
    env = {**os.environ, "PRISONCARE_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "PRISONCARE_SWEEP_SETTINGS": value}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_the_environment_variable_is_read_at_start(tmp_path):
    done = run_python("from prisoncare import create_app\n"
                      "from prisoncare.jobs import _settings\n"
                      "with create_app().app_context(): print(_settings()['grace_hours']['ost'])",
                      '{"grace_hours": {"ost": 3}}', tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "3"
    env = {**os.environ, "PRISONCARE_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
           "PRISONCARE_SWEEP_SETTINGS": '{"grace_hours": {"opioids": 3}}'}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "routes"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "PRISONCARE_SWEEP_SETTINGS is invalid: grace_hours.opioids: no such setting" in done.stderr


@pytest.fixture
def shorter_grace(database_url):
    """The app of a deployment that marks OST doses missed two hours after they are due."""
    app = start('{"grace_hours": {"ost": 2}}', database_url)
    yield app
    wipe(app)


def test_the_sweep_marks_missed_after_the_deployment_s_grace(shorter_grace):
    from .test_sweep_helpers import sweep
    with shorter_grace.app_context():
        build_world()
        clock.set_now(at(8, 3))
        _patient, order = on_methadone()
        due = dose(order, 10).due_at                  # 08:00 in Kyiv, 06:00 UTC
        assert due == datetime(2026, 3, 10, 6, 0, tzinfo=timezone.utc)
        sweep(at(10, 7, 50), [j for j in JOBS if j.id == "mark-missed"])
        assert dose(order, 10).status == "due"
        sweep(at(10, 8, 5), [j for j in JOBS if j.id == "mark-missed"])
        assert db.session.scalar(select(ScheduledDose.status).where(
            ScheduledDose.id == dose(order, 10).id)) == "missed"
        db.session.remove()

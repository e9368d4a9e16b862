"""Every job computes from the data at `now`: a second sweep at the same instant
changes nothing, one sweep after a downtime reaches the state of hourly sweeps,
and a sweep killed halfway is finished by the next."""
from datetime import timedelta

import pytest
from flask.cli import FlaskGroup

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS
from prisoncare.services import administration as mar
from tests.factories import build_world

from .test_sweep_helpers import (alerts, at, court_day, dose, episodes, forget_the_sweeps, give,
                                 on_methadone, snapshot, staff, sweep)

END = at(12, 18)


def story():
    """Three women, everything recorded (late where it must be) by 12 March 18:00:
    methadone with a court day then two unrecorded days; buprenorphine with a
    refusal; ART with a hospital stay."""
    clock.set_now(at(8, 3))
    meth, meth_order = on_methadone("S-1")
    bup, bup_order = on_methadone("S-2", drug="Buprenorphine sublingual")
    art, art_order = on_methadone("S-3", drug="Tenofovir/lamivudine/dolutegravir",
                                  programme="art", times=("09:00", "21:00"))
    clock.set_now(END)
    for order in (meth_order, bup_order):
        give(order, 8)
        give(order, 9)
    court_day(meth, 10)
    give(bup_order, 10)
    refused = dose(bup_order, 11)
    mar.record_administration(staff("nurse.a"), refused, {
        "outcome": "refused", "reason": "said she felt unwell", "administered_at": refused.due_at},
        now=clock.now())
    db.session.commit()
    from .test_sweep_helpers import event
    event(art, "hospital_out", at(10, 12))
    event(art, "hospital_return", at(11, 10))
    return meth, bup, art


@pytest.fixture
def w(ctx):
    build_world()
    return ctx


def test_a_second_sweep_at_the_same_instant_changes_nothing(w):
    story()
    first = sweep(END)
    assert first["mark-absent"] != "0 changed" and first["evaluate-rules"] != "0 raised"
    before = snapshot()
    again = sweep(END)
    assert snapshot() == before
    assert again == {"generate-doses": "0 generated", "mark-absent": "0 changed",
                     "mark-missed": "0 marked",
                     "interruptions": "0 opened, 0 updated, 0 closed, 0 removed",
                     "evaluate-rules": "0 raised", "srh-alerts": "0 raised",
                     "open-release-plans": "0 release plans opened",
                     "release-follow-up": "0 follow-up alerts",
                     "release-rules": "0 raised, 0 resolved",
                     "escalate-alerts": "0 escalated", "seal-audit-log": "0 sealed"}


def test_the_story_ends_with_the_right_statuses_episodes_and_alerts(w):
    meth, bup, art = story()
    sweep(END)
    assert [e.cause for e in episodes(meth)] == ["court"]
    [m] = episodes(meth)
    assert (m.length_days, m.missed_days, dict(m.cause_days)) == (3, 3, {"court": 1,
                                                                         "documentation_gap": 2})
    [b] = episodes(bup)
    assert (b.cause, b.end_on, b.length_days) == ("refusal", None, 2)
    [a] = episodes(art)
    assert a.cause == "hospital"
    assert {x.rule_code for x in alerts(meth)} >= {"OST-E-02", "OST-M-01", "OST-M-02", "OST-M-03"}
    assert {x.rule_code for x in alerts(bup)} >= {"OST-B-01"}
    assert "OST-E-02" not in {x.rule_code for x in alerts(art)}   # ART has no custody-loss rule
    assert {x.rule_code for x in alerts(art)} >= {"ART-01"}


def test_one_sweep_after_a_downtime_reaches_the_state_of_hourly_sweeps(w):
    story()
    instant = at(10, 0)
    while instant <= END:
        sweep(instant)
        instant += timedelta(hours=1)
    hourly = snapshot(with_times=False)
    assert hourly["episodes"] and hourly["alerts"]
    forget_the_sweeps()
    sweep(END)
    late = snapshot(with_times=False)
    assert {k: set(v) - set(late[k]) for k, v in hourly.items()} == {k: set(v) - set(hourly[k]) for k, v in late.items()}
    assert late == hourly


def test_a_sweep_killed_halfway_is_finished_by_the_next(w):
    story()
    sweep(END, JOBS[:3])                       # killed after marking the doses
    assert episodes() == [] and alerts() == []
    sweep(END)
    resumed = snapshot(with_times=False)
    forget_the_sweeps()
    sweep(END)
    assert snapshot(with_times=False) == resumed


def test_the_sweep_command_prints_one_line(app):
    with app.app_context():
        build_world()
        story()
    cli = FlaskGroup(create_app=lambda: app)
    result = app.test_cli_runner().invoke(cli, ["sweep", "--now", "2026-03-12T18:00:00Z"],
                                          catch_exceptions=False)
    assert result.exit_code == 0, result.output
    [line] = result.output.strip().splitlines()
    assert line.startswith("sweep at 2026-03-12T18:00:00Z: generate-doses: ")
    positions = [line.index(f"{job.id}: ") for job in JOBS]
    assert positions == sorted(positions)
    assert "escalate-alerts: " in line

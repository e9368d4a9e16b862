"""The sweep's rule evaluation: ask each rule module for the alerts its rules call
for at `now`, raise them (once per condition, whatever the cadence), then resolve
those whose condition ended and move the treatment alerts to where she is now.

  ladder_alerts      ladder rungs and pregnancy rules     <rule>:episode:<episode id>
  rule_conditions    transfers without a handover          <rule>:event:<move event id>
                     missed in a window (ART-02)           <rule>:dose:<first missed dose>
                     tasks overdue (BR-01, BR-02...)       <rule>:<the task's key>
  event_alerts       not continued on admission            <rule>:custody-episode:<id>
                     dose lost / unplanned release /       <rule>:event:<custody event id>
                     planned absence
  checklist_alerts   checklist overdue                     <rule>:checklist:<instance id>
  ladder_closing     closes_on (interruption end, release) and the move on transfer

A condition that ends (a higher rung reached, a handover recorded, a task done, a
dose given again, her release) resolves its alert with resolved_by empty and a note,
computed from the data like the raising, so a late sweep ends in the same state as
punctual ones. Custody staff see only a rule's custody_message.
"""
from datetime import timedelta

from ..rules import alert_rules as ar
from . import checklist_alerts
from . import event_alerts as events
from . import rule_conditions as conditions
from .alert_closing import close_alerts
from .alerts import raise_alerts
from .ladder_alerts import ladder_hits, ladders, pregnant_patient_ids, tb_phases  # noqa: F401
from .ladder_closing import closing_notes, follow_her


def evaluate_rules(session, now, rules: ar.RuleSet, settings: dict, since=None,
                   catch_up: timedelta | None = None) -> dict:
    """Raise the alerts every rule calls for at `now`, then resolve those whose
    condition ended or whose rung was superseded, and move the open treatment alerts
    to her facility; returns counts raised per source.
    `since`: the ladders, the missed-in-a-window rule and the doses lost to custody
    events read only what may have changed since then (the sweep's watermark, `evaluate_rules_job`); None reads all.
    `catch_up`: how far back the custody events, releases and tasks are read after a
    downtime (by default the settings' lookback_days, which also stays the window
    the missed-in-a-window rule counts in)."""
    lookback = timedelta(days=settings["rules"]["lookback_days"])
    catch_up = max(catch_up or lookback, lookback)
    window_start = (now - timedelta(days=settings["interruptions"]["recompute_days"])).date()
    to_resolve: dict[str, str] = {}
    sources = {}
    for name, (drafts, resolved) in {
            "ladders": ladders(session, rules, window_start, since),
            "transfers": conditions.transfers(session, rules, now),
            "window": conditions.missed_in_window(session, rules, now, lookback, since),
            "tasks": conditions.tasks_overdue(session, rules, now, catch_up)}.items():
        sources[name], to_resolve = drafts, {**to_resolve, **resolved}
    intake = timedelta(days=settings["interruptions"]["intake_lookback_days"])
    absence_hours = settings["rules"]["planned_absence_hours"]
    sources.update({
        "admission": events.not_continued(session, rules, now, intake),
        "custody": events.doses_lost(session, rules, now, catch_up, since),
        "release": events.unplanned_releases(session, rules, now, catch_up),
        "planned": events.planned_absences(session, rules, now, absence_hours),
        "checklists": checklist_alerts.overdue(session, now, settings["checklist_overdue"]),
    })
    raised = {name: raise_alerts(list(drafts), now=now, session=session)
              for name, drafts in sources.items()}
    to_resolve.update(checklist_alerts.closed(session, settings["checklist_overdue"]))
    to_resolve.update(events.departures_passed(session, rules, now, absence_hours))
    # a rung superseded before its episode ended keeps saying so, as punctual sweeps left it
    close_alerts(session, {**closing_notes(session, rules, now, since), **to_resolve}, now=now)
    follow_her(session, rules)
    return raised


def evaluate_rules_job(session, now, rules: ar.RuleSet, settings: dict) -> dict:
    """The evaluate-rules job: incremental from its watermark (a full pass on its first
    run, after a day without one, and when the rules or settings change), each run
    re-deriving in full the slice of patients of the quarters of an hour begun since
    (sweep_watermark's safety net: everyone once a day), the watermark written in the
    same transaction. After a downtime the look-back at events reaches back from the
    run that last completed (capped by catch_up_max_days), so an event early in the
    outage is still seen."""
    from . import sweep_watermark as wm
    key = wm.keyed("evaluate-rules", rules, settings)
    start = wm.catch_up_start(session, key, now,
                              timedelta(days=settings["rules"]["lookback_days"]),
                              settings["doses"]["catch_up_max_days"])
    counts = evaluate_rules(session, now, rules, settings, wm.incremental_since(session, key, now),
                            catch_up=now - start)
    wm.finish(session, key, now)
    return counts

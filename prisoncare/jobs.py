"""The scheduler's jobs, as data with stable ids. A job is a service call that
computes from the state of the data at `now`, never from when it last ran: a
missed run is caught up by the next, a run killed halfway and run again ends in
the same state, and a second run at the same instant changes nothing.

Each job runs in its own transaction; one failing job does not stop the others.
"""
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable

from .extensions import db

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    id: str
    minutes: int
    run: Callable  # (now) -> str: a short summary of what it changed
    description: str


def _settings():
    from flask import current_app
    from .services.dose_marks import sweep_settings
    return sweep_settings(current_app.config.get("SWEEP_SETTINGS"))


def _since(job, now):
    """The start of a dose job's window: the backfill before now, or before the run
    that last completed after a downtime (capped; sweep_watermark.catch_up_start).
    The job's watermark is written in its transaction."""
    from .services import sweep_watermark
    doses = _settings()["doses"]
    since = sweep_watermark.catch_up_start(db.session, job, now,
                                           timedelta(hours=doses["backfill_hours"]),
                                           doses["catch_up_max_days"])
    sweep_watermark.set_watermark(db.session, job, now)
    return since


def _generate(now):
    """Incremental from the run that last completed with the same look-ahead
    (doses.generate_since); everything in the window on the first run, after a
    change of `ahead_hours`, or with the clock behind that run."""
    from .services import sweep_watermark
    from .services.doses import generate_doses, generate_since
    doses = _settings()["doses"]
    ahead = timedelta(hours=doses["ahead_hours"])
    key = sweep_watermark.keyed("generate-doses", doses["ahead_hours"])
    mark = sweep_watermark.read(db.session, key)
    start = sweep_watermark.catch_up_start(db.session, key, now,
                                           timedelta(hours=doses["backfill_hours"]),
                                           doses["catch_up_max_days"])
    if mark is None or mark.done_at > now:
        made = generate_doses(db.session, start, now + ahead, now)
    else:
        made = generate_since(db.session, mark, start, now + ahead, now, ahead)
    sweep_watermark.finish(db.session, key, now)
    return f"{made} generated"


def _mark_absent(now):
    from .services import sweep_watermark
    from .services.dose_marks import mark_absent
    doses = _settings()["doses"]
    mark = sweep_watermark.read(db.session, "mark-absent")   # before _since moves it
    since = _since("mark-absent", now)
    changed = mark_absent(db.session, now, since=since, ahead_hours=doses["ahead_hours"],
                          changed_since=mark if mark is not None and mark.done_at <= now else None)
    return f"{changed} changed"


def _mark_missed(now):
    from .services.dose_marks import mark_missed
    settings = _settings()
    since = _since("mark-missed", now)
    marked = mark_missed(db.session, now, since=since, grace_hours=settings["grace_hours"])
    return f"{marked} marked"


def _interruptions(now):
    from .services.interruption_episodes import recompute_episodes
    settings = _settings()
    s = settings["interruptions"]
    counts = recompute_episodes(db.session, now, recompute_days=s["recompute_days"],
                                intake_lookback_days=s["intake_lookback_days"],
                                programmes=s["programmes"],
                                max_days=settings["doses"]["catch_up_max_days"])
    return ", ".join(f"{n} {what}" for what, n in counts.items())


def _evaluate(now):
    from flask import current_app
    from .rules.alert_rules import load_rules
    from .services.rule_evaluation import evaluate_rules_job
    rules = load_rules(overrides=current_app.config.get("ALERT_RULE_OVERRIDES"))
    counts = evaluate_rules_job(db.session, now, rules, _settings())
    return f"{sum(counts.values())} raised"


def _srh_alerts(now):
    from .services.srh_care import raise_srh_alerts
    return f"{raise_srh_alerts(now=now)} raised"


def _seal_audit(now):
    from .services.audit_chain import seal
    return f"{seal(now=now)} sealed"


def _release_plans(now):
    from .services.release_jobs import open_release_plans
    return open_release_plans(now)


def _release_outcomes(now):
    from .services.release_jobs import release_outcome_alerts
    return release_outcome_alerts(now)


def _release_rules(now):
    from .services.release_jobs import release_rule_alerts
    return release_rule_alerts(now)


def _escalate(now):
    from .services.alerts import escalate_open_alerts
    return f"{escalate_open_alerts(now=now)} escalated"


# In the order a sweep runs them: each reads what the previous ones wrote, and
# each also converges on its own (a sweep killed halfway is finished by the next).
JOBS: tuple[Job, ...] = (
    Job("generate-doses", 60, _generate, "Doses due in the next 36 hours (and any missing of the past week, or since the last run)"),
    Job("mark-absent", 15, _mark_absent, "Doses due while she was at court, in hospital or in transfer"),
    Job("mark-missed", 15, _mark_missed, "Doses nobody recorded within the programme's grace window"),
    Job("interruptions", 15, _interruptions, "Open, extend and close treatment interruption episodes"),
    Job("evaluate-rules", 15, _evaluate, "Raise the alerts of the rule table and overdue checklists"),
    Job("srh-alerts", 15, _srh_alerts,
        "SRH due dates: antenatal booking and contacts, child checks, immunisations, infant "
        "prophylaxis and tests, screening, PMTCT viral loads; resolved when done"),
    Job("open-release-plans", 60, _release_plans, "Open release plans 30 days before the expected release"),
    Job("release-follow-up", 60, _release_outcomes,
        "Alert when a first OST or ART appointment has no outcome 72 hours after it"),
    Job("release-rules", 60, _release_rules,
        "Release rules OST-R-01/02, ART-07, HCV-04, TB-06, BR-09 over plans near release"),
    Job("escalate-alerts", 5, _escalate, "Escalate open alerts nobody acknowledged in time"),
    Job("seal-audit-log", 5, _seal_audit, "Link the access log's new entries into the hash chain"),
)


@dataclass(frozen=True)
class Lease:
    """The scheduler's lease as a run of jobs holds it: `beat()` gives the instant to
    renew it at (the heartbeat)."""
    name: str
    holder: str
    beat: Callable

    def renew(self) -> bool:
        from .services import scheduler_lock
        return scheduler_lock.acquire(self.name, self.holder, now=self.beat())


def run_job(job: Job, now, lease: Lease | None = None) -> tuple[bool, str]:
    """Run one job in one transaction. With `lease`, the transaction checks just
    before its commit that this process still holds the lease; if another one has
    taken it over meanwhile, everything the job did is rolled back and LeaseLost
    is raised (after logging it): the caller stops."""
    from .services.scheduler_lock import LeaseLost, ensure_held
    from .services.sweep_watermark import job_run
    try:
        with job_run(db.session):   # the run's number, stamped on what it writes
            summary = job.run(now)
        if lease is not None:
            ensure_held(lease.name, lease.holder)
        db.session.commit()
        return True, summary
    except LeaseLost as lost:
        db.session.rollback()
        log.warning("job %s rolled back, nothing committed: %s", job.id, lost)
        raise
    except Exception as error:  # noqa: BLE001 - one job's failure must not stop the others
        db.session.rollback()
        log.exception("job %s failed", job.id)
        return False, f"failed: {error}"


def run_all(now, jobs=JOBS, lease: Lease | None = None) -> list[tuple[str, bool, str]]:
    """Every job once at `now`. With `lease`: renewed before each job and re-checked
    in each job's transaction; once it is lost nothing more runs or commits (the
    job under way is rolled back and reported as not committed)."""
    from .services.scheduler_lock import LeaseLost
    results = []
    for job in jobs:
        try:
            if lease is not None and not lease.renew():
                raise LeaseLost(f"the lease {lease.name!r} was taken over before {job.id}")
            results.append((job.id, *run_job(job, now, lease)))
        except LeaseLost as lost:
            results.append((job.id, False, f"not committed: {lost}"))
            break
    return results

"""The release jobs for the scheduler (jobs.py lists them; they hold no logic)."""


def open_release_plans(now) -> str:
    from .release import open_due_plans
    return f"{open_due_plans(now=now)} release plans opened"


def release_outcome_alerts(now) -> str:
    from .release_followup import alert_missing_outcomes
    return f"{alert_missing_outcomes(now=now)} follow-up alerts"


def release_rule_alerts(now) -> str:
    from .release_alerts import evaluate_release_rules
    counts = evaluate_release_rules(now=now)
    return f"{counts['raised']} raised, {counts['resolved']} resolved"

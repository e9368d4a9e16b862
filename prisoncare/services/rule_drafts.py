"""What the sweep's rule modules share: the programme names written into alert texts,
a rule's alert spec, and the open alerts of some rules (few: read whole)."""
from sqlalchemy import select

from ..models.alerts import Alert
from ..rules import alert_rules as ar
from .alerts import AlertSpec

OPEN = ("open", "acknowledged")
LABELS = {"ost": "OST", "art": "ART", "tb": "TB treatment", "hcv": "HCV treatment",
          "prep": "PrEP", "methadone": "Methadone", "buprenorphine": "Buprenorphine"}


def programme_label(programme, family=None) -> str:
    return LABELS.get(family) or LABELS.get(programme, programme.upper())


def rule_spec(rule: ar.AlertRule, message: str) -> AlertSpec:
    return AlertSpec(rule_code=rule.id, severity=rule.severity, role=rule.role,
                     programme=rule.programme, message=message, action=rule.action,
                     custody_message=rule.custody_message)


def open_alert_keys(session, rule_codes) -> list[tuple[str, int | None]]:
    """(dedup key, cause event) of the open or acknowledged alerts of these rules: few."""
    return session.execute(select(Alert.dedup_key, Alert.cause_event_id).where(
        Alert.rule_code.in_(tuple(rule_codes)),
        Alert.status.in_(OPEN))).all()

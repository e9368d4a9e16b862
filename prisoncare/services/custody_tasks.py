"""Custody tasks: one per patient, custody event and task text, however many
programmes' alerts call for it. A woman on OST and ART taken to court raises
OST-PRE-01 and ART-PRE-01 (each with the same custody text); custody staff get one
task "Bring the person to the health unit before departure ...", never two: two
identical tasks would let them count her treatments.

The alerts stay one per programme for the clinical staff. Custody staff see, of
the alerts with the same patient, cause event and custody text, only the one that
stands for the task: the first still unresolved (by id), else the first. Their
acknowledging or completing it is written on every alert of the group, so the task
keeps its status whichever alert stands for it. Alerts without a cause event are
tasks of their own (a checklist overdue).
"""
from sqlalchemy import and_, case, exists, or_, select
from sqlalchemy.orm import aliased

from ..models import Alert


def _resolved(alert):
    return case((alert.status == "resolved", 1), else_=0)


def stands_for_its_task():
    """SQL condition on Alert: this alert is the one custody staff see for its task."""
    other = aliased(Alert)
    before = or_(_resolved(other) < _resolved(Alert),
                 and_(_resolved(other) == _resolved(Alert), other.id < Alert.id))
    return or_(Alert.cause_event_id.is_(None), ~exists().where(
        other.patient_id == Alert.patient_id, other.cause_event_id == Alert.cause_event_id,
        other.custody_message == Alert.custody_message, before))


def same_task(session, alert: Alert) -> list[Alert]:
    """The alerts that make up `alert`'s custody task (itself included)."""
    if alert.cause_event_id is None or alert.custody_message is None:
        return [alert]
    return list(session.scalars(select(Alert).where(
        Alert.patient_id == alert.patient_id, Alert.cause_event_id == alert.cause_event_id,
        Alert.custody_message == alert.custody_message)))

"""Checklists overdue (the sweep's CHK-01, configured in sweep.toml): raised per
checklist instance (<rule>:checklist:<instance id>), resolved when it is complete or
her custody episode ended."""
from sqlalchemy import select

from ..models.intake import ChecklistInstance
from ..models.patients import CustodyEpisode
from .alerts import AlertDraft, AlertSpec
from .dose_marks import _chunks
from .facility_time import LocalStamp
from .rule_drafts import open_alert_keys


def overdue(session, now, spec: dict):
    rows = session.execute(
        select(ChecklistInstance.id, ChecklistInstance.patient_id, ChecklistInstance.facility_id,
               ChecklistInstance.kind, ChecklistInstance.next_due_at)
        .join(CustodyEpisode, ChecklistInstance.episode_id == CustodyEpisode.id)
        .where(ChecklistInstance.completed_at.is_(None), ChecklistInstance.next_due_at <= now,
               CustodyEpisode.released_at.is_(None))).all()
    stamp = LocalStamp(session)
    for instance_id, pid, fac_id, kind, due_at in rows:
        alert = AlertSpec(rule_code=spec["rule_code"], severity=spec["severity"], role=spec["role"],
                          programme=None, action=spec.get("action"),
                          custody_message=spec.get("custody_message"),
                          message=f"The {kind.replace('_', ' ')} checklist is overdue "
                                  f"(due {stamp(due_at, fac_id)}).")
        yield AlertDraft(alert, pid, fac_id, f"{spec['rule_code']}:checklist:{instance_id}")


def closed(session, spec: dict) -> dict[str, str]:
    """Checklist-overdue alerts whose checklist is now complete, or whose custody
    episode ended: resolved, with the reason."""
    keys = {int(key.rsplit(":", 1)[1]): key
            for key, _ in open_alert_keys(session, (spec["rule_code"],)) if ":checklist:" in key}
    stamp, notes = LocalStamp(session), {}
    for chunk in _chunks(keys):
        for instance_id, fac_id, done_at, released_at in session.execute(
                select(ChecklistInstance.id, ChecklistInstance.facility_id,
                       ChecklistInstance.completed_at, CustodyEpisode.released_at)
                .join(CustodyEpisode, ChecklistInstance.episode_id == CustodyEpisode.id)
                .where(ChecklistInstance.id.in_(chunk))).all():
            if done_at is not None:
                notes[keys[instance_id]] = f"Done {stamp(done_at, fac_id)}."
            elif released_at is not None:
                notes[keys[instance_id]] = "Released before the checklist was completed."
    return notes

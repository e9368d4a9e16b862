"""The SRH alerts the scheduler raises (the srh-alerts job), set-based:

  BR-03   antenatal assessment not done in time (alert_rules.toml: 7 days, 24 h if
          drug-dependent)                                  BR-03:pregnancy:<id>
  BR-07   child health screen not done in time             BR-07:child:<id>
  ART-05  HIV-exposed infant without prophylaxis (critical) ART-05:child:<id>
  ART-04  a missed ART dose while pregnant or breastfeeding ART-04:episode:<id>
          (the rules engine raises it in pregnancy with the same key: never twice)
  SRH-*   antenatal and postnatal contacts, immunisations, infant HIV tests,
          cervical and breast screening, PMTCT viral loads: srh_alerts.toml
                                                          <code>:<stage>:<subject>

Each condition raises once (its key); a due alert is resolved when the item turns
overdue (the overdue alert takes over), and both when the task is done, or when
the item no longer applies. Writes resolve at once (`resolve_done`); the sweep
converges whatever was missed.
"""
from sqlalchemy import or_, select, update

from ...extensions import db
from ...models import Alert
from ...models.interruptions import InterruptionEpisode
from ...rules import alert_rules as ar
from ...rules import srh_due as due
from ..alerts import AlertDraft, AlertSpec, raise_alerts, raised_keys
from . import due as facts
from .common import local_midnight

INFANT_PROPHYLAXIS_MISSING = AlertSpec(
    rule_code="ART-05", severity="critical", role="clinician", programme="art",
    message="HIV-exposed infant living with her mother has no prophylaxis recorded.",
    action="Start prophylaxis from birth (NVP 6 weeks if breastfed; 4-6 weeks NVP/AZT if not), "
           "per the national guideline.")
# Keys this module owns (and so may resolve); others' alerts are never touched.
OWNED_PREFIXES = ("SRH-", "BR-03:pregnancy:", "BR-07:child:", "ART-05:child:")
RESOLVED_NOTE = "Done or no longer due (SRH scheduler)."
SUPERSEDED_NOTE = "Now overdue: see the overdue alert (SRH scheduler)."


def _art04(cohort, rules, women_by_id):
    try:
        rule = rules.get("ART-04")
    except KeyError:
        return []
    ids = (cohort.pregnant | cohort.breastfeeding) & cohort.on_art
    out = []
    for chunk in facts._chunks(ids):
        for ep in db.session.scalars(select(InterruptionEpisode).where(
                InterruptionEpisode.patient_id.in_(chunk), InterruptionEpisode.programme == "art",
                InterruptionEpisode.end_on.is_(None),
                InterruptionEpisode.missed_days >= rule.params["min"])):
            state = "Pregnant" if ep.patient_id in cohort.pregnant else "Breastfeeding"
            spec = AlertSpec(rule_code=rule.id, severity=rule.severity, role=rule.role,
                             programme=rule.programme, action=rule.action,
                             custody_message=rule.custody_message,
                             message=f"{state}: ART: {ep.missed_days} consecutive day(s) without a "
                                     f"dose (interruption since {ep.start_on.isoformat()}).")
            patient = women_by_id[ep.patient_id]
            out.append(AlertDraft(spec, patient.id, patient.facility_id, f"{rule.id}:episode:{ep.id}"))
    return out


def conditions(cohort, now, rules):
    """(patient, Condition) for every SRH alert condition met at `now`."""
    limits, specs = facts.deadlines(rules), due.alert_specs()
    out = []
    items = facts.items_of(cohort, now, limits)
    by_patient = {}
    for patient, item in items:
        by_patient.setdefault(patient.id, []).append(item)
        if item.kind == "infant_prophylaxis" and item.status == "overdue":
            s = INFANT_PROPHYLAXIS_MISSING
            out.append((patient, due.Condition(f"ART-05:child:{item.child_id}", s.rule_code,
                                               s.severity, s.role, s.message, s.action)))
    for patient in cohort.patients:
        mine = by_patient.get(patient.id, [])
        out += [(patient, c) for c in due.item_conditions(mine, specs)]
        out += [(patient, c) for c in due.task_conditions(
            cohort.facts[patient.id], now=now, evaluate=ar.evaluate_task_overdue, booking_rules=rules,
            screen_rules=rules, local_midnight=local_midnight(patient))]
    return out


def _draft(patient, c: due.Condition) -> AlertDraft:
    programme = "art" if c.code.startswith("ART-") else "women"
    spec = AlertSpec(rule_code=c.code, severity=c.severity, role=c.role, programme=programme,
                     message=c.message, action=c.action)
    return AlertDraft(spec, patient.id, patient.facility_id, c.key)


def _owned_open_alerts(patient_ids=None):
    """(id, dedup key) of the open alerts this module owns (rows, not ORM objects)."""
    query = select(Alert.id, Alert.dedup_key).where(
        Alert.status.in_(("open", "acknowledged")),
        or_(*[Alert.dedup_key.startswith(p) for p in OWNED_PREFIXES]))
    if patient_ids is None:
        return db.session.execute(query).all()
    out = []
    for chunk in facts._chunks(patient_ids):
        out += db.session.execute(query.where(Alert.patient_id.in_(chunk))).all()
    return out


def _resolve(open_keys, subjects_open, now, patient_ids=None) -> int:
    notes = {}
    for alert_id, key in _owned_open_alerts(patient_ids):
        if key in open_keys:
            continue
        stage_subject = key.split(":", 2)[-1] if key.startswith("SRH-") else None
        superseded = (stage_subject is not None and key.split(":")[1] == "due"
                      and stage_subject in subjects_open)
        notes.setdefault(SUPERSEDED_NOTE if superseded else RESOLVED_NOTE, []).append(alert_id)
    for note, ids in notes.items():
        for chunk in facts._chunks(ids):
            db.session.execute(update(Alert).where(Alert.id.in_(chunk),
                                                   Alert.status.in_(("open", "acknowledged")))
                               .values(status="resolved", resolved_at=now, resolve_note=note)
                               .execution_options(synchronize_session="fetch"))
    return sum(len(ids) for ids in notes.values())


def sync(*, now, patient_ids=None, raise_new=True, rules=None) -> tuple[int, int]:
    """Raise what is due, resolve what is done: (raised, resolved). `patient_ids`:
    only these women (None: every woman in care); `rules`: the alert rule table, if
    the caller has read it already."""
    rules = rules if rules is not None else facts.alert_rule_set()
    women = facts.women_in_care(patient_ids=patient_ids)
    cohort = facts.load_cohort(women, now)
    found = conditions(cohort, now, rules)
    known = raised_keys(db.session, {c.key for _, c in found})   # drafts only for the others
    drafts = [_draft(p, c) for p, c in found if c.key not in known]
    if raise_new:
        drafts += _art04(cohort, rules, {p.id: p for p in women})
    raised = raise_alerts(drafts, now=now) if raise_new else 0
    open_keys = {c.key for _, c in found if c.open}
    subjects = {k.split(":", 2)[-1] for k in open_keys if k.startswith("SRH-")}
    resolved = _resolve(open_keys, subjects, now, patient_ids)
    return raised, resolved


def raise_srh_alerts(*, now) -> int:
    """The srh-alerts job: every SRH condition of every woman in care. Idempotent.
    Incremental from its watermark: only the women whose facts changed since (see
    `changes`); a full pass on its first run, when the local day changed in some
    facility, and when the rule table changes."""
    from .. import sweep_watermark as wm
    from .changes import changed_patients, new_local_day
    rules = facts.alert_rule_set()
    key = wm.keyed("srh-alerts", rules)
    # Not `incremental_since`'s first run of each UTC day as well: the pass at each
    # new local day is this job's daily full pass (0.7-1.1 s at national scale).
    mark = wm.read(db.session, key)
    if mark is not None and (mark.done_at > now or new_local_day(db.session, mark.done_at, now)):
        mark = None
    if mark is None:
        raised, _resolved = sync(now=now, rules=rules)
    else:
        ids = changed_patients(db.session, mark, now)
        raised = sync(now=now, patient_ids=ids, rules=rules)[0] if ids else 0
    wm.finish(db.session, key, now)
    return raised


def resolve_done(patient, *, now) -> int:
    """After a write for her: resolve at once the alerts whose task is now done."""
    return sync(now=now, patient_ids=[patient.id], raise_new=False)[1]

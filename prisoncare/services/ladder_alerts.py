"""Raising the ladders: one alert per rung an interruption episode has reached, and
the lower rungs of each ladder resolved as superseded by the highest one.

Keys: <rule>:episode:<interruption episode id> (the pregnancy rules too). Every rung
reached is raised, and every rung below the highest one reached is resolved as
"superseded by <rule>": the day-3 sweep after a downtime raises days 1, 2 and 3 and
resolves 1 and 2, as hourly sweeps would have, so a late sweep ends in the same state
as punctual ones and the worklist shows one alert per ladder and episode, the current
rung. Closing a rung whose condition ended is ladder_closing's.
"""
from collections import defaultdict

from sqlalchemy import inspect, or_, select

from ..models.interruptions import InterruptionEpisode
from ..models.medication import MedicationOrder
from ..rules import alert_rules as ar
from .alerts import AlertDraft, raised_keys
from .dose_marks import _chunks
from .rule_drafts import programme_label, rule_spec
from .sweep_watermark import ladder_inputs_changed


MAX_LADDER_DAYS = 400


def pregnant_patient_ids(session, patient_ids) -> set[int]:
    """Ongoing pregnancies from the SRH record (issue 6); none until its table exists."""
    try:
        from ..models.srh import Pregnancy
    except ImportError:
        return set()
    if not patient_ids or not inspect(session.get_bind()).has_table(Pregnancy.__tablename__):
        return set()
    out = set()
    for chunk in _chunks(patient_ids):
        out.update(session.scalars(select(Pregnancy.patient_id).where(
            Pregnancy.patient_id.in_(chunk), Pregnancy.status == "ongoing")))
    return out


def _steps(rules, kinds, programme, family, top) -> list[int]:
    """The counts at which a rung can first be reached (the rungs' mins, up to `top`):
    evaluating only those finds the same rungs as counting every day up to `top`."""
    return sorted({r.params["min"] for r in rules if r.kind in kinds
                   and r.applies_to(programme, family) and r.params["min"] <= top})


def ladder_hits(rules, programme, family, missed_days, length_days, pregnant,
                phase=None) -> list[ar.RuleHit]:
    """Every rung reached on the way to these counts, each with the count that first
    reached it (pure). `phase`: the TB treatment phase, for the rungs that name one."""
    rules = tuple(rules)
    found: dict[str, ar.RuleHit] = {}
    for k in _steps(rules, ("missed_consecutive_days", "pregnant_missed"), programme, family,
                    min(missed_days, MAX_LADDER_DAYS)):
        for hit in ar.evaluate_streak(programme, family, k, pregnant, rules, interruption_days=0):
            found.setdefault(hit.rule_id, hit)
    for days in _steps(rules, ("consecutive_interruption_days",), programme, family,
                       min(length_days, MAX_LADDER_DAYS)):
        for hit in ar.evaluate_streak(programme, family, 0, False, rules, interruption_days=days,
                                      phase=phase):
            found.setdefault(hit.rule_id, hit)
    return list(found.values())


def tb_phases(session, episodes) -> dict[int, str]:
    """episode id -> the phase of the TB order in force when the interruption began
    (the latest version started by then; else her first one). Unknown: intensive,
    whose rules are the stricter."""
    tb = [ep for ep in episodes if ep.programme == "tb"]
    orders = defaultdict(list)
    for chunk in _chunks({ep.patient_id for ep in tb}):
        for pid, start_at, phase in session.execute(
                select(MedicationOrder.patient_id, MedicationOrder.start_at, MedicationOrder.phase)
                .where(MedicationOrder.patient_id.in_(chunk), MedicationOrder.programme == "tb")
                .order_by(MedicationOrder.start_at, MedicationOrder.id)):
            orders[pid].append((start_at.date(), phase))
    out = {}
    for ep in tb:
        versions = orders.get(ep.patient_id) or [(None, None)]
        before = [phase for day, phase in versions if day is not None and day <= ep.start_on]
        out[ep.id] = (before[-1] if before else versions[0][1]) or "intensive"
    return out


def _ladder_message(hit, ep) -> str:
    label = programme_label(ep.programme, ep.drug_family)
    since = f"interruption since {ep.start_on.isoformat()}"
    if hit.rule.kind == "consecutive_interruption_days":
        return f"{label} interrupted for {hit.observed} days ({since})."
    prefix = "Pregnant: " if hit.rule.kind == "pregnant_missed" else ""
    return f"{prefix}{label}: {hit.observed} consecutive day(s) without a dose ({since})."


EPISODE_COLUMNS = (InterruptionEpisode.id, InterruptionEpisode.patient_id,
                   InterruptionEpisode.facility_id, InterruptionEpisode.programme,
                   InterruptionEpisode.drug_family, InterruptionEpisode.start_on,
                   InterruptionEpisode.missed_days, InterruptionEpisode.length_days)


def _episodes(session, window_start, since):
    """The episodes of the window (as rows, not ORM objects): all of them for a full
    pass (`since` None), else those whose rungs may have changed since `since`, and
    those of the patients it re-derives in full (`since.recheck`)."""
    recent = or_(InterruptionEpisode.end_on.is_(None), InterruptionEpisode.end_on >= window_start)
    if since is None:
        return session.execute(select(*EPISODE_COLUMNS).where(recent)).all()
    episode_ids, patient_ids = ladder_inputs_changed(session, since)
    rows = {}
    for column, ids in ((InterruptionEpisode.id, episode_ids),
                        (InterruptionEpisode.patient_id, patient_ids)):
        for chunk in _chunks(ids):
            rows.update((r.id, r) for r in session.execute(
                select(*EPISODE_COLUMNS).where(recent, column.in_(chunk))))
    rechecked = since.rechecked(InterruptionEpisode.patient_id)
    if rechecked is not None:
        rows.update((r.id, r) for r in session.execute(
            select(*EPISODE_COLUMNS).where(recent, rechecked)))
    return list(rows.values())


def ladders(session, rules, window_start, since=None):
    """One alert per rung reached per episode, the lower rungs of each ladder resolved
    as superseded. The message names no cause and the alert no cause event: an
    episode's cause can change as it grows (a hospital day outranks an unrecorded
    one), and the episode, not the alert, says it. The rungs are derived once per
    distinct (programme, family, counts, pregnant, phase): a few dozen for thousands
    of episodes."""
    rows = _episodes(session, window_start, since)
    pregnant = pregnant_patient_ids(session, {ep.patient_id for ep in rows})
    phases = tb_phases(session, rows)
    derived = {}
    reached, superseded = [], {}
    for ep in rows:
        key = (ep.programme, ep.drug_family, ep.missed_days, ep.length_days,
               ep.patient_id in pregnant, phases.get(ep.id))
        if key not in derived:
            hits = ladder_hits(rules, *key)
            derived[key] = (hits, [(low.rule_id, top.rule_id) for low, top in ar.superseded(hits)])
        hits, lower = derived[key]
        reached += [(f"{hit.rule_id}:episode:{ep.id}", hit, ep) for hit in hits]
        superseded.update({f"{low}:episode:{ep.id}": f"superseded by {top}" for low, top in lower})
    # messages only for the rungs not yet raised (a full pass finds tens of thousands raised)
    known = raised_keys(session, [k for k, _hit, _ep in reached])
    drafts = [AlertDraft(rule_spec(hit.rule, _ladder_message(hit, ep)), ep.patient_id,
                         ep.facility_id, k) for k, hit, ep in reached if k not in known]
    return drafts, superseded

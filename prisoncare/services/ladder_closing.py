"""Treatment alerts whose condition has ended, and treatment alerts that follow her.

The rules' `closes_on` (alert_rules.toml) says when the sweep resolves an alert of a
treatment rule (ladders, pregnancy, missed in a window) itself, resolved_by empty and
the note saying why:
  interruption_end  the interruption episode it names ended: the programme's dose was
                    given again (the first given dose of the day after its last day);
  release           her custody episode ended by release on or after the day the
                    interruption (or the run of missed doses) began: the release rules
                    take over.
When both apply, the first to happen is named. It is computed from the record, so a
late sweep ends where punctual ones would and a second sweep at the same instant
closes nothing; a closed alert is never raised again (its key stays taken).

A full pass reads every open alert of these rules. An incremental run (the
evaluate-rules watermark) reads only those that can have closed since: an alert can
close only when its episode ends (by the dose given again, or at her release) or
when she is released; so the open alerts of the patients whose episodes changed
since the watermark (the interruptions job stamps them), of those whose pregnancy or
TB phase changed (a rung raised now for an episode ended earlier), and of those with
a release recorded since. The full pass, and the slice of the patients each run
re-derives in full (sweep_watermark's safety net), are the same computation.

On transfer, the open alerts of the treatment rules follow her: their facility becomes
the one she is in now, as her orders and her doses still due do, so the receiving unit
sees the TB restart or the viral load still due. The alert has no history of its own:
the move shows as its facility.
"""
from collections import defaultdict
from datetime import timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select, update

from ..models.alerts import Alert
from ..models.interruptions import InterruptionEpisode
from ..models.medication import DoseAdministration, MedicationOrder, ScheduledDose
from ..models.patients import CustodyEvent, Patient
from ..rules.alert_schema import TREATMENT_KINDS
from .dose_marks import _chunks
from .facility_time import LocalStamp
from .rule_drafts import OPEN, programme_label

UTC = ZoneInfo("UTC")


class Subject(NamedTuple):
    """What an alert is about: an interruption episode, or a run's first missed dose."""
    patient_id: int
    programme: str | None
    drug_family: str | None
    first_day: object              # date: the episode's start, the dose's local day
    last_day: object = None        # date: an ended episode's last day; else None


def _subjects(session, keys) -> dict[str, Subject]:
    """dedup key -> Subject, for the keys naming an episode or a dose (per 2,000)."""
    named: dict[str, dict[int, list[str]]] = {"episode": defaultdict(list),
                                              "dose": defaultdict(list)}
    for key in keys:
        head, _, ident = key.rpartition(":")
        kind = head.rsplit(":", 1)[-1]
        if kind in named and ident.isdigit():
            named[kind][int(ident)].append(key)
    out = {}
    ep = InterruptionEpisode
    for chunk in _chunks(named["episode"]):
        for row in session.execute(select(ep.id, ep.patient_id, ep.programme, ep.drug_family,
                                          ep.start_on, ep.end_on).where(ep.id.in_(chunk))):
            out.update((key, Subject(*row[1:])) for key in named["episode"][row.id])
    for chunk in _chunks(named["dose"]):
        for dose_id, pid, day in session.execute(
                select(ScheduledDose.id, ScheduledDose.patient_id, ScheduledDose.local_date)
                .where(ScheduledDose.id.in_(chunk))):
            out.update((key, Subject(pid, None, None, day)) for key in named["dose"][dose_id])
    return out


def _resumed(session, subjects) -> dict[tuple, tuple]:
    """(patient, programme, day) -> (instant, facility) of the first dose given that
    day, for the day after each ended episode."""
    wanted = {(s.patient_id, s.programme, s.last_day + timedelta(days=1))
              for s in subjects if s.last_day is not None and s.programme}
    out: dict[tuple, tuple] = {}
    for chunk in _chunks({w[0] for w in wanted}):
        members = set(chunk)
        days = sorted({day for pid, _, day in wanted if pid in members})
        for pid, prog, day, given_at, fac_id in session.execute(
                select(ScheduledDose.patient_id, MedicationOrder.programme,
                       ScheduledDose.local_date, DoseAdministration.administered_at,
                       ScheduledDose.facility_id)
                .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
                .join(DoseAdministration, and_(DoseAdministration.dose_id == ScheduledDose.id,
                                               DoseAdministration.voided_at.is_(None),
                                               DoseAdministration.outcome == "given"))
                .where(ScheduledDose.patient_id.in_(chunk), ScheduledDose.local_date.in_(days),
                       ScheduledDose.status == "given",
                       MedicationOrder.programme.in_(sorted({w[1] for w in wanted})))):
            key = (pid, prog, day)
            if key in wanted and (key not in out or given_at < out[key][0]):
                out[key] = (given_at, fac_id)
    return out


def _releases(session, patient_ids, now, zones) -> dict[int, list[tuple]]:
    """patient -> [(local day, instant, facility)] of her releases up to `now`, in order."""
    out = defaultdict(list)
    for chunk in _chunks(patient_ids):
        for pid, released_at, fac_id in session.execute(
                select(CustodyEvent.patient_id, CustodyEvent.occurred_at, CustodyEvent.facility_id)
                .where(CustodyEvent.patient_id.in_(chunk), CustodyEvent.type == "release",
                       CustodyEvent.occurred_at <= now)
                .order_by(CustodyEvent.occurred_at)):
            day = released_at.astimezone(zones.get(fac_id, UTC)).date()
            out[pid].append((day, released_at, fac_id))
    return out


def _may_close(session, codes, since) -> list:
    """(dedup key, rule, facility) of the open alerts of `codes` that may have closed
    since the watermark `since` (all of them when None), and those of the patients
    it re-derives in full: see the module's docstring."""
    query = select(Alert.dedup_key, Alert.rule_code, Alert.facility_id).where(
        Alert.rule_code.in_(codes), Alert.status.in_(OPEN))
    if since is None:
        return session.execute(query).all()
    from .sweep_watermark import ladder_inputs_changed
    episode_ids, patient_ids = ladder_inputs_changed(session, since)
    for chunk in _chunks(episode_ids):
        patient_ids.update(session.scalars(select(InterruptionEpisode.patient_id)
                                           .where(InterruptionEpisode.id.in_(chunk))))
    patient_ids.update(session.scalars(select(CustodyEvent.patient_id).where(
        CustodyEvent.type == "release", CustodyEvent.recorded_at >= since.since)))
    rows = []
    for chunk in _chunks(sorted(patient_ids)):
        rows += session.execute(query.where(Alert.patient_id.in_(chunk))).all()
    rechecked = since.rechecked(Alert.patient_id)
    if rechecked is not None:
        seen = {key for key, _code, _facility in rows}
        rows += [r for r in session.execute(query.where(rechecked)) if r.dedup_key not in seen]
    return rows


def closing_notes(session, rules, now, since=None) -> dict[str, str]:
    """{dedup key: note} of the open alerts whose rule's `closes_on` condition has
    happened by `now`; with `since` (a Watermark), of those that may have closed
    since then only (the others were looked at by the run at `since`)."""
    closes = {r.id: set(r.closes_on) for r in rules if r.closes_on}
    if not closes:
        return {}
    open_ = _may_close(session, tuple(closes), since)
    subjects = _subjects(session, [key for key, _, _ in open_])
    if not subjects:
        return {}
    stamp = LocalStamp(session)
    resumed = _resumed(session, subjects.values())
    releases = _releases(session, {s.patient_id for s in subjects.values()}, now, stamp.zones)
    notes = {}
    for key, code, fac_id in open_:
        s = subjects.get(key)
        if s is None:
            continue
        ended = []
        if "interruption_end" in closes[code] and s.last_day is not None:
            given = resumed.get((s.patient_id, s.programme, s.last_day + timedelta(days=1)))
            if given is not None:
                what = s.drug_family or programme_label(s.programme)
                ended.append((given[0], f"Interruption ended: {what} given "
                                        f"{stamp(given[0], given[1])}."))
        if "release" in closes[code]:
            release = next((r for r in releases.get(s.patient_id, ()) if r[0] >= s.first_day),
                           None)
            if release is not None:
                ended.append((release[1], f"Released {stamp(release[1], release[2] or fac_id)}: "
                                          "continuity is now the release plan's."))
        if ended:
            notes[key] = min(ended)[1]
    return notes


def follow_her(session, rules) -> int:
    """The open alerts of the treatment rules move to the facility she is in now (on
    arrival after a transfer): one UPDATE. Returns how many moved."""
    codes = tuple(r.id for r in rules if r.kind in TREATMENT_KINDS)
    if not codes:
        return 0
    here = select(Patient.facility_id).where(Patient.id == Alert.patient_id).scalar_subquery()
    return session.execute(
        update(Alert).where(Alert.rule_code.in_(codes), Alert.status.in_(OPEN),
                            and_(here.is_not(None), Alert.facility_id.is_distinct_from(here)))
        .values(facility_id=here).execution_options(synchronize_session=False)).rowcount

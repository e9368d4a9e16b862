"""Treatment alerts whose condition has ended (alert_rules.toml `closes_on`): the rungs
about the gap itself close when the dose is given again, the others wait for a person;
all of them close on her release; open ones follow her on transfer; the sweep that
closes them changes nothing when run again and raises nothing again (services, both
databases, controlled clock: FAC-A and FAC-B are in Europe/Kyiv, UTC+2 in March)."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS
from prisoncare.models import Facility
from prisoncare.models.interruptions import InterruptionEpisode
from prisoncare.services import alerts as alert_service
from prisoncare.services import orders, reviews
from tests.factories import admit, build_world, make_patient

from .test_sweep_helpers import (alerts, at, dose, event, forget_the_sweeps, give, on_methadone,
                                 snapshot, staff, sweep)

EVALUATE = [j for j in JOBS if j.id == "evaluate-rules"]
DRUGS = {"methadone": ("ost", "Methadone oral solution"),
         "buprenorphine": ("ost", "Buprenorphine sublingual"),
         "art": ("art", "Tenofovir/lamivudine/dolutegravir"), "tb": ("tb", "Rifampicin/isoniazid"),
         "hcv": ("hcv", "Sofosbuvir/velpatasvir")}
RELEASED = "continuity is now the release plan's."


@pytest.fixture
def w(ctx):
    build_world()
    clock.set_now(at(8, 3))
    return ctx


def state(patient, prefix):
    """{rule: (status, resolve note)} of her alerts whose rule starts with `prefix`;
    a sorted list for a rule raised more than once."""
    out = {}
    for a in alerts(patient):
        if a.rule_code.startswith(prefix):
            out.setdefault(a.rule_code, []).append((a.status, a.resolve_note))
    return {k: v[0] if len(v) == 1 else sorted(v, key=lambda s: (s[0], s[1] or ""))
            for k, v in out.items()}


def ended(what, day):
    return ("resolved", f"Interruption ended: {what} given 2026-03-{day:02d} 08:00 Kyiv time.")


def sup(rule):
    return ("resolved", f"superseded by {rule}")


def released(day, hh_mm):
    return ("resolved", f"Released 2026-03-{day:02d} {hh_mm} Kyiv time: {RELEASED}")


def on(treatment, number="S-1"):
    """Admitted 1 March, on a daily 08:00 (Kyiv) order from 8 March."""
    programme, drug = DRUGS[treatment]
    return on_methadone(number, programme=programme, drug=drug)


def gap(order, missed, first=9):
    """Given on the 8th, nothing from the `first` for `missed` days (a sweep each
    evening); returns the next day, the clock at 09:00 UTC on it."""
    clock.set_now(at(8, 9))
    give(order, 8)
    for day in range(first, first + missed):
        clock.set_now(at(day, 20))
        dose(order, day)
        sweep(at(day, 20))
    clock.set_now(at(first + missed, 9))
    return first + missed


# --------------------------------------------------------------- interruption end

@pytest.mark.parametrize("treatment, prefix, missed, expected", [
    ("methadone", "OST-M", 1, {"OST-M-01": ended("methadone", 10)}),
    ("methadone", "OST-M", 2, {"OST-M-01": sup("OST-M-02"), "OST-M-02": ended("methadone", 11)}),
    ("buprenorphine", "OST-B", 2, {"OST-B-01": ended("buprenorphine", 11)}),   # days 1-2
    ("art", "ART-0", 1, {"ART-01": ended("ART", 10)}),
    # two doses missed in a week: the viral load is still to schedule
    ("art", "ART-0", 2, {"ART-01": ended("ART", 11), "ART-02": ("open", None)}),
    ("tb", "TB-", 1, {"TB-02": ended("TB treatment", 10)}),
    ("hcv", "HCV-", 1, {"HCV-01": ended("HCV treatment", 10)}),
])
def test_a_rung_about_the_gap_closes_when_the_dose_is_given_again(w, treatment, prefix, missed,
                                                                  expected):
    patient, order = on(treatment)
    resumed = gap(order, missed)
    closing = [k for k, (_, note) in expected.items() if note and note.startswith("Interr")]
    assert {k: state(patient, prefix)[k] for k in closing} == {k: ("open", None) for k in closing}
    give(order, resumed)
    sweep(at(resumed, 20))
    assert state(patient, prefix) == expected
    assert {a.resolved_by_id for a in alerts(patient) if a.rule_code in closing} == {None}


def test_a_rung_whose_action_is_still_due_waits_for_a_person(w):
    patient, order = on("methadone")
    resumed = gap(order, 3)
    reviews.record_review(staff("clinician.a"), patient, {
        "programme": "ost", "note": "Seen; half dose today."}, now=clock.now())
    db.session.commit()
    give(order, resumed)
    sweep(at(resumed, 20))
    assert state(patient, "OST-M") == {"OST-M-01": sup("OST-M-02"), "OST-M-02": sup("OST-M-03"),
                                       "OST-M-03": ("open", None)}


def patient_on(treatment, number="L-1"):
    """Admitted 1 March, on a daily 08:00 (Kyiv) order from then."""
    clock.set_now(at(1, 8))
    programme, drug = DRUGS[treatment]
    patient = make_patient(number)
    admit(patient, at=at(1, 7))
    ost = programme == "ost"
    order = orders.create_order(staff("clinician.a"), patient, {
        "programme": programme, "drug": drug, "dose": 60 if ost else 1,
        "unit": "mg" if ost else "tab", "route": "oral",
        "schedule": {"times": ["08:00"]}, "start_at": at(1, 7), "administration": "witnessed"},
        now=clock.now())
    db.session.commit()
    return patient, order


def an_episode(patient, programme, length, end_on=None, start_on=None, family=None):
    """An episode as the interruptions job leaves it (one ended the day before the
    dose given again), for the evaluate-rules job alone."""
    start_on = start_on or end_on - timedelta(days=length - 1)
    episode = InterruptionEpisode(
        patient_id=patient.id, facility_id=patient.facility_id, programme=programme,
        drug_family=family, start_on=start_on, end_on=end_on, length_days=length,
        missed_days=length, missed_doses=length, held_days=0, cause="documentation_gap",
        cause_days={"documentation_gap": length})
    db.session.add(episode)
    db.session.commit()
    return episode


@pytest.mark.parametrize("treatment, length, expected", [
    ("tb", 13, {"TB-02": ended("TB treatment", 20)}),
    ("tb", 14, {"TB-02": sup("TB-01"), "TB-01": ("open", None)}),       # restart: still due
    ("tb", 56, {"TB-02": sup("TB-01"), "TB-01": ("open", None),
                "TB-04": ("open", None)}),                              # the outcome to record
    ("hcv", 7, {"HCV-01": ended("HCV treatment", 20)}),
    ("hcv", 8, {"HCV-01": sup("HCV-02"), "HCV-02": ("open", None)}),    # HCV RNA: still due
    ("hcv", 21, {"HCV-01": sup("HCV-03"), "HCV-02": sup("HCV-03"), "HCV-03": ("open", None)}),
    ("art", 29, {"ART-01": ended("ART", 20), "ART-03": ("open", None)}),   # viral load due
])
def test_calendar_day_ladders_once_the_interruption_ended(w, treatment, length, expected):
    patient, order = patient_on(treatment)
    an_episode(patient, DRUGS[treatment][0], length, end_on=date(2026, 3, 19))
    clock.set_now(at(20, 9))
    give(order, 20)
    sweep(at(20, 20), EVALUATE)
    assert state(patient, DRUGS[treatment][0].upper() + "-") == expected


# ------------------------------------------------------------------------ release

def test_release_closes_every_open_treatment_alert_and_the_release_rules_take_over(w):
    patient, order = on("methadone")
    gap(order, 3)                                        # 9-11 March: M-03, still open
    clock.set_now(at(12, 5))
    event(patient, "release", at(12, 5))                 # 07:00 Kyiv, before the round
    sweep(at(12, 12))
    assert state(patient, "OST-M") == {"OST-M-01": sup("OST-M-02"), "OST-M-02": sup("OST-M-03"),
                                       "OST-M-03": released(12, "07:00")}
    assert state(patient, "OST-R-03") == {"OST-R-03": ("open", None)}   # unplanned


def test_release_closes_a_run_of_missed_art_doses_and_the_ladder(w):
    patient, order = on("art")
    gap(order, 2)
    clock.set_now(at(11, 10))
    event(patient, "release", at(11, 10))
    sweep(at(11, 11))
    assert state(patient, "ART-0") == {"ART-01": released(11, "12:00"),
                                       "ART-02": released(11, "12:00")}


def test_an_earlier_release_does_not_close_the_alerts_of_a_new_custody_episode(w):
    patient, _ = patient_on("art")
    an_episode(patient, "art", 2, end_on=date(2026, 3, 4))
    clock.set_now(at(5, 10))
    event(patient, "release", at(5, 10))
    clock.set_now(at(8, 8))
    admit(patient, at=at(8, 8))
    db.session.commit()
    an_episode(patient, "art", 3, start_on=date(2026, 3, 10))
    sweep(at(12, 20), EVALUATE)
    assert state(patient, "ART-01") == {"ART-01": [("open", None), released(5, "12:00")]}


# ----------------------------------------------------------------------- transfer

def test_open_treatment_alerts_follow_her_to_the_receiving_facility(w):
    patient, order = on("methadone")
    resumed = gap(order, 3)                              # M-03 open at FAC-A
    reviews.record_review(staff("clinician.a"), patient, {
        "programme": "ost", "note": "Seen; half dose today."}, now=clock.now())
    db.session.commit()
    give(order, resumed)                                 # M-03 still wants a person
    fac = {f.code: f.id for f in db.session.scalars(select(Facility))}
    clock.set_now(at(12, 10))
    event(patient, "transfer_out", at(12, 10), to_facility="FAC-B")
    sweep(at(12, 10, 30))

    def where():
        return {a.rule_code: (a.status, a.facility_id) for a in alerts(patient)
                if a.rule_code in ("OST-M-02", "OST-M-03", "OST-T-01")}
    assert where() == {"OST-M-02": ("resolved", fac["FAC-A"]),   # in transit: the sender's
                       "OST-M-03": ("open", fac["FAC-A"]),
                       "OST-T-01": ("open", fac["FAC-A"])}       # left without a handover
    clock.set_now(at(12, 14))
    event(patient, "transfer_in", at(12, 14), facility="FAC-B", ward="M1")
    sweep(at(12, 15))
    assert where() == {"OST-M-02": ("resolved", fac["FAC-A"]),   # closed ones stay put
                       "OST-M-03": ("open", fac["FAC-B"]),       # the review still due
                       "OST-T-01": ("open", fac["FAC-A"])}       # the sender's own task
    seen, _ = alert_service.list_alerts(staff("nurse.b"), patient_id=patient.id, now=clock.now())
    assert "OST-M-03" in {a.rule_code for a in seen}
    seen, _ = alert_service.list_alerts(staff("nurse.a"), patient_id=patient.id, status="open",
                                        now=clock.now())
    assert "OST-M-03" not in {a.rule_code for a in seen}


# -------------------------------------------------------------------- idempotence

def test_closing_twice_at_the_same_instant_changes_nothing_and_nothing_is_raised_again(w):
    patient, order = on("methadone")
    resumed = gap(order, 2)
    give(order, resumed)
    sweep(at(resumed, 20))
    before = snapshot()
    notes = {a.id: (a.status, a.resolved_at, a.resolve_note) for a in alerts(patient)}
    sweep(at(resumed, 20))
    assert snapshot() == before
    assert {a.id: (a.status, a.resolved_at, a.resolve_note) for a in alerts(patient)} == notes
    for day in (resumed + 1, resumed + 2):               # dosed every day from then on
        clock.set_now(at(day, 9))
        give(order, day)
        sweep(at(day, 20))
    assert state(patient, "OST-M") == {"OST-M-01": sup("OST-M-02"),
                                       "OST-M-02": ended("methadone", 11)}


def test_a_late_sweep_ends_where_punctual_ones_did(w):
    patient, order = on("methadone")
    resumed = gap(order, 2)
    give(order, resumed)
    sweep(at(resumed, 20))
    punctual = state(patient, "")
    forget_the_sweeps()
    sweep(at(resumed, 20))
    assert state(patient, "") == punctual


# ------------------------------------------------------- the alert-response indicator

def test_an_alert_the_sweep_closed_counts_as_unanswered(w):
    from prisoncare.services.reports import Scope
    from prisoncare.services.reports.indicators import indicator_rows
    patient, order = patient_on("methadone")
    other, _ = patient_on("art", "L-2")
    episode = an_episode(patient, "ost", 1, start_on=date(2026, 3, 9), family="methadone")
    an_episode(other, "art", 1, start_on=date(2026, 3, 9))
    sweep(at(9, 20), EVALUATE)
    episode.end_on = date(2026, 3, 9)                    # given again on the 10th
    db.session.commit()
    clock.set_now(at(10, 9))
    give(order, 10)
    sweep(at(10, 20), EVALUATE)
    [m01] = [a for a in alerts(patient) if a.rule_code == "OST-M-01"]
    assert (m01.status, m01.resolved_by_id) == ("resolved", None)
    [art01] = [a for a in alerts(other) if a.rule_code == "ART-01"]
    alert_service.resolve(staff("nurse.a"), art01, "Asked: she was at a visit.", now=at(10, 21))
    db.session.commit()
    rows = {i["id"]: i for i in indicator_rows(Scope(date(2026, 3, 1), date(2026, 3, 10), None),
                                               ("sex",), at(10, 22))}
    total = rows["alert_response_hours"]["total"]
    # every alert of the period but the one a person answered (25 h after it opened)
    assert (total["denominator"], total["value"]) == (1, 25.0)
    assert total["outstanding"] == len(alerts()) - 1


def test_a_routine_run_reads_only_the_alerts_that_can_have_closed(w, monkeypatch):
    """The incremental evaluate-rules run looks only at the open alerts of women whose
    episode changed or who were released since it last ran, and ends where a full pass
    would."""
    from prisoncare.services import ladder_closing, sweep_watermark
    from .test_sweep_incremental_alerts import full_pass_changes
    kept, dosed, released_ = (on_methadone(n) for n in ("S-1", "S-2", "S-3"))
    clock.set_now(at(11, 0, 20))
    for _, order in (kept, dosed, released_):
        give(order, 8)
        give(order, 9)
    sweep(at(11, 0, 30))                         # the 10th missed by all three: OST-M-01 each
    # the safety net's slice of patients re-derived in full aside (test_sweep_safety_net)
    monkeypatch.setattr(sweep_watermark, "recheck_slices", lambda mark, now: ())
    assert [a.status for a in alerts() if a.rule_code == "OST-M-01"] == ["open"] * 3
    read = []

    def spy(session, codes, since):
        rows = real(session, codes, since)
        read.append({a.patient_id for a in alerts() if a.dedup_key in {r[0] for r in rows}})
        return rows
    real = ladder_closing._may_close
    monkeypatch.setattr(ladder_closing, "_may_close", spy)
    clock.set_now(at(11, 6, 10))
    give(dosed[1], 11)                           # dosed again: her episode ends
    sweep(at(11, 6, 15))
    clock.set_now(at(11, 6, 20))
    event(released_[0], "release", at(11, 6, 20), release_from="facility")
    sweep(at(11, 6, 30))
    assert read == [{dosed[0].id}, {released_[0].id}]
    assert state(kept[0], "OST-M") == {"OST-M-01": ("open", None)}
    assert state(dosed[0], "OST-M") == {"OST-M-01": ended("methadone", 11)}
    assert state(released_[0], "OST-M") == {"OST-M-01": released(11, "08:20")}
    monkeypatch.setattr(ladder_closing, "_may_close", real)
    assert not full_pass_changes(at(11, 6, 30))

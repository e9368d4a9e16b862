"""Recording custody events: the snapshot on Patient, and every refusal writing nothing."""
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from prisoncare import clock
from prisoncare.errors import Conflict, InvalidTransition, PermissionDenied, ValidationFailed
from prisoncare.extensions import db
from prisoncare.models import AuditEntry, CustodyEpisode, CustodyEvent, Patient
from prisoncare.rules.custody_transitions import PLANNED_EVENTS
from prisoncare.services import custody, users
from tests.conftest import NOW
from tests.factories import SYSTEM, admit, make_facility, make_patient

H = timedelta(hours=1)
D = timedelta(days=1)


@pytest.fixture
def w(ctx, world):
    """An app context with the two-facility world."""
    return world


def record(patient, actor=SYSTEM, **data):
    return custody.record_event(actor, patient, data, now=clock.now())


def snapshot(patient):
    """The custody snapshot on Patient, with codes instead of ids."""
    return dict(
        status=patient.custody_status,
        facility=patient.facility.code if patient.facility else None,
        ward=patient.ward.code if patient.ward else None,
        to_facility=patient.to_facility.code if patient.to_facility else None,
        legal_status=patient.legal_status,
        expected_release_on=patient.expected_release_on,
        next_court_at=patient.next_court_at,
        planned_transfer_at=patient.planned_transfer_at,
    )


def reloaded(patient_id):
    db.session.commit()
    db.session.expire_all()
    return db.session.get(Patient, patient_id)


def state(patient_id):
    """Row counts and the patient's snapshot columns, as the database (and the
    session, which autoflushes) sees them."""
    counts = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
              for model in (CustodyEvent, CustodyEpisode, AuditEntry)}
    p = db.session.get(Patient, patient_id)
    columns = (p.custody_status, p.facility_id, p.ward_id, p.to_facility_id, p.legal_status,
               p.expected_release_on, p.next_court_at, p.planned_transfer_at)
    return counts, columns


def refused(patient, error, actor=SYSTEM, **data):
    """Record an event that must be refused with `error`; check that nothing was
    written or changed, before and after the rollback the view does."""
    db.session.commit()
    pid = patient.id
    before = state(pid)
    with pytest.raises(error) as raised:
        custody.record_event(actor, patient, data, now=clock.now())
    assert not db.session.new, "a refused event left objects in the session"
    assert state(pid) == before, "a refused event changed something (before rollback)"
    db.session.rollback()
    assert state(pid) == before, "a refused event changed something (after rollback)"
    return raised.value


# Minimal valid data per event type (for a patient in a status that allows it).
def valid(etype, at=None):
    data = dict(type=etype, occurred_at=at or NOW - H)
    if etype == "admission":
        data.update(facility="FAC-A", ward="A", legal_status="pretrial")
    elif etype in PLANNED_EVENTS:
        data.update(expected_at=NOW + 2 * D)
        if etype == "transfer_scheduled":
            data["to_facility"] = "FAC-B"
    elif etype == "transfer_out":
        data["to_facility"] = "FAC-B"
    elif etype == "transfer_in":
        data.update(facility="FAC-B", ward="M1")
    elif etype == "sentenced":
        data["legal_status"] = "sentenced"
    return data


def patient_in(status, number="P-1"):
    """A patient (registered at FAC-A) in `status`, the last event 2 days ago."""
    patient = make_patient(number)
    if status != "never_admitted":
        admit(patient, at=NOW - 3 * D)
        step = {"out_at_court": "court_out", "out_at_hospital": "hospital_out",
                "in_transfer": "transfer_out", "released": "release"}.get(status)
        if step:
            record(patient, **valid(step, at=NOW - 2 * D))
    db.session.commit()
    assert patient.custody_status == status
    return patient


# --- happy paths and the snapshot ---------------------------------------------------

def test_a_whole_episode_keeps_the_snapshot_in_step(w):
    patient = make_patient()
    pid = patient.id
    assert snapshot(patient)["status"] == "never_admitted"
    start = NOW - 6 * D
    base = dict(status="in_custody", facility="FAC-A", ward="A", to_facility=None,
                legal_status="pretrial", expected_release_on=None, next_court_at=None,
                planned_transfer_at=None)
    steps = [
        (dict(type="admission", occurred_at=start, facility="FAC-A", ward="A",
              legal_status="pretrial"), {}),
        (dict(type="court_scheduled", occurred_at=start + D, expected_at=start + 2 * D),
         dict(next_court_at=start + 2 * D)),
        (dict(type="court_out", occurred_at=start + 2 * D),
         dict(status="out_at_court", next_court_at=None)),
        # 2026-09-20T22:30Z is already 21 September in Kyiv (UTC+3 in summer).
        (dict(type="sentenced", occurred_at=start + 2 * D + 2 * H, legal_status="sentenced",
              expected_at=datetime(2026, 9, 20, 22, 30, tzinfo=timezone.utc)),
         dict(status="out_at_court", legal_status="sentenced",
              expected_release_on=date(2026, 9, 21))),
        (dict(type="court_return", occurred_at=start + 2 * D + 5 * H), dict(status="in_custody")),
        (dict(type="hospital_out", occurred_at=start + 3 * D), dict(status="out_at_hospital")),
        (dict(type="hospital_return", occurred_at=start + 4 * D), dict(status="in_custody")),
        (dict(type="transfer_scheduled", occurred_at=start + 4 * D + H,
              expected_at=start + 5 * D, to_facility="FAC-B"),
         dict(planned_transfer_at=start + 5 * D)),
        (dict(type="transfer_out", occurred_at=start + 5 * D, to_facility="FAC-B"),
         dict(status="in_transfer", ward=None, to_facility="FAC-B")),
        (dict(type="transfer_in", occurred_at=start + 5 * D + 6 * H, facility="FAC-B", ward="M1"),
         dict(status="in_custody", facility="FAC-B", ward="M1", to_facility=None,
              planned_transfer_at=None)),
        # 2026-03-20T22:30Z is 21 March in Kyiv (UTC+2 in winter), not 20 March.
        (dict(type="release_scheduled", occurred_at=NOW - 12 * H,
              expected_at=datetime(2026, 3, 20, 22, 30, tzinfo=timezone.utc)),
         dict(expected_release_on=date(2026, 3, 21))),
        (dict(type="release", occurred_at=NOW - H), dict(status="released", ward=None)),
    ]
    expected = dict(base)
    status_before = "never_admitted"
    for seq, (data, changes) in enumerate(steps, start=1):
        event = record(db.session.get(Patient, pid), **data)
        assert event.seq == seq
        assert event.status_before == status_before
        expected.update(changes)
        assert event.status_after == expected["status"]
        status_before = expected["status"]
        patient = reloaded(pid)
        assert snapshot(patient) == expected, data["type"]

    events = custody.timeline(patient)
    assert [e.type for e in events] == [d["type"] for d, _ in steps]
    assert events[-1].release_from == "facility"
    episode = custody.current_episode(patient)
    assert episode.admitted_at == start
    assert episode.released_at == NOW - H
    assert episode.release_from == "facility"
    assert db.session.scalar(select(func.count()).select_from(CustodyEpisode)) == 1


def test_expected_release_is_the_local_date_of_the_facility(w):
    make_facility("FAC-NY", timezone="America/New_York", wards=("N1",))
    patient = make_patient()
    admit(patient, facility="FAC-NY", ward="N1", at=NOW - D)
    # 02:00Z on 21 March is still 20 March in New York (UTC-4 after 8 March).
    record(patient, type="release_scheduled",
           expected_at=datetime(2026, 3, 21, 2, 0, tzinfo=timezone.utc))
    assert reloaded(patient.id).expected_release_on == date(2026, 3, 20)


def test_a_planned_event_defaults_its_occurred_at_to_now(w):
    patient = patient_in("in_custody")
    event = record(patient, type="court_scheduled", expected_at=NOW + 3 * D)
    assert event.occurred_at == NOW
    assert reloaded(patient.id).next_court_at == NOW + 3 * D


def test_an_adjourned_hearing_moves_the_next_court_date_while_at_court(w):
    patient = patient_in("out_at_court")
    record(patient, type="court_scheduled", occurred_at=NOW - H, expected_at=NOW + 7 * D)
    p = reloaded(patient.id)
    assert p.custody_status == "out_at_court"
    assert p.next_court_at == NOW + 7 * D


def test_admission_after_release_opens_a_second_episode(w):
    patient = patient_in("released")
    first = custody.current_episode(patient)
    record(patient, type="admission", occurred_at=NOW - H, facility="FAC-B", ward="M1",
           legal_status="sentenced")
    p = reloaded(patient.id)
    episodes = db.session.scalars(select(CustodyEpisode).where(
        CustodyEpisode.patient_id == p.id).order_by(CustodyEpisode.admitted_at)).all()
    assert len(episodes) == 2
    assert episodes[0].id == first.id and episodes[0].released_at == NOW - 2 * D
    second = custody.current_episode(p)
    assert second.id == episodes[1].id and second.released_at is None
    assert second.facility_id == w.fac_b_id and second.admitted_at == NOW - H
    assert [e.seq for e in second.events] == [1]
    assert snapshot(p) == dict(status="in_custody", facility="FAC-B", ward="M1", to_facility=None,
                               legal_status="sentenced", expected_release_on=None,
                               next_court_at=None, planned_transfer_at=None)


def test_timeline_spans_episodes_oldest_first(w):
    patient = patient_in("released")
    record(patient, **valid("admission", at=NOW - H))
    types = [e.type for e in custody.timeline(reloaded(patient.id))]
    assert types == ["admission", "release", "admission"]


@pytest.mark.parametrize("given_from", [None, "court"])
def test_release_from_court_is_recorded_as_from_court(w, given_from):
    patient = patient_in("out_at_court")
    data = dict(type="release", occurred_at=NOW - H)
    if given_from:
        data["release_from"] = given_from
    event = record(patient, **data)
    assert event.release_from == "court"
    p = reloaded(patient.id)
    assert p.custody_status == "released"
    episode = custody.current_episode(p)
    assert episode.release_from == "court" and episode.released_at == NOW - H


def test_release_from_hospital_is_recorded_as_from_hospital(w):
    patient = patient_in("out_at_hospital")
    assert record(patient, type="release", occurred_at=NOW - H).release_from == "hospital"


def test_a_late_but_in_order_event_is_accepted(w):
    patient = make_patient()
    admit(patient, at=NOW - 3 * D)
    event = record(patient, type="court_out", occurred_at=NOW - 2 * D)  # two days late
    assert event.occurred_at == NOW - 2 * D and event.recorded_at == NOW
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.entity == "custody_event",
                                                       AuditEntry.entity_id == event.id))
    assert entry.detail["late"] is True
    # Same instant as the last recorded event is still in order.
    record(patient, type="court_return", occurred_at=NOW - 2 * D)
    assert reloaded(patient.id).custody_status == "in_custody"


def test_an_event_a_little_ahead_of_our_clock_is_accepted(w):
    patient = patient_in("in_custody")
    record(patient, type="court_out", occurred_at=NOW + timedelta(minutes=1))
    assert reloaded(patient.id).custody_status == "out_at_court"


def test_an_audit_entry_is_written_for_each_event(w):
    officer = users.get_user("custody.a")
    patient = make_patient()
    db.session.commit()
    events = [
        record(patient, officer, **valid("admission", at=NOW - 2 * D)),
        record(patient, officer, **valid("court_scheduled", at=NOW - D)),
        record(patient, officer, **valid("court_out", at=NOW - 2 * H)),
    ]
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.entity == "custody_event")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.entity_id, e.patient_id, e.user_id, e.username, e.at) for e in entries] == [
        (f"custody_event.{ev.type}", ev.id, patient.id, officer.id, "custody.a", NOW)
        for ev in events]
    assert [ev.recorded_by_id for ev in events] == [officer.id] * 3


def test_a_custody_officer_admits_into_their_own_facility(w):
    officer = users.get_user("custody.b")
    patient = make_patient(facility="FAC-B", sex="male")
    event = record(patient, officer, type="admission", occurred_at=NOW - H, facility="FAC-B",
                   ward="M1", legal_status="pretrial")
    assert event.recorded_by_id == officer.id
    assert reloaded(patient.id).custody_status == "in_custody"


# --- refusals write nothing -----------------------------------------------------------

IMPOSSIBLE = [
    ("never_admitted", "court_out", "has never been admitted"),
    ("never_admitted", "release", "has never been admitted"),
    ("in_custody", "admission", "is in custody"),
    ("in_custody", "court_return", "is in custody"),
    ("in_custody", "hospital_return", "is in custody"),
    ("in_custody", "transfer_in", "is in custody"),
    ("out_at_court", "hospital_out", "is out at court"),
    ("out_at_court", "admission", "is out at court"),
    ("out_at_hospital", "court_return", "is out at hospital"),
    ("in_transfer", "release", "is in transfer"),
    ("in_transfer", "admission", "is in transfer"),
    ("released", "court_out", "has been released"),
    ("released", "release", "has been released"),
    ("released", "court_scheduled", "has been released"),
    ("released", "transfer_in", "has been released"),
]


@pytest.mark.parametrize(("status", "etype", "words"), IMPOSSIBLE,
                         ids=[f"{s}-{e}" for s, e, _ in IMPOSSIBLE])
def test_an_impossible_sequence_is_refused_naming_the_current_status(w, status, etype, words):
    patient = patient_in(status)
    err = refused(patient, InvalidTransition, **valid(etype))
    assert err.code == "invalid_custody_transition" and err.status == 409
    assert words in err.message
    assert err.detail == {"current_status": status}


@pytest.mark.parametrize(("status", "given_from"), [
    ("in_custody", "court"), ("in_custody", "hospital"),
    ("out_at_court", "facility"), ("out_at_court", "hospital"),
    ("out_at_hospital", "facility"), ("out_at_hospital", "court"),
])
def test_a_release_from_that_contradicts_the_status_is_refused(w, status, given_from):
    patient = patient_in(status)
    err = refused(patient, InvalidTransition, type="release", occurred_at=NOW - H,
                  release_from=given_from)
    assert f"release from {given_from}" in err.message


ACTUAL_EVENTS = [
    ("never_admitted", "admission"), ("in_custody", "court_out"), ("out_at_court", "court_return"),
    ("in_custody", "sentenced"), ("in_custody", "transfer_out"), ("in_transfer", "transfer_in"),
    ("in_custody", "hospital_out"), ("out_at_hospital", "hospital_return"),
    ("in_custody", "release"),
]


@pytest.mark.parametrize(("status", "etype"), ACTUAL_EVENTS, ids=[e for _, e in ACTUAL_EVENTS])
def test_an_actual_event_dated_in_the_future_is_refused(w, status, etype):
    patient = patient_in(status)
    err = refused(patient, ValidationFailed, **valid(etype, at=NOW + H))
    assert list(err.fields) == ["occurred_at"]
    assert err.status == 422


@pytest.mark.parametrize(("status", "etype"), ACTUAL_EVENTS, ids=[e for _, e in ACTUAL_EVENTS])
def test_an_actual_event_needs_occurred_at(w, status, etype):
    patient = patient_in(status)
    data = valid(etype)
    del data["occurred_at"]
    err = refused(patient, ValidationFailed, **data)
    assert "occurred_at" in err.fields


MISSING = [
    ("never_admitted", "admission", "facility"),
    ("never_admitted", "admission", "legal_status"),
    ("in_custody", "court_scheduled", "expected_at"),
    ("in_custody", "transfer_scheduled", "expected_at"),
    ("in_custody", "transfer_scheduled", "to_facility"),
    ("in_custody", "release_scheduled", "expected_at"),
    ("in_custody", "transfer_out", "to_facility"),
    ("in_transfer", "transfer_in", "facility"),
]


@pytest.mark.parametrize(("status", "etype", "field"), MISSING,
                         ids=[f"{e}-without-{f}" for _, e, f in MISSING])
def test_a_missing_required_field_is_refused_naming_it(w, status, etype, field):
    patient = patient_in(status)
    data = valid(etype)
    del data[field]
    if field == "facility":
        data.pop("ward", None)  # a ward alone would add its own error
    err = refused(patient, ValidationFailed, **data)
    assert list(err.fields) == [field]


def test_every_missing_field_is_reported_at_once(w):
    patient = patient_in("never_admitted")
    err = refused(patient, ValidationFailed, type="admission")
    assert set(err.fields) == {"facility", "legal_status", "occurred_at"}


UNKNOWN = [
    ("never_admitted", dict(type="admission", facility="NOPE", legal_status="pretrial"), "facility"),
    ("never_admitted", dict(type="admission", facility="FAC-A", ward="Z", legal_status="pretrial"),
     "ward"),
    # M1 is a ward of FAC-B, not of FAC-A.
    ("never_admitted", dict(type="admission", facility="FAC-A", ward="M1", legal_status="pretrial"),
     "ward"),
    ("in_custody", dict(type="transfer_out", to_facility="NOPE"), "to_facility"),
    ("in_custody", dict(type="transfer_scheduled", to_facility="NOPE", expected_at=NOW + D),
     "to_facility"),
    ("in_transfer", dict(type="transfer_in", facility="NOPE"), "facility"),
    ("in_transfer", dict(type="transfer_in", facility="FAC-B", ward="A"), "ward"),
]


@pytest.mark.parametrize(("status", "data", "field"), UNKNOWN,
                         ids=[f"{d['type']}-{f}-{i}" for i, (_, d, f) in enumerate(UNKNOWN)])
def test_an_unknown_facility_or_ward_is_refused_naming_the_field(w, status, data, field):
    patient = patient_in(status)
    err = refused(patient, ValidationFailed, occurred_at=NOW - H, **data)
    assert list(err.fields) == [field]


def test_sentencing_to_another_legal_status_is_refused(w):
    patient = patient_in("in_custody")
    err = refused(patient, ValidationFailed, type="sentenced", occurred_at=NOW - H,
                  legal_status="pretrial")
    assert list(err.fields) == ["legal_status"]


def test_a_plan_expected_before_it_was_made_is_refused(w):
    patient = patient_in("in_custody")
    err = refused(patient, ValidationFailed, type="court_scheduled", occurred_at=NOW - H,
                  expected_at=NOW - 2 * H)
    assert list(err.fields) == ["expected_at"]


def test_a_plan_without_occurred_at_expected_in_the_past_is_refused_too(w):
    patient = patient_in("in_custody")
    err = refused(patient, ValidationFailed, type="court_scheduled", expected_at=NOW - 2 * H)
    assert list(err.fields) == ["expected_at"]


def test_an_out_of_order_late_event_is_refused(w):
    patient = make_patient()
    admit(patient, at=NOW - 3 * D)
    record(patient, type="court_out", occurred_at=NOW - 2 * H)
    err = refused(patient, Conflict, type="court_return", occurred_at=NOW - 3 * H)
    assert err.code == "out_of_order" and err.status == 409
    assert "occurred_at" in err.fields


def test_a_plan_recorded_now_does_not_block_a_late_entry_for_yesterday(w):
    patient = make_patient()
    admit(patient, at=NOW - 3 * D)
    record(patient, type="court_scheduled", expected_at=NOW + 5 * D)  # dated now
    record(patient, type="court_out", occurred_at=NOW - D)
    record(patient, type="court_return", occurred_at=NOW - D + 6 * H)
    p = reloaded(patient.id)
    assert p.custody_status == "in_custody"
    assert [e.type for e in custody.timeline(p)] == [
        "admission", "court_out", "court_return", "court_scheduled"]


def test_a_plan_dated_before_the_admission_is_out_of_order(w):
    patient = make_patient()
    admit(patient, at=NOW - D)
    err = refused(patient, Conflict, type="court_scheduled", occurred_at=NOW - 2 * D,
                  expected_at=NOW + D)
    assert err.code == "out_of_order"


def test_an_event_before_the_admission_is_out_of_order(w):
    patient = make_patient()
    admit(patient, at=NOW - D)
    err = refused(patient, Conflict, type="court_out", occurred_at=NOW - 2 * D)
    assert err.code == "out_of_order"


def test_an_admission_dated_before_the_last_release_is_out_of_order(w):
    patient = patient_in("released")  # released 2 days ago
    err = refused(patient, Conflict, **valid("admission", at=NOW - 3 * D))
    assert err.code == "out_of_order"


def test_a_plan_dated_in_the_future_does_not_block_the_timeline(w):
    patient = patient_in("in_custody")
    record(patient, type="court_scheduled", occurred_at=NOW + 5 * D, expected_at=NOW + 6 * D)
    db.session.commit()
    record(patient, type="court_out", occurred_at=NOW)  # what actually happened, now
    db.session.commit()
    assert [e.type for e in custody.timeline(patient)] == ["admission", "court_out", "court_scheduled"]
    assert patient.custody_status == "out_at_court"


def test_a_custody_officer_cannot_admit_into_another_facility(w):
    officer = users.get_user("custody.b")
    patient = make_patient()
    err = refused(patient, PermissionDenied, officer, type="admission", occurred_at=NOW - H,
                  facility="FAC-A", ward="A", legal_status="pretrial")
    assert err.status == 403


def test_a_custody_officer_cannot_receive_a_transfer_into_another_facility(w):
    officer = users.get_user("custody.b")
    patient = patient_in("in_transfer")  # from FAC-A to FAC-B
    refused(patient, PermissionDenied, officer, type="transfer_in", occurred_at=NOW - H,
            facility="FAC-A", ward="A")
    # ...but can receive them into FAC-B, where they work.
    record(patient, officer, **valid("transfer_in"))
    assert reloaded(patient.id).facility_id == w.fac_b_id


def test_a_transfer_to_her_own_facility_is_refused(w):
    patient = patient_in("in_custody")
    err = refused(patient, ValidationFailed, type="transfer_out", occurred_at=NOW - H,
                  to_facility="FAC-A")
    assert list(err.fields) == ["to_facility"]

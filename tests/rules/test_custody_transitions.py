"""The custody transition table, tested as a table.

EXPECTED below is written out independently of TRANSITIONS, from the domain
(docs/domain.md: return without being out, admission while in custody and
events after release are refused) and the contract (docs/api.md). It holds a
row for EVERY (status, event type) pair, so adding or removing a row in
TRANSITIONS without updating this table fails.
"""
import pytest

from prisoncare.rules.custody_transitions import (
    EVENT_TYPES,
    RELEASE_FROM,
    STATUSES,
    STATUS_WORDS,
    TRANSITIONS,
    TransitionRefused,
    allowed_events,
    transition,
)

X = "refused"

# Columns, in this order:
COLUMNS = ("admission", "court_scheduled", "court_out", "court_return", "sentenced",
           "transfer_scheduled", "transfer_out", "transfer_in", "hospital_out",
           "hospital_return", "release_scheduled", "release")

# status before -> the status after each event in COLUMNS, or X.
ROWS = {
    #                 admission      court_sch         court_out       court_ret     sentenced
    #                 transfer_sch   transfer_out      transfer_in     hospital_out  hospital_ret
    #                 release_sch    release
    "never_admitted": ("in_custody", X, X, X, X,
                       X, X, X, X, X,
                       X, X),
    "in_custody":     (X, "in_custody", "out_at_court", X, "in_custody",
                       "in_custody", "in_transfer", X, "out_at_hospital", X,
                       "in_custody", "released"),
    "out_at_court":   (X, "out_at_court", X, "in_custody", "out_at_court",
                       X, X, X, X, X,
                       "out_at_court", "released"),
    "out_at_hospital": (X, "out_at_hospital", X, X, X,
                        X, X, X, X, "in_custody",
                        "out_at_hospital", "released"),
    "in_transfer":    (X, X, X, X, X,
                       X, X, "in_custody", X, X,
                       X, X),
    "released":       ("in_custody", X, X, X, X,
                       X, X, X, X, X,
                       X, X),
}

EXPECTED = {(status, event): row[i] for status, row in ROWS.items()
            for i, event in enumerate(COLUMNS)}

# Where a release leaves from, given where the person is.
RELEASE_PLACE = {"in_custody": "facility", "out_at_court": "court",
                 "out_at_hospital": "hospital"}

ALL_PAIRS = [(s, e) for s in STATUSES for e in EVENT_TYPES]


def test_the_expectation_covers_every_status_and_event_type():
    assert set(ROWS) == set(STATUSES)
    assert set(COLUMNS) == set(EVENT_TYPES) and len(COLUMNS) == len(EVENT_TYPES)
    assert all(len(row) == len(COLUMNS) for row in ROWS.values())
    assert set(EXPECTED) == set(ALL_PAIRS)


def test_transitions_holds_exactly_the_allowed_pairs():
    allowed = {pair: after for pair, after in EXPECTED.items() if after != X}
    assert TRANSITIONS == allowed


@pytest.mark.parametrize(("status", "event"), ALL_PAIRS, ids=[f"{s}-{e}" for s, e in ALL_PAIRS])
def test_transition(status, event):
    expected = EXPECTED[(status, event)]
    if expected == X:
        with pytest.raises(TransitionRefused) as refused:
            transition(status, event)
        assert refused.value.status == status
        assert refused.value.event_type == event
        assert STATUS_WORDS[status] in refused.value.message  # names the current status
        assert event.replace("_", " ") in refused.value.message
    else:
        step = transition(status, event)
        assert step.status_after == expected
        if event == "release":
            assert step.release_from == RELEASE_PLACE[status]
        else:
            assert step.release_from is None


RELEASE_CASES = [(s, f) for s in RELEASE_PLACE for f in RELEASE_FROM]


@pytest.mark.parametrize(("status", "release_from"), RELEASE_CASES,
                         ids=[f"{s}-from-{f}" for s, f in RELEASE_CASES])
def test_release_from_must_match_where_the_person_is(status, release_from):
    if release_from == RELEASE_PLACE[status]:
        step = transition(status, "release", release_from)
        assert step.status_after == "released"
        assert step.release_from == release_from
    else:
        with pytest.raises(TransitionRefused) as refused:
            transition(status, "release", release_from)
        assert f"release from {release_from}" in refused.value.message
        assert STATUS_WORDS[status] in refused.value.message


def test_release_without_from_takes_the_place_from_the_status():
    assert transition("out_at_court", "release").release_from == "court"
    assert transition("out_at_hospital", "release").release_from == "hospital"
    assert transition("in_custody", "release").release_from == "facility"


@pytest.mark.parametrize("release_from", RELEASE_FROM)
def test_release_while_in_transfer_is_refused_whatever_the_from(release_from):
    with pytest.raises(TransitionRefused):
        transition("in_transfer", "release", release_from)


@pytest.mark.parametrize("status", STATUSES)
def test_allowed_events_lists_the_allowed_column_in_timeline_order(status):
    expected = [e for e in COLUMNS if EXPECTED[(status, e)] != X]
    assert allowed_events(status) == expected


def test_allowed_events_spot_checks():
    assert allowed_events("never_admitted") == ["admission"]
    assert allowed_events("released") == ["admission"]
    assert allowed_events("in_transfer") == ["transfer_in"]
    assert "admission" not in allowed_events("in_custody")
    assert "court_return" not in allowed_events("in_custody")
    assert "hospital_return" not in allowed_events("out_at_court")


def test_every_status_word_is_defined():
    assert set(STATUS_WORDS) == set(STATUSES)

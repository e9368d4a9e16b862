"""The custody timeline as data: which event may follow which status, and what it
leads to. A reviewer reads TRANSITIONS top to bottom; anything not listed is
refused. Pure: no Flask, no database.
"""
from dataclasses import dataclass

STATUSES = ("never_admitted", "in_custody", "out_at_court", "out_at_hospital",
            "in_transfer", "released")

EVENT_TYPES = (
    "admission", "court_scheduled", "court_out", "court_return", "sentenced",
    "transfer_scheduled", "transfer_out", "transfer_in", "hospital_out",
    "hospital_return", "release_scheduled", "release",
)
PLANNED_EVENTS = ("court_scheduled", "transfer_scheduled", "release_scheduled")
RELEASE_FROM = ("facility", "court", "hospital")

# (status before, event type) -> status after. `release` rows also fix where the
# person was released from: a release from court is the unplanned, dangerous one.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("never_admitted", "admission"): "in_custody",
    ("released", "admission"): "in_custody",

    ("in_custody", "court_scheduled"): "in_custody",
    ("in_custody", "transfer_scheduled"): "in_custody",
    ("in_custody", "release_scheduled"): "in_custody",
    ("in_custody", "sentenced"): "in_custody",
    ("in_custody", "court_out"): "out_at_court",
    ("in_custody", "hospital_out"): "out_at_hospital",
    ("in_custody", "transfer_out"): "in_transfer",
    ("in_custody", "release"): "released",

    ("out_at_court", "court_return"): "in_custody",
    ("out_at_court", "sentenced"): "out_at_court",
    ("out_at_court", "court_scheduled"): "out_at_court",   # hearing adjourned to a new date
    ("out_at_court", "release_scheduled"): "out_at_court",
    ("out_at_court", "release"): "released",

    ("out_at_hospital", "hospital_return"): "in_custody",
    ("out_at_hospital", "court_scheduled"): "out_at_hospital",
    ("out_at_hospital", "release_scheduled"): "out_at_hospital",
    ("out_at_hospital", "release"): "released",

    ("in_transfer", "transfer_in"): "in_custody",
}

RELEASED_FROM_STATUS = {
    "in_custody": "facility",
    "out_at_court": "court",
    "out_at_hospital": "hospital",
}

# Fields each event type needs besides `type` and `occurred_at`.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "admission": ("facility", "legal_status"),
    "court_scheduled": ("expected_at",),
    "transfer_scheduled": ("expected_at", "to_facility"),
    "release_scheduled": ("expected_at",),
    "transfer_out": ("to_facility",),
    "transfer_in": ("facility",),
}

STATUS_WORDS = {
    "never_admitted": "has never been admitted",
    "in_custody": "is in custody",
    "out_at_court": "is out at court",
    "out_at_hospital": "is out at hospital",
    "in_transfer": "is in transfer",
    "released": "has been released",
}


@dataclass(frozen=True)
class Transition:
    status_after: str
    release_from: str | None = None


class TransitionRefused(Exception):
    def __init__(self, status: str, event_type: str, message: str):
        super().__init__(message)
        self.status = status
        self.event_type = event_type
        self.message = message


def transition(status: str, event_type: str, release_from: str | None = None) -> Transition:
    """The status an event leads to from `status`, or TransitionRefused."""
    after = TRANSITIONS.get((status, event_type))
    if after is None:
        raise TransitionRefused(
            status, event_type,
            f"A {event_type.replace('_', ' ')} cannot be recorded: the patient "
            f"{STATUS_WORDS[status]}.",
        )
    if event_type != "release":
        return Transition(after)
    actual_from = RELEASED_FROM_STATUS[status]
    if release_from is not None and release_from != actual_from:
        raise TransitionRefused(
            status, event_type,
            f"A release from {release_from} cannot be recorded: the patient "
            f"{STATUS_WORDS[status]}.",
        )
    return Transition(after, actual_from)


def allowed_events(status: str) -> list[str]:
    """Event types that may follow `status`, in timeline order (for forms)."""
    return [e for e in EVENT_TYPES if (status, e) in TRANSITIONS]

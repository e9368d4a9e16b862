"""What is to happen to a dose due while she is away at court or in transfer (issue 5,
item 4: give it early, or send it with the escort). Pure: no Flask, no database.

  given_early       recorded given before the departure
  given, refused, held, not_available
                    recorded after the departure (she came back, or a late entry)
  not_yet_given     not recorded, and due close enough to the departure to be given
                    before she leaves (the MAR takes a dose `early_window` ahead)
  send_with_escort  not recorded, and due too long after the departure to be given
                    early: it goes with the escort, for the destination's staff
"""
from datetime import datetime, timedelta

STATUSES = ("given_early", "given", "refused", "held", "not_available", "not_yet_given",
            "send_with_escort")


def dose_status(due_at: datetime, departs_at: datetime, outcome: str | None,
                administered_at: datetime | None, early_window: timedelta) -> str:
    if outcome is not None:
        return "given_early" if outcome == "given" and administered_at < departs_at else outcome
    return "not_yet_given" if due_at - early_window <= departs_at else "send_with_escort"


def schedule_text(times, every_days) -> str:
    """["08:00", "20:00"], 1 -> "08:00, 20:00 daily"."""
    when = ", ".join(times or [])
    return f"{when} daily" if (every_days or 1) == 1 else f"{when} every {every_days} days"

"""Sections of the patient page contributed by other domains (intake, MAR,
SRH, release...). A blueprint registers a function that returns the template
and context of its panel, or None when it has nothing to show this user; the
patient page renders them in order. Keeps patients.show from importing every
domain."""
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class Panel:
    order: int
    name: str
    build: Callable  # (user, patient, now) -> (template, context) | None
    order_for: Callable | None = None  # (patient) -> order, when it depends on where she is


_PANELS: dict[str, Panel] = {}


def register_panel(name: str, order: int, build: Callable, order_for: Callable | None = None) -> None:
    _PANELS[name] = Panel(order, name, build, order_for)


def panels_for(user, patient, now) -> list[tuple[str, dict]]:
    out = []
    for panel in sorted(_PANELS.values(),
                        key=lambda p: p.order_for(patient) if p.order_for else p.order):
        rendered = panel.build(user, patient, now)
        if rendered is not None:
            out.append(rendered)
    return out

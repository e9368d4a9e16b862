"""Frozen dataclasses for checklist definitions and the person they are filled for."""
from dataclasses import dataclass, field, fields

from prisoncare.rules.checklists.vocabulary import LEGAL_STATUSES, POPULATIONS, SEXES


@dataclass(frozen=True)
class Conditions:
    """Who an item applies to. Every condition given must hold (AND); a list holds
    when the person's value is in it; `any_of` holds when one of its tables holds.
    """
    sex: tuple[str, ...] | None = None
    facility_population: tuple[str, ...] | None = None
    age_min: int | None = None
    age_max: int | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    reproductive_age: bool | None = None
    has_children: bool | None = None
    accompanying_child: bool | None = None
    on_ost: bool | None = None
    on_art: bool | None = None
    on_tb: bool | None = None
    on_hcv: bool | None = None
    opioid_history: bool | None = None
    foreign_national: bool | None = None
    pretrial: bool | None = None
    any_of: tuple["Conditions", ...] = ()

    def is_women_only(self) -> bool:
        return self.sex is not None and "female" in self.sex and "male" not in self.sex


CONDITION_NAMES = tuple(f.name for f in fields(Conditions))
FLAG_CONDITIONS = tuple(n for n in CONDITION_NAMES
                        if n not in ("sex", "facility_population", "age_min", "age_max", "any_of"))


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    section: str
    question: str
    rule_refs: tuple[str, ...]
    answer_type: str
    applies_to: Conditions = field(default_factory=Conditions)
    options: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    declinable: bool = False
    confidential: bool = False
    due_hours: int | None = None
    follow_up_of: str | None = None
    shown_when: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    id: str
    title: str


@dataclass(frozen=True)
class ChecklistDefinition:
    kind: str
    version: int
    title: str
    triggers: tuple[str, ...]
    due_hours: int
    due_from: str
    sections: tuple[Section, ...]
    items: tuple[ChecklistItem, ...]
    description: str = ""

    def item(self, item_id: str) -> ChecklistItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def items_in(self, section_id: str) -> tuple[ChecklistItem, ...]:
        return tuple(i for i in self.items if i.section == section_id)


@dataclass(frozen=True)
class ChecklistSubject:
    """What is known about the person when the checklist is filled; None = unknown."""
    sex: str | None = None
    age_years: int | None = None
    facility_population: str | None = None
    legal_status: str | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    has_children: bool | None = None
    accompanying_child: bool | None = None
    on_ost: bool | None = None
    on_art: bool | None = None
    on_tb: bool | None = None
    on_hcv: bool | None = None
    opioid_history: bool | None = None
    foreign_national: bool | None = None

    def __post_init__(self):
        for name, allowed in (("sex", SEXES), ("facility_population", POPULATIONS),
                              ("legal_status", LEGAL_STATUSES)):
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        if self.age_years is not None and not (0 <= self.age_years <= 130):
            raise ValueError(f"age_years out of range: {self.age_years!r}")

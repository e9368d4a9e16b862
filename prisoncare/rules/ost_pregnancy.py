"""OST in pregnancy, pure: which order changes withdraw it (data/ost_pregnancy.toml).
OST is never withdrawn from a pregnant woman without an explicit clinical reason
(clinical-rules.md 1.3): ending the order, or a reduction beyond the limits."""
from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources


@cache
def load() -> dict:
    text = (resources.files("prisoncare.rules") / "data" / "ost_pregnancy.toml").read_text(
        encoding="utf-8")
    data = tomllib.loads(text)
    meta = data["meta"]
    for key in ("max_reduction_percent", "max_reduction_percent_source", "source"):
        if key not in meta:
            raise ValueError(f"ost_pregnancy.toml: [meta] needs {key}")
    for i, floor in enumerate(data.get("floor", []), 1):
        missing = {"drug", "unit", "dose", "source"} - floor.keys()
        if missing:
            raise ValueError(f"ost_pregnancy.toml: [[floor]] #{i} needs {', '.join(sorted(missing))}")
    return data


def floor_for(drug: str, unit: str) -> Decimal | None:
    name = (drug or "").strip().lower()
    for floor in load().get("floor", []):
        if floor["drug"] in name and floor["unit"] == unit:
            return Decimal(str(floor["dose"]))
    return None


def big_reduction(drug: str, unit: str, old_dose, new_dose, new_unit=None) -> bool:
    """Whether going from `old_dose` to `new_dose` is a reduction that needs a reason
    in pregnancy: more than max_reduction_percent in one step, or to below the
    drug's floor. A change of unit cannot be compared: it needs the reason too."""
    old, new = Decimal(str(old_dose)), Decimal(str(new_dose))
    if new_unit is not None and new_unit != unit:
        return True
    if new >= old:
        return False
    if (old - new) * 100 > old * Decimal(str(load()["meta"]["max_reduction_percent"])):
        return True
    floor = floor_for(drug, unit)
    return floor is not None and new < floor

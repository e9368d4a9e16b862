"""Gestation for lists (worklists, the patient list, the pill pass): one query for
any number of patients. Shown only to roles that read confidential data
(CONFIDENTIAL_READ: nurses, clinicians); `gestation_for` applies that rule."""
from collections import defaultdict
from functools import lru_cache

from sqlalchemy import select

from ... import db_prepared
from ...db_types import in_list
from ...extensions import db
from ...models.srh import Pregnancy
from ...rules import srh as rules
from .common import local_today


@lru_cache(maxsize=2)
def _ongoing_statement(dialect: str):
    """Built once per dialect and run as its compiled SQL (db_prepared.rows): the
    pill pass asks it on every page, and building and running it through the ORM
    cost about a millisecond of Python for a statement that usually finds nobody."""
    return select(Pregnancy.patient_id, Pregnancy.due_on).where(
        in_list(Pregnancy.patient_id, "ids", dialect), Pregnancy.status == "ongoing")


def gestation_by_patient(patient_ids, on_date) -> dict[int, str]:
    """{patient id: "11+3"} for those of `patient_ids` with an ongoing pregnancy on
    `on_date` (a date: the facility's local day). Set-based: one query per 2,000 ids,
    in the app's session (db.session), its pending changes flushed first."""
    from .due import _chunks
    query = _ongoing_statement(db.session.get_bind().dialect.name)
    out = {}
    for chunk in _chunks(set(patient_ids)):
        for pid, due_on in db_prepared.rows(query, {"ids": list(chunk)}):
            gestation = rules.gestation_on(due_on, on_date)
            if gestation is not None:
                out[pid] = str(gestation)
    return out


def gestation_for(user, patients, now) -> dict[int, str]:
    """Gestation of the listed patients for `user`, each on her facility's local day;
    empty for a role without CONFIDENTIAL_READ (custody, release officers, auditors)."""
    from ...authz import Permission, can
    if not can(user, Permission.CONFIDENTIAL_READ):
        return {}
    by_day = defaultdict(list)
    for p in patients:
        if p is not None:
            by_day[local_today(p, now)].append(p.id)
    out = {}
    for day, ids in by_day.items():
        out.update(gestation_by_patient(ids, day))
    return out

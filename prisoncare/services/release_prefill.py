"""A new release plan starts from what the record already knows (issue 7).

- intake: community treatment at admission -> a referral per programme, to the
  directory provider whose code or name is the clinic recorded (a note naming the
  clinic when the directory has no such provider); children recorded as not
  living with her (IN-04) -> children outside, so child custody support applies;
  violence disclosed (IN-19) -> a violence-support need; drug dependence found at
  the intake assessment (IN-16) -> opioid use, so naloxone, overdose training and
  counselling apply (IN-16 does not name the substance: a dependence answer is
  taken as possible opioid use, erring towards a naloxone kit; the clinician sets
  "opioid use: no" on the plan when it was alcohol only);
- SRH: an ongoing pregnancy -> pregnant (antenatal or maternity referral); the
  latest breastfeeding status; a child living with her in prison -> child with her
  (paediatric handover); a violence record -> a violence-support need. Only the
  need is copied, never what she disclosed.

Her preferred language is the patient's (the patient copy prints in it) and the
last doses are read from the MAR when the plan is shown: neither is copied.
Set-based: a fixed number of queries for any number of new plans.
"""
from sqlalchemy import func, inspect, select

from ..extensions import db
from ..models.intake import ChecklistAnswer, ChecklistInstance, CommunityMedication
from ..models.release import CommunityProvider, ReleasePlan, ReleaseReferral
from .release_facts import _chunks

NEED_SERVICES = {"ost": ("ost",), "art": ("art",), "tb": ("tb",), "hcv": ("hcv",)}
CHILDREN_ITEMS = ("IN-04",)
VIOLENCE_ITEM, VIOLENCE_DISCLOSED = "IN-19", "disclosed"
DRUG_ITEM, DEPENDENCE = "IN-16", ("dependence_no_withdrawal", "withdrawal_treatment_started")
INTAKE_ITEMS = CHILDREN_ITEMS + (VIOLENCE_ITEM, DRUG_ITEM)


def _latest_answers(patient_ids, item_ids) -> dict[tuple[int, str], object]:
    """(patient, item) -> the latest answer, across her intake checklists."""
    out, latest = {}, {}
    for chunk in _chunks(patient_ids):
        for pid, item, answer, row_id in db.session.execute(
                select(ChecklistInstance.patient_id, ChecklistAnswer.item_id,
                       ChecklistAnswer.answer, ChecklistAnswer.id)
                .join(ChecklistInstance, ChecklistAnswer.instance_id == ChecklistInstance.id)
                .where(ChecklistInstance.patient_id.in_(chunk),
                       ChecklistAnswer.item_id.in_(item_ids))):
            if row_id > latest.get((pid, item), 0):
                latest[(pid, item)], out[(pid, item)] = row_id, answer
    return out


def _srh_facts(patient_ids) -> dict[int, dict]:
    """pregnant / breastfeeding / child_with_her / violence, from the SRH record."""
    from ..models import srh
    facts: dict[int, dict] = {}
    if not patient_ids or not inspect(db.session.get_bind()).has_table(srh.Pregnancy.__tablename__):
        return facts
    for chunk in _chunks(patient_ids):
        for pid in db.session.scalars(select(srh.Pregnancy.patient_id).where(
                srh.Pregnancy.patient_id.in_(chunk), srh.Pregnancy.status == "ongoing")):
            facts.setdefault(pid, {})["pregnant"] = True
        last = select(srh.BreastfeedingStatus.patient_id, func.max(srh.BreastfeedingStatus.id)
                      .label("id")).where(srh.BreastfeedingStatus.patient_id.in_(chunk)).group_by(
            srh.BreastfeedingStatus.patient_id).subquery()
        for pid, status in db.session.execute(
                select(srh.BreastfeedingStatus.patient_id, srh.BreastfeedingStatus.status)
                .join(last, srh.BreastfeedingStatus.id == last.c.id)):
            facts.setdefault(pid, {})["breastfeeding"] = status == "breastfeeding"
        for pid in db.session.scalars(select(srh.Child.mother_id).where(
                srh.Child.mother_id.in_(chunk), srh.Child.left_at.is_(None))):
            facts.setdefault(pid, {})["child_with_her"] = True
        for pid in db.session.scalars(select(srh.ViolenceRecord.patient_id).where(
                srh.ViolenceRecord.patient_id.in_(chunk))):
            facts.setdefault(pid, {})["violence_support_needed"] = True
    return facts


def _provider_for(clinic, need, providers):
    if not clinic:
        return None
    wanted = clinic.strip().lower()
    for p in providers:
        if (p.code.lower() == wanted or p.name.lower() == wanted) and \
                set(NEED_SERVICES[need]) & set(p.services or []):
            return p
    return None


def circumstances_from(answers: dict, srh: dict) -> dict:
    """Pure: the plan's circumstances from intake answers and SRH facts."""
    out = {}
    children = answers.get("IN-04")
    if isinstance(children, list) and children:
        out["children_outside"] = any(c.get("with_her") is False for c in children if isinstance(c, dict))
        if any(c.get("with_her") is True for c in children if isinstance(c, dict)):
            out["child_with_her"] = True
    if answers.get(VIOLENCE_ITEM) == VIOLENCE_DISCLOSED:
        out["violence_support_needed"] = True
    if answers.get(DRUG_ITEM) in DEPENDENCE:
        out["opioid_use"] = True
    out.update(srh)
    return {k: v for k, v in out.items() if v is not None}


def prefill_plans(plans: list[ReleasePlan]) -> dict[int, list[str]]:
    """Fill new plans from the record; returns what was filled per plan id."""
    if not plans:
        return {}
    patient_ids = {p.patient_id for p in plans}
    answers = _latest_answers(patient_ids, INTAKE_ITEMS)
    srh = _srh_facts(patient_ids)
    meds: dict[int, dict[str, str | None]] = {}
    for chunk in _chunks({p.episode_id for p in plans}):
        for episode_id, programme, clinic in db.session.execute(
                select(CommunityMedication.episode_id, CommunityMedication.programme,
                       CommunityMedication.clinic).where(CommunityMedication.episode_id.in_(chunk))
                .order_by(CommunityMedication.id)):
            if programme in NEED_SERVICES:
                meds.setdefault(episode_id, {})[programme] = clinic
    providers = db.session.scalars(select(CommunityProvider).where(
        CommunityProvider.active.is_(True))).all() if meds else []
    filled = {}
    for plan in plans:
        mine = {item: answers[(plan.patient_id, item)] for item in INTAKE_ITEMS
                if (plan.patient_id, item) in answers}
        circumstances = circumstances_from(mine, srh.get(plan.patient_id, {}))
        done = sorted(circumstances)
        plan.circumstances = {**circumstances, **(plan.circumstances or {})}
        if circumstances.get("violence_support_needed"):
            plan.social_needs = {"violence_support": {"outcome": "pending", "provider": None,
                                                      "note": None}, **(plan.social_needs or {})}
        for need, clinic in meds.get(plan.episode_id, {}).items():
            provider = _provider_for(clinic, need, providers)
            if provider is not None and provider.women_only and plan.patient.sex != "female":
                provider = None
            note = None if provider or not clinic else f"Community clinic at admission: {clinic}"
            db.session.add(ReleaseReferral(plan_id=plan.id, need=need, provider=provider, note=note))
            done.append(f"referral:{need}")
        filled[plan.id] = done
    return filled

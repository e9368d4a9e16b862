"""Authorization in one place, for pages, API, CLI and templates alike.

Roles map to permissions (data below); facility scope decides which records a
user can see at all. An id in a facility the user cannot see is a 404, so the
existence of a patient elsewhere is not disclosed.
"""
from enum import Enum
from functools import wraps

from flask_login import current_user
from sqlalchemy import or_

from .errors import NotAuthenticated, NotFound, PermissionDenied


class Permission(str, Enum):
    FACILITY_READ = "facility:record:read"
    FACILITY_MANAGE = "facility:record:manage"
    USER_MANAGE = "admin:user:manage"
    PATIENT_READ = "patient:demographics:read"
    PATIENT_CREATE = "patient:demographics:create"
    CUSTODY_READ = "patient:custody:read"
    CUSTODY_WRITE = "patient:custody:write"
    CLINICAL_READ = "patient:clinical:read"
    # Violence history, HIV status, sex work, pregnancy, children's details.
    CONFIDENTIAL_READ = "patient:confidential:read"
    CHECKLIST_STATUS_READ = "checklist:status:read"     # complete / overdue only
    CHECKLIST_ANSWER = "checklist:item:answer"
    COMMUNITY_MED_WRITE = "medication:community:write"
    ORDER_WRITE = "medication:order:write"
    MAR_READ = "medication:mar:read"
    MAR_RECORD = "medication:mar:record"
    REVIEW_WRITE = "medication:review:write"
    ALERT_READ = "alert:worklist:read"
    ALERT_ACT = "alert:worklist:act"
    INTERRUPTION_READ = "medication:interruption:read"
    RELEASE_READ = "release:plan:read"
    RELEASE_WRITE = "release:plan:write"
    PROVIDER_MANAGE = "release:provider:manage"
    SRH_READ = "patient:srh:read"
    SRH_WRITE = "patient:srh:write"
    SRH_ENABLE = "patient:srh:enable"        # open the SRH record for a patient who is not a woman
    PHOTO_WRITE = "patient:photo:write"
    # "Bangkok Rule 22/24 protections apply", without any diagnosis.
    PROTECTION_FLAGS_READ = "patient:protection:read"
    AUDIT_READ = "audit:log:read"
    REPORT_READ = "report:interruption:read"  # interruption reports and indicators, no names


P = Permission
_READ_PATIENTS = {P.FACILITY_READ, P.PATIENT_READ, P.CUSTODY_READ, P.PROTECTION_FLAGS_READ}

_CARE = {P.CLINICAL_READ, P.CONFIDENTIAL_READ, P.CHECKLIST_STATUS_READ, P.CHECKLIST_ANSWER,
         P.COMMUNITY_MED_WRITE, P.MAR_READ, P.MAR_RECORD, P.ALERT_READ, P.ALERT_ACT,
         P.INTERRUPTION_READ, P.SRH_READ, P.SRH_WRITE, P.PHOTO_WRITE}
_ALERTS = {P.ALERT_READ, P.ALERT_ACT}

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    "nurse": frozenset(_READ_PATIENTS | _CARE | {P.PATIENT_CREATE, P.RELEASE_READ}),
    "clinician": frozenset(_READ_PATIENTS | _CARE | {P.PATIENT_CREATE, P.ORDER_WRITE, P.REVIEW_WRITE,
                                                     P.RELEASE_READ, P.RELEASE_WRITE, P.SRH_ENABLE}),
    # Release planning reads what the plan needs through the release service (the
    # plan programmes' orders and last doses), not the orders, MAR or answers.
    "release_officer": frozenset(_READ_PATIENTS | _ALERTS | {P.CHECKLIST_STATUS_READ,
                                                             P.RELEASE_READ, P.RELEASE_WRITE}),
    "auditor": frozenset(_READ_PATIENTS | {P.AUDIT_READ, P.CHECKLIST_STATUS_READ, P.ALERT_READ,
                                           P.INTERRUPTION_READ, P.REPORT_READ}),
    # Custody staff see demographics, the timeline and whether a checklist is
    # complete or overdue, never clinical data.
    "custody": frozenset(_READ_PATIENTS | _ALERTS | {P.PATIENT_CREATE, P.CUSTODY_WRITE,
                                                     P.CHECKLIST_STATUS_READ}),
    # IT administrators manage users and facilities and see no patient data.
    "admin": frozenset({P.FACILITY_READ, P.FACILITY_MANAGE, P.USER_MANAGE, P.PROVIDER_MANAGE}),
}
CLINICAL_ROLES = frozenset({"nurse", "clinician"})


def permissions_of(user) -> frozenset[Permission]:
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    perms = set()
    for role in user.roles:
        perms |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(perms)


def can(user, permission: Permission) -> bool:
    return permission in permissions_of(user)


def ensure(user, permission: Permission) -> None:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated("Log in first.")
    if not can(user, permission):
        raise PermissionDenied("Your role does not allow this.")


def require(permission: Permission):
    """View decorator: 401 when not logged in, 403 when the role lacks `permission`."""

    def decorator(view):
        view.required_permission = permission

        @wraps(view)
        def wrapped(*args, **kwargs):
            ensure(current_user, permission)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def visible_facility_ids(user) -> set[int] | None:
    """The facilities a user may see; None means all of them."""
    if user.all_facilities:
        return None
    return user.facility_ids


def can_see_facility(user, facility_id: int | None) -> bool:
    ids = visible_facility_ids(user)
    return ids is None or facility_id in ids


def patient_scope(user, patient_cls):
    """A WHERE clause limiting patients to the user's facilities (None: no limit).
    A patient in transfer is visible to the receiving facility too."""
    ids = visible_facility_ids(user)
    if ids is None:
        return None
    return or_(patient_cls.facility_id.in_(ids), patient_cls.to_facility_id.in_(ids))


def can_see_patient(user, patient) -> bool:
    return can_see_facility(user, patient.facility_id) or (
        patient.to_facility_id is not None and can_see_facility(user, patient.to_facility_id)
    )


def ensure_patient_visible(user, patient) -> None:
    if patient is None or not can_see_patient(user, patient):
        raise NotFound("No such patient.")

"""Staff accounts: create, disable. Used by the admin page and the CLI."""
from sqlalchemy import select

from .. import audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..extensions import db
from ..models import Facility, StaffSession, StaffUser, UserFacility, UserRole
from ..models.staff import ROLES
from .auth import hash_password

MIN_PASSWORD_LENGTH = 10


def create_user(actor, *, username: str, password: str, roles: list[str],
                facility_codes: list[str], all_facilities: bool = False,
                display_name: str = "", now) -> StaffUser:
    errors: dict[str, list[str]] = {}
    username = (username or "").strip()
    if not username or len(username) > 64 or not username.replace(".", "").replace("-", "").replace("_", "").isalnum():
        errors["username"] = ["Use 1-64 letters, digits, dots, dashes or underscores."]
    if len(password or "") < MIN_PASSWORD_LENGTH:
        errors["password"] = [f"Use at least {MIN_PASSWORD_LENGTH} characters."]
    bad_roles = sorted(set(roles) - set(ROLES))
    if not roles or bad_roles:
        errors["roles"] = [f"Choose one or more of {', '.join(ROLES)}."]
    facilities = []
    if facility_codes:
        found = {f.code: f for f in db.session.scalars(
            select(Facility).where(Facility.code.in_(facility_codes)))}
        missing = [c for c in facility_codes if c not in found]
        if missing:
            errors["facilities"] = [f"Unknown facility: {', '.join(missing)}."]
        facilities = list(found.values())
    elif not all_facilities:
        errors["facilities"] = ["Give one or more facilities, or all facilities."]
    if errors:
        raise ValidationFailed(errors)
    if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
        raise Conflict(f"The username {username} is taken.", code="duplicate_username",
                       fields={"username": ["Already taken."]})
    user = StaffUser(
        username=username, display_name=display_name or username,
        password_hash=hash_password(password), all_facilities=all_facilities, created_at=now,
        role_rows=[UserRole(role=r) for r in dict.fromkeys(roles)],
        facility_rows=[UserFacility(facility_id=f.id) for f in facilities],
    )
    db.session.add(user)
    db.session.flush()
    audit.record(actor, "staff_user.create", entity="staff_user", entity_id=user.id, at=now,
                 detail={"username": username, "roles": sorted(set(roles)),
                         "facilities": sorted(facility_codes), "all_facilities": all_facilities})
    return user


def get_user(username: str) -> StaffUser:
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
    if user is None:
        raise NotFound(f"No user {username}.")
    return user


def disable_user(actor, user: StaffUser, *, now) -> None:
    """Disable an account and end its sessions; its API tokens stop working."""
    if user.disabled_at is not None:
        return
    user.disabled_at = now
    for s in db.session.scalars(select(StaffSession).where(
            StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))):
        s.ended_at = now
    audit.record(actor, "staff_user.disable", entity="staff_user", entity_id=user.id, at=now,
                 detail={"username": user.username})


def list_users():
    return db.session.scalars(select(StaffUser).order_by(StaffUser.username)).all()

"""The data model, one module per domain. Importing this package registers every
table with the metadata (Alembic and the tests rely on that)."""
from .alerts import Alert, SchedulerLock
from .audit import AuditChainHead, AuditEntry
from .facilities import Facility, Ward
from .patients import CustodyEpisode, CustodyEvent, Patient
from .staff import ApiToken, StaffSession, StaffUser, UserFacility, UserRole
from . import intake, interruptions, medication, photos, release, srh  # noqa: E402,F401  (their tables)
from . import handovers  # noqa: E402,F401  (transfer handover, issue 5)

__all__ = [
    "Alert", "AuditChainHead", "SchedulerLock", "ApiToken", "AuditEntry", "CustodyEpisode", "CustodyEvent", "Facility", "Patient",
    "StaffSession", "StaffUser", "UserFacility", "UserRole", "Ward",
]

"""Sexual and reproductive health services (issue 6), one module per concern:

  access      who has a record (women; anyone a clinician enabled it for)
  pregnancy   tests, the pregnancy episode, contacts, birth plan, outcome, breastfeeding
  protection  the Bangkok Rules 22/24 flags custody staff see
  children    children living with their mothers and the care they are owed
  preventive  screening, STI, contraception, hygiene materials
  violence    violence history (clinical roles only, every read audited)
  escorts     hospital escorts and restraint (Rule 24)
  summary     the record as one document, and the patient-page panel
  alerts      what the scheduler raises

Every write validates (all field errors at once), audits, and flushes; the edge
commits. This package re-exports the public functions, so callers may keep
writing `services.srh.record_pregnancy`.
"""
from .access import (enable_srh, enablement, ensure_available, revoke_srh,  # noqa: F401
                     srh_available)
from .common import (BIRTH_OUTCOMES, NOT_ENABLED, _entry_base, _err, _raise, iso,  # noqa: F401
                     local_midnight, local_today, tz_of)
from .pregnancy import (correct_pregnancy, current_pregnancy, gestation_of, is_pregnant,  # noqa: F401
                        latest_breastfeeding, latest_pregnancy, pregnant_patient_ids,
                        record_breastfeeding, record_contact, record_outcome, record_pregnancy,
                        record_pregnancy_test, set_birth_plan)
from .protection import protection_flags, protection_state, read_protection_flags  # noqa: F401
from .summary import panel_summary, summary  # noqa: F401

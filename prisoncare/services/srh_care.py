"""SRH, continued (kept for its callers: the scheduler's srh-alerts job and the
pages): children, preventive care, violence, hospital escorts and the sweep,
each in its own module of `services.srh`."""
from .srh.alerts import INFANT_PROPHYLAXIS_MISSING, raise_srh_alerts  # noqa: F401
from .srh.children import children_view, record_child, record_child_care, update_child  # noqa: F401
from .srh.escorts import RESTRAINT_RECORDED, escorts_view, record_escort  # noqa: F401
from .srh.preventive import (SCREENING_KINDS, preventive_view, record_preventive,  # noqa: F401
                             screening_view)
from .srh.violence import read_violence, read_violence_page, record_violence  # noqa: F401

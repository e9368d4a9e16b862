"""The closed vocabularies a checklist file may use: kinds, triggers, answer types,
subject values and rule references. Anything not listed here is refused at load.
"""
import re

from prisoncare.rules.custody_transitions import EVENT_TYPES

# kind -> item id prefix (IN-01, CT-01, TR-01, TI-01, RL-01)
KINDS: dict[str, str] = {
    "intake": "IN",
    "pre_court": "CT",
    "pre_transfer": "TR",
    "transfer_in": "TI",
    "pre_release": "RL",
}
TRIGGER_EVENTS = EVENT_TYPES
# What a due time counts from: the trigger event's own time, or the time the
# scheduled movement is expected (court hearing, transfer or release departure).
DUE_FROM = ("trigger", "expected_at")

ANSWER_TYPES = ("yes_no", "choice", "number", "date", "text", "consent", "children")
YES_NO = ("yes", "no")
CONSENT = ("offered", "accepted", "declined")
DECLINED = "declined"
NOT_APPLICABLE = "not_applicable"
MARKERS = (DECLINED, NOT_APPLICABLE)
TEXT_MAX_LENGTH = 2000

SEXES = ("female", "male", "intersex", "unknown")
POPULATIONS = ("women", "men", "mixed")
LEGAL_STATUSES = ("pretrial", "sentenced")
# Design choice: wider than WHO's 15-49 so that we ask rather than skip.
REPRODUCTIVE_AGE = (12, 55)

# One child in a `children` answer (Bangkok Rule 3).
CHILD_FIELDS = ("name", "age_years", "with_her", "location", "carer", "custody_status")
CHILD_MAX_AGE = 30
CUSTODY_STATUSES = ("parent", "other_parent", "relative", "foster_care",
                    "state_care", "other", "unknown")

ITEM_ID = re.compile(r"^(?P<prefix>[A-Z]{2})-\d{2}[a-z]?$")
SECTION_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# Rule references. Numbered instruments: (pattern, highest rule number).
_NUMBERED = (
    (re.compile(r"^BR(?P<n>\d{1,2})(\([0-9a-z]{1,3}\))*$"), 70),    # Bangkok Rules
    (re.compile(r"^MR(?P<n>\d{1,3})(\([0-9a-z]{1,3}\))*$"), 122),   # Nelson Mandela Rules
    (re.compile(r"^PKG15-(?P<n>\d{1,2})$"), 15),  # UNODC/WHO/UNAIDS package of 15
)
# Row ids of the default rule table (clinical-rules.md section 9).
_RULE_TABLE = re.compile(r"^(OST-[A-Z]-\d{2}|ART-\d{2}|TB-\d{2}|HCV-\d{2}|BR-\d{2})$")
# Guidelines and studies cited by name (clinical-rules.md sections 1, 7, 8).
SOURCES: dict[str, str] = {
    "SOLID": "Kastelic, Pont, Stöver: OST in custodial settings (2008), SOLID/EXCEED",
    "BCCSU": "BC Centre on Substance Use OAT guideline, s.4.5 Corrections",
    "SPS": "Scottish Prison Service drug misuse operational guidance",
    "NZ-Corrections": "NZ Corrections Prison Operations Manual M.03.02",
    "WHO-HIV-Prisons-1999": "WHO/UNAIDS Guidelines on HIV infection and AIDS in prisons",
    "WHO-Naloxone-2014": "WHO Community management of opioid overdose (2014)",
    "WHO-B+": "WHO option B+ (PMTCT)",
    "Bird-2016": "Scotland's National Naloxone Programme, Addiction 2016",
    "Marsden-2017": "OST at release and mortality, Addiction 2017",
    "Degenhardt-2014": "OST after release, NSW, Addiction 2014",
    "Merrall-2010": "Drug-related deaths after release, Addiction 2010",
    "Binswanger-2007": "Death after release from prison, NEJM 2007",
    "Baillargeon-2009": "ART continuity after release, JAMA 2009",
    "imPACT": "imPACT post-release HIV care model",
    "AASLD": "AASLD/IDSA HCV guidance",
    "APT": "APT Detention Focus: women",
    "design": "design choice recorded in clinical-rules.md",
}


def rule_ref_problem(ref: object) -> str | None:
    """Why `ref` is not a rule reference we know, or None when it is."""
    if not isinstance(ref, str) or not ref.strip():
        return "a rule reference must be a non-empty string"
    if ref in SOURCES or _RULE_TABLE.match(ref):
        return None
    for pattern, highest in _NUMBERED:
        match = pattern.match(ref)
        if match:
            n = int(match["n"])
            return None if 1 <= n <= highest else f"rule {ref!r} is out of range 1-{highest}"
    hint = " (write it without spaces, e.g. 'BR6(c)')" if " " in ref else ""
    return f"unknown rule reference {ref!r}{hint}"

"""OST review thresholds: the policy table a clinical lead reviews. Data only.

A ``given`` dose of an OST drug is refused (422 ``review_required``) once the patient
has gone ``days`` consecutive scheduled days without a given dose, until a clinician
review is recorded. Consecutive days are counted over *scheduled* days only (see
``dosing_guards.consecutive_days_without_given``), so on an alternate-day schedule the
threshold counts doses, as the Australian methadone guideline's "3 or more consecutive
doses" does.

Format: ``family -> {"days", "match", "rule_id", "source"}``

* ``days``: int >= 1, the streak length at which a review is required, used only when
  the rule table (alert_rules.toml) has no missed-days rung with ``blocks_dosing`` for
  the family: the guard takes the lowest such rung's ``min``, overrides included
  (``dosing_guards.thresholds_from_rules``; services.pass_alerts.guard_thresholds).
* ``match``: lower-case words; a drug name belongs to the family when one of its words
  (letters only, case-folded: "Buprenorphine/Naloxone 8mg/2mg" → buprenorphine,
  naloxone, mg) is in this list. The first family that matches wins. A drug that no
  family matches has no review threshold.
* ``rule_id`` / ``source``: the row of ``clinical-rules.md`` section 9 and its evidence.

A deployment overrides it with a dict of the same shape, merged per family: a partial
entry (``{"methadone": {"days": 2}}``) changes only the keys given; a new family must
give ``days`` and ``match``. See ``dosing_guards.merge_thresholds``.

Depot buprenorphine (Buvidal, Sublocade) is deliberately not matched: its missed-dose
windows are product-specific and measured in weeks, not consecutive days.
"""

REVIEW_THRESHOLDS: dict[str, dict] = {
    "methadone": {
        "days": 3,
        "match": [
            "methadone",
            "levomethadone",
            "methadose",
            "physeptone",
            "metadon",
            "метадон",
        ],
        "rule_id": "OST-M-03",
        "source": (
            "clinical-rules.md 1.1.3 / 1.1.4 and section 9 OST-M-03: 3 or more consecutive "
            "doses not collected -> withhold or reduce until the prescriber has assessed "
            "(Commonwealth of Australia, National clinical guidelines for methadone "
            "maintenance, Henry-Edwards et al. 2003, s.3.5 'Missed doses' [V]); UK/NZ "
            "pharmacy practice, 1.1.6 [P]."
        ),
    },
    "buprenorphine": {
        "days": 5,
        "match": [
            "buprenorphine",
            "suboxone",
            "subutex",
            "zubsolv",
            "espranor",
            "бупренорфін",
            "бупренорфин",
        ],
        "rule_id": "OST-B-03",
        "source": (
            "clinical-rules.md section 9 OST-B-03: missed_consec_days >= 5 -> reassess, "
            "consider re-induction (Australian national buprenorphine guidelines, Lintzeris "
            "et al. 2006, 1.2.3 [M: from memory, verify before go-live; the text reads "
            "'more than 5']). Clinic-level guidance asks for review after 3 (Bluewater "
            "clinic, 1.2.2 [V]); section 9 OST-B-02 flags 3-4 days for review without "
            "blocking. Partial-agonist pharmacology, BCCSU 1.2.1 [V]."
        ),
    },
}

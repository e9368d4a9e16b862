"""The release plan as a FHIR R4 Bundle (built and checked with the
fhir.resources R4B models, which match R4 for these resources).

Content comes from services.release_docs.shared_content, so a bundle for a
provider holds only what she consented to share with that provider.
"""
from datetime import datetime, time, timedelta, timezone

from fhir.resources.R4B.bundle import Bundle

BASE = "https://prisoncare.invalid/fhir"
GENDER = {"female": "female", "male": "male", "intersex": "other", "unknown": "unknown"}
CATEGORY_SYSTEM = "https://prisoncare.invalid/fhir/CodeSystem/consent-category"
NEED_SYSTEM = "https://prisoncare.invalid/fhir/CodeSystem/release-need"
NEED_TEXT = {"ost": "Opioid substitution therapy", "art": "HIV care (antiretroviral therapy)",
             "tb": "TB treatment (DOT)", "hcv": "Hepatitis C treatment",
             "antenatal": "Antenatal or postnatal care", "paediatric": "Child health follow-up"}
APPOINTMENT_MINUTES = 30
SOCIAL_SYSTEM = "https://prisoncare.invalid/fhir/CodeSystem/release-social-need"
# The plan's social-need outcomes as CarePlan activity statuses (R4 value set).
SOCIAL_STATUS = {"pending": "not-started", "referred": "in-progress", "arranged": "scheduled",
                 "not_needed": "cancelled", "declined": "cancelled"}


def _iso(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _entry(resource: dict) -> dict:
    return {"fullUrl": f"{BASE}/{resource['resourceType']}/{resource['id']}", "resource": resource}


def _organization(p) -> dict:
    out = {"resourceType": "Organization", "id": f"provider-{p.code}", "name": p.name,
           "identifier": [{"system": f"{BASE}/provider-code", "value": p.code}]}
    if p.phone:
        out["telecom"] = [{"system": "phone", "value": p.phone}]
    if p.address or p.city:
        out["address"] = [{"text": ", ".join(x for x in (p.address, p.city) if x)}]
    return out


def build_bundle(content: dict, *, now) -> dict:
    plan, patient = content["plan"], content["patient"]
    pid = f"patient-{patient.id}"
    subject = {"reference": f"Patient/{pid}"}
    resources = [{
        "resourceType": "Patient", "id": pid,
        "identifier": [{"system": f"{BASE}/prison-number", "value": patient.prison_number}],
        "name": [{"family": patient.family_name, "given": [patient.given_name]}],
        "gender": GENDER.get(patient.sex, "unknown"),
        "birthDate": patient.date_of_birth.isoformat(),
    }]
    if patient.preferred_language:
        resources[0]["communication"] = [{"language": {"coding": [{
            "system": "urn:ietf:bcp:47", "code": patient.preferred_language}]}, "preferred": True}]
    from .services.providers import provider_by_code
    providers = {}
    for r in content["referrals"]:
        if r.provider is not None:
            providers[r.provider.code] = r.provider
    if content["recipient"] is not None:
        providers[content["recipient"].code] = content["recipient"]
    # Every provider named by a social need or a consent is in the bundle too.
    codes = [v.get("provider") for v in content["social_needs"].values() if v.get("provider")]
    codes += [code for code, categories in content["consents"].items() if categories]
    for code in codes:
        if code not in providers and (provider := provider_by_code(code)) is not None:
            providers[code] = provider
    resources += [_organization(p) for p in providers.values()]
    activities = []
    for r in content["referrals"]:
        code = {"coding": [{"system": NEED_SYSTEM, "code": r.need}], "text": NEED_TEXT[r.need]}
        sr = {"resourceType": "ServiceRequest", "id": f"referral-{r.id}",
              "status": "active" if plan.status == "finalized" else "draft", "intent": "order",
              "code": code, "subject": subject, "authoredOn": _iso(plan.opened_at)}
        if r.provider is not None:
            sr["performer"] = [{"reference": f"Organization/provider-{r.provider.code}",
                                "display": r.provider.name}]
        if r.appointment_at is not None:
            sr["occurrenceDateTime"] = _iso(r.appointment_at)
        resources.append(sr)
        activities.append({"reference": {"reference": f"ServiceRequest/{sr['id']}"}})
        if r.appointment_at is not None and r.provider is not None:
            appt = {"resourceType": "Appointment", "id": f"appointment-{r.id}", "status": "booked",
                    "serviceType": [code], "start": _iso(r.appointment_at),
                    "end": _iso(r.appointment_at + timedelta(minutes=APPOINTMENT_MINUTES)),
                    "basedOn": [{"reference": f"ServiceRequest/{sr['id']}"}],
                    "participant": [
                        {"actor": subject, "status": "accepted", "required": "required"},
                        {"actor": {"reference": f"Organization/provider-{r.provider.code}",
                                   "display": r.provider.name},
                         "status": "needs-action", "required": "required"}]}
            resources.append(appt)
            activities.append({"reference": {"reference": f"Appointment/{appt['id']}"}})
    activities += _detail_activities(content, providers)
    for med in content["medications"]:
        ms = {"resourceType": "MedicationStatement", "id": f"medication-{plan.id}-{med['programme']}",
              "status": "active", "subject": subject, "dateAsserted": _iso(now),
              "medicationCodeableConcept": {"text": med["drug"]},
              "dosage": [{"text": f"{med['dose']:g} {med['unit']}"}]}
        if med["last_dose"]:
            ms["effectiveDateTime"] = _iso(med["last_dose"]["administered_at"])
            ms["note"] = [{"text": "Last dose given in custody: "
                                   f"{med['last_dose']['dose']:g} {med['last_dose']['unit']} at "
                                   f"{_iso(med['last_dose']['administered_at'])}"}]
        resources.append(ms)
    for code, categories in sorted(content["consents"].items()):
        if code not in providers or not categories:
            continue
        consent = {
            "resourceType": "Consent", "id": f"consent-{plan.id}-{code}", "status": "active",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                  "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
            "patient": subject, "dateTime": _iso(plan.updated_at),
            "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                       "code": "OPTIN"}]},
            "provision": {"type": "permit", "actor": [{
                "role": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                     "code": "IRCP"}]},
                "reference": {"reference": f"Organization/provider-{code}"}}],
                "code": [{"coding": [{"system": CATEGORY_SYSTEM, "code": c}]} for c in sorted(categories)]},
        }
        resources.append(consent)
    start = plan.release_on or plan.opened_at.date()
    care_plan = {
        "resourceType": "CarePlan", "id": f"release-plan-{plan.id}",
        "status": "active" if plan.status == "finalized" else "draft", "intent": "plan",
        "title": "Release plan" + (" (unplanned release)" if plan.kind == "emergency" else ""),
        "subject": subject, "created": _iso(plan.opened_at),
        "period": {"start": _iso(datetime.combine(start, time(0), tzinfo=timezone.utc))},
        "activity": activities,
    }
    resources.insert(1, care_plan)
    bundle = {"resourceType": "Bundle", "type": "collection", "timestamp": _iso(now),
              "entry": [_entry(r) for r in resources]}
    return json_of(Bundle.model_validate(bundle))


def _detail_activities(content: dict, providers: dict) -> list[dict]:
    """Naloxone and the social needs, as CarePlan activities (no resource of their own)."""
    out = []
    naloxone = content.get("naloxone")
    if naloxone is not None:
        status = ("completed" if naloxone["issued"] and naloxone["training"]
                  else "in-progress" if naloxone["issued"] or naloxone["training"] else "not-started")
        out.append({"detail": {
            "code": {"coding": [{"system": NEED_SYSTEM, "code": "naloxone"}],
                     "text": "Naloxone kit and overdose response training"},
            "productCodeableConcept": {"text": "naloxone"}, "status": status,
            "description": (f"Kit {'issued' if naloxone['issued'] else 'not issued yet'}; "
                            f"training {'given' if naloxone['training'] else 'not given yet'}.")}})
    for key, need in sorted(content["social_needs"].items()):
        outcome = need.get("outcome") or "pending"
        detail = {"code": {"coding": [{"system": SOCIAL_SYSTEM, "code": key}],
                           "text": key.replace("_", " ").capitalize()},
                  "status": SOCIAL_STATUS.get(outcome, "unknown"),
                  "description": f"Outcome: {outcome.replace('_', ' ')}."}
        if outcome in ("not_needed", "declined"):
            detail["statusReason"] = {"text": outcome.replace("_", " ")}
        provider = providers.get(need.get("provider"))
        if provider is not None:
            detail["performer"] = [{"reference": f"Organization/provider-{provider.code}",
                                    "display": provider.name}]
        out.append({"detail": detail})
    return out


def json_of(bundle: Bundle) -> dict:
    import json
    return json.loads(bundle.model_dump_json(exclude_none=True))

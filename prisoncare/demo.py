"""Fictional demo data: facilities, one account per role, and patients with a
few days of custody history. Everything is obviously invented (names like
"Sample", prison numbers DEMO-…). Loading twice adds nothing."""
from datetime import date, timedelta

from sqlalchemy import select

from .extensions import db
from .models import Patient, StaffUser
from .services import custody, facilities, patients, users

DEMO_PASSWORD = "demo-password-123"

DEMO_FACILITIES = [
    dict(code="DEMO-WPT", name="Demo Women's Pre-trial Centre (fictional)", kind="pretrial",
         population="women", timezone="Europe/Kyiv",
         wards=[{"code": "A", "name": "Block A"}, {"code": "MED", "name": "Medical unit"}]),
    dict(code="DEMO-MP", name="Demo Men's Prison (fictional)", kind="prison",
         population="men", timezone="Europe/Kyiv",
         wards=[{"code": "B1", "name": "Block B1"}, {"code": "B2", "name": "Block B2"}]),
    dict(code="DEMO-MIX", name="Demo Remand Unit, mixed (fictional)", kind="pretrial",
         population="mixed", timezone="Europe/Chisinau",
         wards=[{"code": "R1", "name": "Reception"}]),
]

# username, roles, facility codes (None = all facilities)
DEMO_USERS = [
    ("nurse.demo", ("nurse",), ["DEMO-WPT"]),
    ("clinician.demo", ("clinician",), ["DEMO-WPT", "DEMO-MIX"]),
    ("clinician.men", ("clinician",), ["DEMO-MP"]),
    ("release.demo", ("release_officer",), ["DEMO-WPT", "DEMO-MP"]),
    ("auditor.demo", ("auditor",), None),
    ("custody.demo", ("custody",), ["DEMO-WPT", "DEMO-MP", "DEMO-MIX"]),
    ("admin.demo", ("admin",), None),
]

# prison number, given, family, born, sex, facility, ward, story
DEMO_PATIENTS = [
    ("DEMO-0001", "Olena", "Sample", date(1991, 4, 2), "female", "DEMO-WPT", "A", "court_day"),
    ("DEMO-0002", "Iryna", "Example", date(1987, 9, 14), "female", "DEMO-WPT", "A", "at_court"),
    ("DEMO-0003", "Maria", "Placeholder", date(1995, 1, 30), "female", "DEMO-WPT", "MED", "release_soon"),
    ("DEMO-0004", "Nadia", "Fictional", date(1983, 6, 8), "female", "DEMO-WPT", "A", "admitted"),
    ("DEMO-0005", "Svitlana", "Testova", date(1999, 11, 21), "female", "DEMO-WPT", "A", "in_transfer"),
    ("DEMO-0006", "Petro", "Sample", date(1979, 2, 17), "male", "DEMO-MP", "B1", "sentenced"),
    ("DEMO-0007", "Andrii", "Example", date(1990, 8, 5), "male", "DEMO-MP", "B2", "hospital"),
    ("DEMO-0008", "Oleh", "Demov", date(1985, 12, 12), "male", "DEMO-MP", "B1", "released"),
    ("DEMO-0009", "Ana", "Mock", date(1993, 3, 3), "female", "DEMO-MIX", "R1", "admitted"),
]


def _story(code, ward, story, now):
    """The custody events of one demo patient, oldest first."""
    day = timedelta(days=1)
    start = now - 6 * day
    events = [dict(type="admission", occurred_at=start, facility=code, ward=ward,
                   legal_status="sentenced" if story == "sentenced" else "pretrial")]
    if story == "court_day":
        events += [dict(type="court_scheduled", occurred_at=start + day, expected_at=now - 2 * day),
                   dict(type="court_out", occurred_at=now - 2 * day),
                   dict(type="court_return", occurred_at=now - 2 * day + timedelta(hours=11)),
                   dict(type="court_scheduled", occurred_at=now - day, expected_at=now + 5 * day)]
    elif story == "at_court":
        events += [dict(type="court_scheduled", occurred_at=start + day, expected_at=now - timedelta(hours=3)),
                   dict(type="court_out", occurred_at=now - timedelta(hours=3))]
    elif story == "release_soon":
        events += [dict(type="release_scheduled", occurred_at=start + day, expected_at=now + 10 * day)]
    elif story == "in_transfer":
        events += [dict(type="transfer_scheduled", occurred_at=start + day, expected_at=now - timedelta(hours=5),
                        to_facility="DEMO-MIX"),
                   dict(type="transfer_out", occurred_at=now - timedelta(hours=5), to_facility="DEMO-MIX")]
    elif story == "sentenced":
        events += [dict(type="sentenced", occurred_at=start + 2 * day, legal_status="sentenced",
                        expected_at=now + 200 * day)]
    elif story == "hospital":
        events += [dict(type="hospital_out", occurred_at=now - day)]
    elif story == "released":
        events += [dict(type="release_scheduled", occurred_at=start + day, expected_at=now - day),
                   dict(type="release", occurred_at=now - day, release_from="facility")]
    return events


# prison number -> (programme, drug, dose, unit, times, administration); community
# treatment she reported; and which past doses were not simply given.
DEMO_ORDERS = {
    "DEMO-0001": ("ost", "methadone", 60, "mg", ["08:00"], "witnessed"),
    "DEMO-0002": ("art", "dolutegravir/lamivudine/tenofovir (TLD)", 1, "tablet", ["20:00"],
                  "nurse_administered"),
    "DEMO-0003": ("ost", "buprenorphine", 8, "mg", ["08:00"], "witnessed"),
    "DEMO-0006": ("ost", "methadone", 80, "mg", ["08:00"], "witnessed"),
    "DEMO-0007": ("art", "dolutegravir/lamivudine/tenofovir (TLD)", 1, "tablet", ["20:00"],
                  "nurse_administered"),
}
DEMO_COMMUNITY = {
    "DEMO-0001": ("ost", "methadone", 60, "mg", "clinic_confirmed", "Fictional Harm Reduction Clinic"),
    "DEMO-0002": ("art", "dolutegravir/lamivudine/tenofovir (TLD)", 1, "tablet", "prescription_seen",
                  "Fictional AIDS Centre"),
    # Reported at admission, no order yet: the patient page shows the 24-hour target.
    "DEMO-0004": ("ost", "methadone", 40, "mg", "patient_report", None),
}
DEMO_NOT_GIVEN_DAYS = {"DEMO-0003": {1: "refused"}, "DEMO-0006": {1: None, 2: None}}


def _staff(username):
    return db.session.scalar(select(StaffUser).where(StaffUser.username == username))


def _medication(patient, number, admitted_at, now):
    """Community treatment, an order from the demo clinician, and the past doses
    recorded by the demo nurse at the time they were due."""
    from .models.medication import ScheduledDose
    from .services import administration, community_medication, orders
    if number in DEMO_COMMUNITY:
        programme, drug, dose, unit, source, clinic = DEMO_COMMUNITY[number]
        community_medication.record_community_medication(_staff("nurse.demo") or patient, patient, dict(
            programme=programme, drug=drug, dose=dose, unit=unit, source=source, clinic=clinic,
            last_dose_at=admitted_at - timedelta(hours=20)), now=admitted_at + timedelta(hours=1))
    if number not in DEMO_ORDERS:
        return
    programme, drug, dose, unit, times, mode = DEMO_ORDERS[number]
    women = patient.facility.code == "DEMO-WPT"
    clinician = _staff("clinician.demo" if women else "clinician.men")
    nurse = _staff("nurse.demo") if women else clinician  # who doses in that facility
    order = orders.create_order(clinician, patient, dict(
        programme=programme, drug=drug, dose=dose, unit=unit, route="oral",
        schedule={"times": times, "every_days": 1}, start_at=admitted_at + timedelta(hours=2),
        administration=mode), now=admitted_at + timedelta(hours=2))
    db.session.flush()
    past = db.session.scalars(select(ScheduledDose).where(
        ScheduledDose.order_id == order.id, ScheduledDose.due_at < now - timedelta(hours=1),
        ScheduledDose.status == "due").order_by(ScheduledDose.due_at)).all()
    skipped = DEMO_NOT_GIVEN_DAYS.get(number, {})
    for dose_row in past:
        days_ago = (now - dose_row.due_at).days
        if days_ago in skipped:
            if skipped[days_ago] is None:
                continue  # nothing recorded: the scheduler will see a missed dose
            data = {"outcome": skipped[days_ago], "reason": "Said she felt unwell (demo)."}
        else:
            data = {"outcome": "given", "witnessed_by": nurse.username if mode == "witnessed" else None}
        at = dose_row.due_at + timedelta(minutes=5)
        administration.record_administration(nurse, dose_row, {**data, "administered_at": at}, now=at)


def load_demo(actor, *, now) -> str:
    added = {"facilities": 0, "users": 0, "patients": 0}
    for spec in DEMO_FACILITIES:
        if facilities.facility_by_code(spec["code"]) is None:
            facilities.create_facility(actor, **spec, now=now)
            added["facilities"] += 1
    for username, roles, codes in DEMO_USERS:
        if db.session.scalar(select(StaffUser.id).where(StaffUser.username == username)) is None:
            users.create_user(actor, username=username, password=DEMO_PASSWORD, roles=list(roles),
                              facility_codes=codes or [], all_facilities=codes is None,
                              display_name=username.replace(".", " ").title() + " (demo)", now=now)
            added["users"] += 1
    for number, given, family, born, sex, code, ward, story in DEMO_PATIENTS:
        if db.session.scalar(select(Patient.id).where(Patient.prison_number == number)):
            continue
        patient = patients.create_patient(actor, dict(
            prison_number=number, given_name=given, family_name=family, date_of_birth=born,
            sex=sex, preferred_language="uk", facility=code), now=now)
        events = _story(code, ward, story, now)
        for event in events:
            custody.record_event(actor, patient, event, now=now)
        _medication(patient, number, events[0]["occurred_at"], now)
        added["patients"] += 1
    db.session.flush()
    return ", ".join(f"{n} {k} added" for k, n in added.items())

"""Issue 6, "done when": a pregnant woman on methadone and ART followed from the intake
test through antenatal contacts, birth, breastfeeding and her infant's prophylaxis.
The clock is set to chosen instants and the scheduler's jobs run there: every
due-date alert is raised on time (not a moment before), once, and resolved when the
task is done. Custody staff see only the protection flags (API and pages); violence
records are seen by nurses and clinicians only, every read audited."""
from datetime import datetime, timedelta, timezone

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import JOBS, run_job
from prisoncare.models import Alert, AuditEntry
from tests.api.test_intake_api import admitted
from tests.web.helpers import get

UTC = timezone.utc
T0 = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)     # admitted 06:00Z; LMP 20 Dec: 11+3 weeks
ORDER = {"route": "oral", "schedule": {"times": ["08:00"], "every_days": 1}}
SECRET = "hit by her partner in front of the children"
CLINICAL_WORDS = ("pregnan", "gestation", "methadone", "hiv", "viral", "antenatal", "immunis",
                  "prophylaxis", SECRET)


def at(*args):
    return datetime(*args, tzinfo=UTC)


def sweep(app, when, jobs=("srh-alerts",)):
    with app.app_context():
        for job in JOBS:
            if job.id in jobs:
                ok, summary = run_job(job, when)
                assert ok, (job.id, summary)


def open_alerts(app, pid):
    """{dedup key: (rule, severity, role)} of her open or acknowledged alerts."""
    with app.app_context():
        rows = db.session.scalars(db.select(Alert).where(
            Alert.patient_id == pid, Alert.status != "resolved")).all()
        return {a.dedup_key: (a.rule_code, a.severity, a.role) for a in rows}


def keys(app, pid, prefix):
    return sorted(k for k in open_alerts(app, pid) if k.startswith(prefix))


def write(login, path, body, when, status=201, method="post"):
    """At `when`, log in (sessions expire while the clock moves) and write."""
    clock.set_now(when)
    resp = getattr(login(), method)(path, json=body)
    assert resp.status_code == status, (path, resp.get_json())
    return resp.get_json()


def flags(login, pid):
    return [f["code"] for f in login().get(f"/api/v1/patients/{pid}/protection-flags").get_json()["flags"]]


def custody_page_shows_flags_only(logged_in, pid, expected):
    page = get(logged_in("custody.a"), f"/patients/{pid}")
    assert page.status == 200
    shown = page.by_id("protection")
    assert [c for c in ("Rule 22", "Rule 24") if shown is not None and c in shown.text] == expected
    text = page.text.lower()
    assert not [w for w in CLINICAL_WORDS if w in text]


def test_a_pregnant_woman_on_methadone_and_art_followed_to_her_infants_prophylaxis(
        app, world, as_user, logged_in):
    _, pid = admitted(as_user)
    nurse, clinician, custody = (lambda: as_user("nurse.a")), (lambda: as_user("clinician.a")), \
        (lambda: as_user("custody.a"))
    srh = f"/api/v1/patients/{pid}/srh"

    # --- intake: the test, the pregnancy, her methadone and ART ------------------------------
    write(nurse, srh + "/pregnancy-tests", {"status": "done", "result": "positive"}, T0)
    write(nurse, srh + "/pregnancies", {"dating_method": "lmp", "lmp_on": "2025-12-20"}, T0)
    for body in ({"programme": "ost", "drug": "methadone", "dose": 60, "unit": "mg",
                  "administration": "witnessed"},
                 {"programme": "art", "drug": "TLD", "dose": 1, "unit": "tablet",
                  "administration": "nurse_administered"}):
        write(clinician, f"/api/v1/patients/{pid}/orders", {**ORDER, **body}, T0)
    record = nurse().get(srh).get_json()["pregnancy"]
    assert (record["gestation"], record["due_on"], record["drug_dependent"]) == ("11+3", "2026-09-26", True)
    assert record["antenatal_schedule"][0]["due_at"] == "2026-03-11T10:00:00Z"   # 24 h: on OST
    assert flags(custody, pid) == ["BR22"]
    custody_page_shows_flags_only(logged_in, pid, ["Rule 22"])

    # --- BR-03: the antenatal assessment within 24 hours (on OST), and PMTCT viral load ------
    sweep(app, T0 + timedelta(hours=23, minutes=59))
    assert keys(app, pid, "BR-03") == []
    assert keys(app, pid, "SRH-VL") == [f"SRH-VL:due:patient:{pid}:vl_booking:pregnancy:{record['id']}"]
    sweep(app, T0 + timedelta(hours=24))
    assert open_alerts(app, pid)[f"BR-03:pregnancy:{record['id']}"] == ("BR-03", "high", "clinician")
    assert not [a for a in custody().get(f"/api/v1/alerts?patient={pid}").get_json()["items"]
                if a["rule"] == "BR-03"]                                   # not a custody task
    write(nurse, srh + "/contacts", {"contact_on": "2026-03-11", "by_whom": "midwife"}, T0 + timedelta(hours=26))
    write(nurse, srh + "/preventive-care", {"kind": "viral_load", "done_on": "2026-03-11",
                                            "result": "suppressed"}, T0 + timedelta(hours=26))
    assert keys(app, pid, "BR-03") == keys(app, pid, "SRH-VL") == []      # resolved at once

    # --- any missed ART dose in pregnancy: the rules engine's ART-04, never a second one ------
    sweep(app, at(2026, 3, 12, 10), jobs={j.id for j in JOBS})
    sweep(app, at(2026, 3, 12, 11))
    with app.app_context():
        art04 = db.session.scalars(db.select(Alert).where(Alert.patient_id == pid,
                                                          Alert.rule_code == "ART-04")).all()
    assert len(art04) == 1 and art04[0].severity == "high" and art04[0].message.startswith("Pregnant")

    # --- cervical screening: offered within 30 days of admission (Rule 18) --------------------
    sweep(app, at(2026, 4, 9, 20))                 # 23:00 in Kyiv on 9 April: still due
    assert keys(app, pid, "SRH-CX") == []
    sweep(app, at(2026, 4, 9, 21))                 # midnight in Kyiv: overdue
    assert keys(app, pid, "SRH-CX") == [f"SRH-CX:overdue:patient:{pid}:cervical_screening:first"]
    write(nurse, srh + "/preventive-care", {"kind": "cervical_screening", "done_on": "2026-04-10",
                                            "result": "normal"}, at(2026, 4, 10, 8))
    assert keys(app, pid, "SRH-CX") == []

    # --- antenatal contact 2 (week 20 starts 9 May): overdue a week later ----------------------
    sweep(app, at(2026, 5, 15, 20, 59))
    assert keys(app, pid, "SRH-ANC") == []
    sweep(app, at(2026, 5, 15, 21))
    [anc] = keys(app, pid, "SRH-ANC")
    assert open_alerts(app, pid)[anc] == ("SRH-ANC", "high", "clinician") and anc.endswith(":contact:2")
    clock.set_now(at(2026, 5, 15, 21, 30))
    page = get(logged_in("nurse.a"), "/srh/worklist")
    assert page.status == 200 and "Contact 2" in page.by_id("srh-worklist").text
    write(nurse, srh + "/contacts", {"contact_on": "2026-05-16"}, at(2026, 5, 16, 9))
    assert keys(app, pid, "SRH-ANC") == []
    for day in ((2026, 6, 20), (2026, 7, 18)):     # contacts 3 and 4, on time
        write(nurse, srh + "/contacts", {"contact_on": "%04d-%02d-%02d" % day}, at(*day, 9))

    # --- Rule 24 from 28 weeks, for custody without any diagnosis -------------------------------
    clock.set_now(at(2026, 7, 3, 12))
    assert flags(custody, pid) == ["BR22"]
    clock.set_now(at(2026, 7, 4, 12))
    assert flags(custody, pid) == ["BR22", "BR24"]
    custody_page_shows_flags_only(logged_in, pid, ["Rule 22", "Rule 24"])

    # --- viral load at 34 weeks ------------------------------------------------------------------
    write(nurse, srh + "/contacts", {"contact_on": "2026-08-15"}, at(2026, 8, 15, 9))
    sweep(app, at(2026, 8, 14, 10))
    assert keys(app, pid, "SRH-VL") == []
    sweep(app, at(2026, 8, 15, 10))
    assert keys(app, pid, "SRH-VL") == [f"SRH-VL:due:patient:{pid}:vl_34w:pregnancy:{record['id']}"]
    assert keys(app, pid, "SRH-ANC") == []
    write(nurse, srh + "/preventive-care", {"kind": "viral_load", "done_on": "2026-08-15",
                                            "result": "suppressed"}, at(2026, 8, 15, 11))
    assert keys(app, pid, "SRH-VL") == []
    for day in ((2026, 8, 29), (2026, 9, 12)):     # contacts 6 and 7
        write(nurse, srh + "/contacts", {"contact_on": "%04d-%02d-%02d" % day}, at(*day, 9))
    write(nurse, srh + "/birth-plan", {"hospital": "City Maternity", "escort": "female officers",
                                       "who_is_told": ["her sister"], "feeding_intention": "breastfeeding"},
          at(2026, 9, 12, 10), status=200, method="put")

    # --- the birth, breastfeeding, and an HIV-exposed infant ----------------------------------
    born = at(2026, 9, 24, 3)
    write(nurse, srh + "/pregnancy-outcome", {"outcome": "live_birth", "ended_on": "2026-09-24"},
          born + timedelta(hours=2))
    write(nurse, srh + "/breastfeeding", {"status": "breastfeeding"}, born + timedelta(hours=2))
    body = write(nurse, srh + "/children", {"name": "Baby K", "born_at": "2026-09-24T03:00:00Z",
                                            "hiv_exposed": True, "feeding": "breastfeeding",
                                            "from_pregnancy": True}, born + timedelta(hours=2))
    child_id = body["children"][0]["id"]
    sweep(app, born + timedelta(hours=11, minutes=59))
    assert keys(app, pid, "ART-05") == []
    assert f"SRH-IMM:due:child:{child_id}:imm:bcg" in open_alerts(app, pid)
    assert f"SRH-EID:due:child:{child_id}:test:nat_birth" in open_alerts(app, pid)
    sweep(app, born + timedelta(hours=12, minutes=1))
    assert open_alerts(app, pid)[f"ART-05:child:{child_id}"] == ("ART-05", "critical", "clinician")
    for care in ({"kind": "prophylaxis_start", "code": None}, {"kind": "hiv_test", "code": "nat_birth",
                                                                "result": "negative"},
                 {"kind": "immunisation", "code": "bcg"}):
        write(nurse, srh + "/child-care", {k: v for k, v in {"child_id": child_id, "done_on": "2026-09-24",
                                                              **care}.items() if v is not None},
              born + timedelta(hours=13))
    still = open_alerts(app, pid)
    assert not [k for k in still if k.startswith("ART-05") or k.endswith(":imm:bcg") or "nat_birth" in k]
    assert flags(custody, pid) == ["BR22", "BR24"]

    # postnatal check within 24 hours, overdue the day after
    sweep(app, at(2026, 9, 25, 20, 59))
    assert keys(app, pid, "SRH-PNC") == []
    sweep(app, at(2026, 9, 25, 21))
    assert keys(app, pid, "SRH-PNC") == [f"SRH-PNC:overdue:pregnancy:{record['id']}:postnatal:1"]
    write(nurse, srh + "/contacts", {"kind": "postnatal", "contact_on": "2026-09-25"}, at(2026, 9, 26, 8))
    assert keys(app, pid, "SRH-PNC") == []

    # BR-07: the child's health screen within 7 days of her admission (birth)
    sweep(app, born + timedelta(days=6, hours=23))
    assert keys(app, pid, "BR-07") == []
    sweep(app, born + timedelta(days=7))
    assert open_alerts(app, pid)[f"BR-07:child:{child_id}"] == ("BR-07", "high", "clinician")
    write(nurse, srh + "/child-care", {"child_id": child_id, "kind": "health_screen",
                                       "done_on": "2026-10-01"}, born + timedelta(days=7, hours=2))
    assert keys(app, pid, "BR-07") == []

    # breastfeeding on ART: a viral load three months after the birth
    sweep(app, at(2026, 12, 22, 10))
    assert keys(app, pid, "SRH-VL") == []
    sweep(app, at(2026, 12, 23, 10))
    assert keys(app, pid, "SRH-VL") == [f"SRH-VL:due:patient:{pid}:vl_postpartum:pregnancy:{record['id']}"]

    # six weeks after the birth, Rule 24 ends; Rule 22 stays while the infant is with her
    clock.set_now(at(2026, 11, 6, 12))
    assert flags(custody, pid) == ["BR22"]
    custody_page_shows_flags_only(logged_in, pid, ["Rule 22"])

    # every alert raised once: a second sweep at the same instant raises nothing
    with app.app_context():
        before = db.session.scalar(db.select(db.func.count(Alert.id)))
    sweep(app, at(2026, 12, 23, 10))
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Alert.id))) == before


def test_her_violence_record_is_for_nurses_and_clinicians_only_and_every_read_is_logged(
        app, world, as_user, logged_in):
    _, pid = admitted(as_user)
    nurse = as_user("nurse.a")
    violence = f"/api/v1/patients/{pid}/srh/violence"
    assert nurse.post(violence, json={"period": "before_custody", "disclosure": SECRET,
                                      "informed_of_recourse": True,
                                      "support_accepted": ["psychological"]}).status_code == 201
    for role in ("custody", "release_officer", "auditor", "admin"):
        assert as_user(f"{role}.a").get(violence).status_code == 403
        page = logged_in(f"{role}.a").get(f"/patients/{pid}/srh/violence")
        assert page.status_code == 403
    assert as_user("nurse.b").get(violence).status_code == 404           # another facility
    assert as_user("clinician.a").get(violence).get_json()["items"][0]["disclosure"] == SECRET
    page = get(logged_in("nurse.a"), f"/patients/{pid}/srh/violence")
    assert SECRET in page.text
    # never in lists, the record, the patient page or the worklist
    assert SECRET not in nurse.get(f"/api/v1/patients/{pid}/srh").get_data(as_text=True)
    assert SECRET not in nurse.get("/api/v1/srh/worklist?facility=FAC-A").get_data(as_text=True)
    for path in (f"/patients/{pid}", f"/patients/{pid}/srh", "/srh/worklist"):
        assert SECRET not in get(logged_in("clinician.a"), path).text
    with app.app_context():
        reads = db.session.scalars(db.select(AuditEntry).filter_by(action="srh.violence.read")
                                   .order_by(AuditEntry.id)).all()
    assert [(r.username, r.patient_id) for r in reads] == [("clinician.a", pid), ("nurse.a", pid)]

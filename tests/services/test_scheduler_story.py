"""Issue 5's story, end to end through the API and the real sweep, with the clock
moved by hand: a woman on methadone and ART is admitted, taken to court for a day,
left undocumented for two days, found by a sweep (a high alert; methadone blocked
until a clinician reviews her), reviewed and dosed again, transferred (the handover
missing at first, then recorded), and released from court without a plan. Every
dose status, interruption episode with its cause, and alert is checked: the alerts
about a gap close when she is dosed again, her open treatment alerts follow her to
the receiving facility, and her release closes them (the release rules take over).
Along the way: the escort letter printed before the court day, the custody tasks
(one per event, at the court date and at the unplanned release), and the escalation
of alerts nobody acknowledged (to the clinician, and past her to the auditors).

FAC-A and FAC-B are in Europe/Kyiv (UTC+2 in March): methadone at 08:00 local is
06:00 UTC, ART at 09:00 local is 07:00 UTC."""
from datetime import date, datetime, timezone

from sqlalchemy import select

from prisoncare import clock
from prisoncare.extensions import db
from prisoncare.jobs import run_all
from prisoncare.models import Alert
from prisoncare.models.interruptions import InterruptionEpisode
from prisoncare.models.medication import MedicationOrder, ScheduledDose
from tests.api.test_patients_api import register


def at(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=timezone.utc)


def iso(instant):
    return instant.isoformat().replace("+00:00", "Z")


class TokenClient:
    """The API as an integration uses it: a bearer token, so moving the clock by days
    does not end a session (a cookie session would time out after 15 idle minutes)."""

    def __init__(self, app, username):
        from prisoncare.models import StaffUser
        from prisoncare.services import auth
        from tests.factories import SYSTEM
        with app.app_context():
            user = db.session.scalar(select(StaffUser).where(StaffUser.username == username))
            _, raw = auth.issue_token(SYSTEM, user, now=clock.now())
            db.session.commit()
        self.client, self.headers = app.test_client(), {"Authorization": f"Bearer {raw}"}

    def __getattr__(self, method):          # get, post, patch
        call = getattr(self.client, method)
        return lambda path, **kw: call(path, headers=self.headers, **kw)


class Story:
    def __init__(self, app):
        self.app, self.users = app, {}

    def api(self, username):
        if username not in self.users:
            self.users[username] = TokenClient(self.app, username)
        return self.users[username]

    def at(self, instant):
        clock.set_now(instant)

    def ok(self, resp, status=(200, 201)):
        assert resp.status_code in status, resp.get_json()
        return resp.get_json()

    def event(self, user, **body):
        for key in ("occurred_at", "expected_at"):
            if key in body:
                body[key] = iso(body[key])
        return self.ok(self.api(user).post(f"/api/v1/patients/{self.pid}/custody-events", json=body))

    def dose_id(self, programme, day, user="nurse.a"):
        doses = self.ok(self.api(user).get(
            f"/api/v1/patients/{self.pid}/doses?from=2026-03-{day:02d}&to=2026-03-{day:02d}"))
        [d] = [d for d in doses["items"] if d["order"]["programme"] == programme]
        return d["id"]

    def give(self, programme, day, user="nurse.a", **extra):
        body = {"outcome": "given", "witnessed_by": user, **extra}
        return self.api(user).post(f"/api/v1/doses/{self.dose_id(programme, day, user)}/administration",
                                   json=body)

    def sweep(self, instant):
        self.at(instant)
        with self.app.app_context(), clock.frozen(instant):
            results = run_all(instant)
        assert all(ok for _, ok, _ in results), results

    def doses(self):
        with self.app.app_context():
            rows = db.session.execute(
                select(MedicationOrder.programme, ScheduledDose.local_date, ScheduledDose.status)
                .join(MedicationOrder, ScheduledDose.order_id == MedicationOrder.id)
                .where(ScheduledDose.patient_id == self.pid)
                .order_by(ScheduledDose.due_at)).all()
        return {(prog, day.day): status for prog, day, status in rows}

    def episodes(self):
        with self.app.app_context():
            return [(e.programme, e.start_on.day, e.end_on.day if e.end_on else None, e.cause,
                     dict(e.cause_days))
                    for e in db.session.scalars(select(InterruptionEpisode).where(
                        InterruptionEpisode.patient_id == self.pid)
                        .order_by(InterruptionEpisode.programme, InterruptionEpisode.start_on))]

    def alerts(self):
        with self.app.app_context():
            return sorted((a.rule_code, a.severity, a.role, a.status)
                          for a in db.session.scalars(select(Alert).where(
                              Alert.patient_id == self.pid)))

    def notes(self, prefix):
        with self.app.app_context():
            return sorted((a.rule_code, a.status, a.resolve_note)
                          for a in db.session.scalars(select(Alert).where(
                              Alert.patient_id == self.pid, Alert.rule_code.startswith(prefix))))

    def facilities(self, prefix):
        from prisoncare.models import Facility
        with self.app.app_context():
            return sorted(db.session.execute(
                select(Alert.rule_code, Alert.status, Facility.code)
                .join(Facility, Alert.facility_id == Facility.id)
                .where(Alert.patient_id == self.pid, Alert.rule_code.startswith(prefix))).all())

    def tasks(self, user):
        """Her open tasks as custody staff see them: (text, the custody event's type)."""
        items = self.ok(self.api(user).get(f"/api/v1/alerts?patient={self.pid}&status=open"))
        assert all(t["rule"] == "custody_task" and t["programme"] is None and t["action"] is None
                   for t in items["items"])
        return sorted((t["message"], (t["cause"] or {}).get("event_type"))
                      for t in items["items"])

    def escalation(self, user, rule):
        [a] = self.ok(self.api(user).get(f"/api/v1/alerts?patient={self.pid}&rule={rule}"
                                         "&status=open"))["items"]
        return a["escalation_level"], a["escalated_to"], a["escalated_from"], a["escalated_at"]

    def alert_id(self, rule):
        with self.app.app_context():
            return db.session.scalar(select(Alert.id).where(Alert.patient_id == self.pid,
                                                            Alert.rule_code == rule,
                                                            Alert.status != "resolved"))


def test_the_story_of_issue_5(app, world):
    s = Story(app)
    # -- admission, 2 March 09:00 UTC: community methadone and ART, both continued
    s.at(at(2, 9))
    s.pid = s.ok(register(s.api("custody.a")))["id"]
    s.event("custody.a", type="admission", occurred_at=at(2, 9), facility="FAC-A", ward="A",
            legal_status="pretrial")
    for prog, drug, dose in (("ost", "Methadone", 60), ("art", "TLD", 1)):
        s.ok(s.api("nurse.a").post(f"/api/v1/patients/{s.pid}/community-medications", json={
            "programme": prog, "drug": drug, "dose": dose, "unit": "mg" if prog == "ost" else "tab",
            "source": "clinic_confirmed", "last_dose_at": iso(at(2, 6))}))
    [intake] = [c for c in s.ok(s.api("nurse.a").get(f"/api/v1/patients/{s.pid}/checklists"))
                if c["kind"] == "intake"]
    for item, answer in (("IN-03", "no_caring_responsibilities"), ("IN-04", "not_applicable"),
                         ("IN-09", "declined"), ("IN-12", "no_risk_identified"),
                         ("IN-13", "declined"), ("IN-16", "dependence_no_withdrawal"),
                         ("IN-19", "declined")):            # Rule 6 screen and children: in time
        s.ok(s.api("nurse.a").patch(f"/api/v1/checklists/{intake['id']}/items/{item}",
                                    json={"answer": answer}))
    s.at(at(2, 10))
    for prog, drug, dose, unit, time in (("ost", "Methadone oral solution", 60, "mg", "08:00"),
                                         ("art", "Tenofovir/lamivudine/dolutegravir", 1, "tab", "09:00")):
        s.ok(s.api("clinician.a").post(f"/api/v1/patients/{s.pid}/orders", json={
            "programme": prog, "drug": drug, "dose": dose, "unit": unit, "route": "oral",
            "schedule": {"times": [time]}, "administration": "witnessed"}))
    s.at(at(3, 6, 5))
    s.ok(s.give("ost", 3))
    s.at(at(3, 7, 5))
    s.ok(s.give("art", 3))
    # -- a court date for 4 March 07:00 local: the sweep asks for the doses before departure
    s.at(at(3, 12))
    s.event("custody.a", type="court_scheduled", occurred_at=at(3, 12), expected_at=at(4, 5))
    s.sweep(at(3, 12, 15))
    assert s.alerts() == [("ART-PRE-01", "warning", "nurse", "open"),
                          ("CHK-01", "warning", "nurse", "open"),     # intake: the rest is late
                          ("OST-PRE-01", "warning", "nurse", "open")]
    # the escort letter the nurse prints: last doses, and what is due while she is away
    letter = s.ok(s.api("nurse.a").get(f"/api/v1/patients/{s.pid}/escort-letter"))
    assert (letter["absence"]["event_type"], letter["absence"]["departs_local"],
            letter["absence"]["returns_at"]) == (
        "court_scheduled", "2026-03-04 07:00 Kyiv time", "2026-03-04T17:00:00Z")
    assert sorted((o["programme"], o["last_dose"]["local"],
                   [(d["due_at"], d["status"]) for d in o["doses_during_absence"]])
                  for o in letter["orders"]) == [
        ("art", "2026-03-03 09:05 Kyiv time", [("2026-03-04T07:00:00Z", "not_yet_given")]),
        ("ost", "2026-03-03 08:05 Kyiv time", [("2026-03-04T06:00:00Z", "not_yet_given")])]
    # custody gets one task for the court date, whatever her programmes, and no diagnosis
    assert s.tasks("custody.a") == [
        ("Bring the person to the health unit before departure; the escort carries any "
         "sealed health envelope the nurse hands over.", "court_scheduled"),
        ("Health unit checklist overdue: bring the person to the health unit.", None)]
    # -- the court day: out 07:00, back 19:00 local; both morning doses are lost
    s.at(at(4, 5))
    s.event("custody.a", type="court_out", occurred_at=at(4, 5))
    s.at(at(4, 17))
    s.event("custody.a", type="court_return", occurred_at=at(4, 17))
    # -- 5 and 6 March: nothing recorded; one sweep on the evening of the 6th
    s.sweep(at(6, 18))
    assert s.doses() == {("ost", 3): "given", ("art", 3): "given",
                         ("ost", 4): "absent", ("art", 4): "absent",
                         ("ost", 5): "missed", ("art", 5): "missed",
                         ("ost", 6): "missed", ("art", 6): "missed",
                         ("ost", 7): "due", ("art", 7): "due"}
    assert s.episodes() == [
        ("art", 4, None, "court", {"court": 1, "documentation_gap": 2}),
        ("ost", 4, None, "court", {"court": 1, "documentation_gap": 2})]
    assert s.alerts() == [
        ("ART-01", "info", "nurse", "open"),
        ("ART-02", "warning", "clinician", "open"),          # 2+ ART doses missed in 7 days
        ("ART-PRE-01", "warning", "nurse", "resolved"),      # the court day is over
        ("CHK-01", "warning", "nurse", "open"),
        ("CHK-01", "warning", "nurse", "open"),              # the pre-court checklist too
        ("OST-E-02", "high", "nurse", "open"),               # the dose lost to court
        ("OST-M-01", "info", "nurse", "resolved"),           # superseded by M-02, then M-03
        ("OST-M-02", "warning", "nurse", "resolved"),
        ("OST-M-03", "high", "clinician", "open"),
        ("OST-PRE-01", "warning", "nurse", "resolved")]
    # -- 7 March: methadone is blocked until a clinician reviews her; ART is not
    s.at(at(7, 6, 5))
    blocked = s.give("ost", 7)
    assert blocked.status_code == 422 and blocked.get_json()["error"]["code"] == "review_required"
    s.at(at(7, 7, 5))
    s.ok(s.give("art", 7))
    s.at(at(7, 8))
    s.ok(s.api("clinician.a").post(f"/api/v1/patients/{s.pid}/reviews", json={
        "programme": "ost", "note": "Seen: not intoxicated, withdrawal signs. Half dose today."}))
    s.ok(s.api("clinician.a").post(f"/api/v1/alerts/{s.alert_id('OST-M-03')}/resolve",
                                   json={"note": "Reviewed; 30 mg today, usual dose tomorrow."}))
    s.at(at(7, 8, 10))
    s.ok(s.give("ost", 7, dose_given=30))
    s.sweep(at(7, 18))
    assert s.episodes() == [
        ("art", 4, 6, "court", {"court": 1, "documentation_gap": 2}),
        ("ost", 4, 6, "court", {"court": 1, "documentation_gap": 2})]
    # nobody acknowledged the court day's lost dose (high: a level per hour, at most 3): it
    # went to the clinician; the clinician's ART-02 (warning: 4 hours) to the auditors
    assert s.escalation("nurse.a", "OST-E-02") == (3, "clinician", "nurse", "2026-03-06T21:00:00Z")
    assert s.escalation("clinician.a", "ART-02") == (3, "auditor", "clinician",
                                                     "2026-03-07T06:00:00Z")
    assert [a["rule"] for a in s.ok(s.api("auditor.a").get("/api/v1/alerts?mine=true"))["items"]
            ] == ["ART-02"]
    # the gap's own rung closes with the interruption; the viral load (ART-02) is still due
    assert s.notes("ART-0") == [
        ("ART-01", "resolved", "Interruption ended: ART given 2026-03-07 09:05 Kyiv time."),
        ("ART-02", "open", None)]
    # -- 8 March: a transfer to FAC-B planned for the 9th at 07:00 local, no handover yet
    s.at(at(8, 6, 5))
    s.ok(s.give("ost", 8))
    s.at(at(8, 7, 5))
    s.ok(s.give("art", 8))
    s.at(at(8, 10))
    s.event("custody.a", type="transfer_scheduled", occurred_at=at(8, 10), expected_at=at(9, 5),
            to_facility="FAC-B")
    s.sweep(at(8, 10, 15))
    transfer_alerts = [a for a in s.alerts() if a[0].endswith(("-T-01", "PRE-01"))]
    assert transfer_alerts == [("ART-PRE-01", "warning", "nurse", "open"),       # the transfer
                               ("ART-PRE-01", "warning", "nurse", "resolved"),   # court: over
                               ("ART-T-01", "high", "nurse", "open"),
                               ("OST-PRE-01", "warning", "nurse", "open"),
                               ("OST-PRE-01", "warning", "nurse", "resolved"),
                               ("OST-T-01", "high", "nurse", "open")]
    custody_view = s.ok(s.api("custody.a").get(f"/api/v1/alerts?patient={s.pid}"))["items"]
    assert "Collect the sealed health envelope from the health unit before departure." in {
        a["message"] for a in custody_view}
    assert all(a["programme"] is None and a["rule"] == "custody_task" for a in custody_view)
    s.at(at(8, 12))
    s.ok(s.api("nurse.a").post(f"/api/v1/patients/{s.pid}/transfer-handovers", json={
        "programmes": ["ost", "art"], "prescription_sent": True, "mar_summary_sent": True,
        "last_dose_at": iso(at(8, 6, 5)), "take_home_doses": 0}))
    assert {("OST-T-01", "high", "nurse", "resolved"),
            ("ART-T-01", "high", "nurse", "resolved")} <= set(s.alerts())
    # -- 9 March: in transfer 07:00-12:00 local; FAC-B doses her on arrival
    s.at(at(9, 5))
    s.event("custody.a", type="transfer_out", occurred_at=at(9, 5), to_facility="FAC-B")
    s.at(at(9, 10))
    s.event("custody.b", type="transfer_in", occurred_at=at(9, 10), facility="FAC-B", ward="M1")
    s.at(at(9, 10, 30))
    s.ok(s.give("ost", 9, user="nurse.b", administered_at=iso(at(9, 10, 20))))
    s.sweep(at(9, 18))
    # her open ART alerts followed her to FAC-B: the viral load is FAC-B's to schedule
    assert s.facilities("ART-0") == [("ART-01", "open", "FAC-B"),          # from 9 March
                                     ("ART-01", "resolved", "FAC-A"),      # 4-6 March
                                     ("ART-02", "open", "FAC-B")]
    # -- 10 March: to court from FAC-B at 07:00 local, released there at 13:00 local
    s.at(at(10, 5))
    s.event("custody.b", type="court_out", occurred_at=at(10, 5))
    s.at(at(10, 11))
    s.event("custody.b", type="release", occurred_at=at(10, 11))     # from court: unplanned
    s.sweep(at(10, 12))
    # custody at FAC-B: one task for the unplanned release (OST-R-03 and ART-U-01 behind it)
    assert ("Unplanned release: phone the prison health unit before the person leaves, so a "
            "release pack can be handed over.", "release") in s.tasks("custody.b")
    s.sweep(at(11, 12))

    assert s.doses() == {
        ("ost", 3): "given", ("art", 3): "given", ("ost", 4): "absent", ("art", 4): "absent",
        ("ost", 5): "missed", ("art", 5): "missed", ("ost", 6): "missed", ("art", 6): "missed",
        ("ost", 7): "given", ("art", 7): "given", ("ost", 8): "given", ("art", 8): "given",
        ("ost", 9): "given", ("art", 9): "absent",           # in transfer at 09:00 local
        ("ost", 10): "absent", ("art", 10): "absent"}        # at court; none after release
    assert s.episodes() == [
        ("art", 4, 6, "court", {"court": 1, "documentation_gap": 2}),
        # transfer day, court day, then out without supply: begun by the transfer
        ("art", 9, 11, "transfer", {"transfer": 1, "court": 1, "release_without_supply": 1}),
        ("ost", 4, 6, "court", {"court": 1, "documentation_gap": 2}),
        ("ost", 10, 11, "court", {"court": 1, "release_without_supply": 1})]
    assert s.alerts() == [
        ("ART-01", "info", "nurse", "resolved"),             # 4-6 March: ART given again
        ("ART-01", "info", "nurse", "resolved"),             # from 9 March: released
        ("ART-02", "warning", "clinician", "resolved"),      # released
        ("ART-PRE-01", "warning", "nurse", "resolved"),      # before court: the day is over
        ("ART-PRE-01", "warning", "nurse", "resolved"),      # before the transfer: done too
        ("ART-T-01", "high", "nurse", "resolved"),           # by the handover
        ("ART-U-01", "critical", "clinician", "open"),       # released from court on ART
        ("CHK-01", "warning", "nurse", "resolved"),          # the four checklists below,
        ("CHK-01", "warning", "nurse", "resolved"),          # closed by her release
        ("CHK-01", "warning", "nurse", "resolved"),
        ("CHK-01", "warning", "nurse", "resolved"),
        ("OST-E-02", "high", "nurse", "open"),               # court, 4 March
        ("OST-E-02", "high", "nurse", "open"),               # court, 10 March
        ("OST-M-01", "info", "nurse", "resolved"),           # from 10 March: released
        ("OST-M-01", "info", "nurse", "resolved"),
        ("OST-M-02", "warning", "nurse", "resolved"),
        ("OST-M-03", "high", "clinician", "resolved"),       # by the clinician, with a note
        ("OST-PRE-01", "warning", "nurse", "resolved"),
        ("OST-PRE-01", "warning", "nurse", "resolved"),
        ("OST-R-03", "critical", "clinician", "open"),       # released from court on OST
        ("OST-T-01", "high", "nurse", "resolved"),           # by the handover
        ("RL-16", "critical", "release_officer", "open")]    # release: no plan (issue 7)
    with app.app_context():
        overdue = sorted(a.message.split(" checklist")[0] for a in db.session.scalars(
            select(Alert).where(Alert.patient_id == s.pid, Alert.rule_code == "CHK-01")))
    assert overdue == ["The intake", "The pre court", "The pre transfer", "The transfer in"]
    # the release closed her ladder alerts: continuity is the release plan's (RL-16, OST-R-03)
    released = "Released 2026-03-10 13:00 Kyiv time: continuity is now the release plan's."
    assert [n for n in s.notes("ART-0") + s.notes("OST-M-01") if n[2] == released] == [
        ("ART-01", "resolved", released), ("ART-02", "resolved", released),
        ("OST-M-01", "resolved", released)]

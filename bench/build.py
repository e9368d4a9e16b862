"""Build the national-size benchmark database (issues 4 and 5), once.

    .venv/bin/python -m bench.build --sqlite /work/bench-data/national-365.db \
        --postgres postgresql+psycopg://postgres@127.0.0.1:55433/national30
    (--days 91 / 182 for 1x / 2x history: national-91.db, national30_91, ...)

The schema comes from the Alembic migrations; facilities, wards and the bench
logins go through the services; the bulk (patients, custody timelines, orders,
the scheduled doses of the history with their outcomes and the scheduler's marks)
is written with executemany in batches of 50,000 on SQLite and COPY on PostgreSQL,
never the ORM per row. Then today's plans (about 1,200 events) are posted through
the API's service calls. The generator is seeded, so both databases hold the same
data. A database already built at the same scale is reused (`bench_meta` says so);
--rebuild starts again.

The world, at the fixed instant NOW (08:10 in Kyiv on 10 March 2026, the morning
round under way): FACILITIES facilities of PATIENTS/FACILITIES people each, all in
custody (0.8 % of them out at court or in hospital since 06:10), admitted up to two
years ago; 40 % pre-trial, the rest sentenced. Of them, 18 % are on OST (methadone
or buprenorphine, 08:00, witnessed) and 15 % on ART (08:00 or 20:00, a quarter
keep-on-person), drawn apart: 30 % on OST or ART, 3 % on both; 1 % on TB treatment
(six months), 2 % on hepatitis C treatment (twelve weeks).

Custody traffic over the whole history (the last DAYS days), as the PMS posts it
and the app records it: pre-trial people go to court every 10 to 35 days, sentenced
people every 90 to 300 (a court_scheduled plan posted one to eight days before,
court_out 06:30-07:50, court_return 16:00-21:00, local times); 8 % of people a year
(pro rata over the history) are transferred once from another facility
(transfer_scheduled one to four days before, transfer_out 06:00-07:30 with the
receiving facility, transfer_in 13:00-18:00 with her ward): her admission, her
custody episode and the doses due before her arrival are in the facility she came
from, the later ones in her present facility and ward, as the app's arrival hook
leaves them. A dose due while she was away is `absent`, with the sweep's dose_mark
(cause court or transfer, the event that took her there) as mark-absent writes it.
Not written: releases from court with a later re-admission (none: everyone has
one custody episode), hospital stays before today, sentencing events (the legal
status does not change), and the checklists the historical events opened
(intake, pre-court, transfer; nor their audit entries): the sweep's checklist rule
reads only open checklists, and the old ones would be complete.

Past doses due while she was there: 94 % given (witnessed by a second nurse for
OST), 2.5 % refused, 1 % held, 0.5 % not available, 2 % missed (with the sweep's
`missed` mark, stamped after the programme's grace); 2 % of the OST patients have
missed the last three days (review-blocked today). Today's doses are due and
nobody has recorded them yet.

Today's plans, posted at 05:10 in Kyiv through the services (so with the pre-court
and pre-transfer checklists and the audit entries the app writes): 2.5 % of the
pre-trial people in custody (1 % of everyone) have a court date, leaving tomorrow
06:30-07:30 before the 08:00 round, or this evening 18:00-19:30 for those whose only
dose is at 20:00, so that whoever has a dose then sets off the prevention rule;
0.2 % have a transfer tomorrow 06:00-07:00.

Facility F001 has the two pill-pass benchmark wards, left out of all traffic: W300
(300 patients, every one due at 08:00: 200 on OST, 100 on ART) and W50 (50 patients
in the same proportions), in custody, nothing planned.
"""
import argparse
import json
import os
import random
import sqlite3
import sys
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from bench import custody_traffic as traffic_rules  # noqa: E402

UTC = timezone.utc
TZ = "Europe/Kyiv"
ZONE = ZoneInfo(TZ)
NOW = datetime(2026, 3, 10, 6, 10, tzinfo=UTC)      # 08:10 in Kyiv
TODAY = date(2026, 3, 10)
assert (traffic_rules.NOW, traffic_rules.TODAY) == (NOW, TODAY)
PASSWORD = "bench-password-not-secret"
BATCH = 50_000
SEED = 20261125

BENCH_WARDS = {"W300": (300, 200), "W50": (50, 34)}   # ward: (patients, of whom on OST)
GIVEN, REFUSED, HELD, NA, ABSENT, MISSED = "given", "refused", "held", "not_available", "absent", "missed"
# Outcomes of the doses due while she was there (those due while she was away are absent).
PAST_OUTCOMES = [(GIVEN, 0.94), (REFUSED, 0.025), (HELD, 0.01), (NA, 0.005), (MISSED, 0.02)]
SHARE = {"ost": 0.18, "art": 0.15, "tb": 0.01, "hcv": 0.02}   # drawn apart: 30 % on OST or ART
GRACE_HOURS = {"ost": 6, "art": 6, "tb": 6, "hcv": 12}     # rules/data/sweep.toml: a missed mark's time
TODAY_COURT, TODAY_TRANSFER = 0.01, 0.002   # posted by the PMS for today or tomorrow
REASONS = {REFUSED: "Declined at the hatch", HELD: "Sedated: held per protocol",
           NA: "Out of stock on the ward"}
GIVEN_NAMES = ["Olena", "Iryna", "Daria", "Oksana", "Andrii", "Taras", "Mykola", "Serhii",
               "Petro", "Ivan", "Yurii", "Bohdan", "Dmytro", "Vasyl", "Roman", "Oleh"]
FAMILY_NAMES = ["Kovalenko", "Bondar", "Melnyk", "Shevchenko", "Tkachenko", "Kravchenko",
                "Boiko", "Moroz", "Lysenko", "Rudenko", "Savchenko", "Marchenko", "Petrenko",
                "Klymenko", "Pavlenko", "Ponomarenko", "Hnatiuk", "Sydorenko", "Zhuk", "Levchenko"]


# -- writers: one per database ----------------------------------------------------------

class SqliteWriter:
    """executemany in batches; values pre-formatted as SQLAlchemy stores them on SQLite
    (naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff', ISO dates, 0/1)."""

    name = "sqlite"

    def __init__(self, path):
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")   # persistent: the bench runs on WAL
        self.conn.execute("PRAGMA synchronous=OFF")    # for the build only (per connection)
        self.conn.execute("PRAGMA cache_size=-400000")
        self.conn.execute("BEGIN")

    @staticmethod
    def ts(dt):
        return None if dt is None else dt.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")

    @staticmethod
    def day(d):
        return d.isoformat()

    @staticmethod
    def flag(b):
        return 1 if b else 0

    def insert(self, table, cols, rows):
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.conn.executemany(sql, rows)

    def finish(self, tables):
        self.conn.execute("COMMIT")
        self.conn.execute("ANALYZE")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


class PgWriter:
    """COPY ... FROM STDIN; then the id sequences are moved past the ids written."""

    name = "postgresql"

    def __init__(self, url):
        import psycopg
        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))

    ts = staticmethod(lambda dt: dt)
    day = staticmethod(lambda d: d)
    flag = staticmethod(bool)

    def insert(self, table, cols, rows):
        with self.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def finish(self, tables):
        with self.conn.cursor() as cur:
            for table in tables:
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {table}))")
        self.conn.commit()
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")
        self.conn.close()


class Batched:
    """Collects the rows of one table and writes them BATCH at a time."""

    def __init__(self, writer, table, cols, parents=()):
        self.writer, self.table, self.cols, self.rows, self.count = writer, table, cols, [], 0
        self.parents = parents   # flushed first: PostgreSQL checks foreign keys per COPY

    def add(self, row):
        self.rows.append(row)
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self):
        for parent in self.parents:
            parent.flush()
        if self.rows:
            self.writer.insert(self.table, self.cols, self.rows)
            self.count += len(self.rows)
            self.rows = []


# -- the schema, and what goes through the services ------------------------------------

def make_app(url):
    from prisoncare import create_app
    return create_app("testing", SQLALCHEMY_DATABASE_URI=url)


def built_scale(url):
    """The scale recorded by a finished build, or None."""
    from sqlalchemy import create_engine, inspect, text
    engine = create_engine(url)
    try:
        if "bench_meta" not in inspect(engine).get_table_names():
            return None
        with engine.connect() as conn:
            meta = dict(conn.execute(text("SELECT key, value FROM bench_meta")).all())
        return json.loads(meta["scale"]) if meta.get("complete") == "1" else None
    finally:
        engine.dispose()


def reset_schema(url):
    from sqlalchemy import create_engine, text
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def migrate_and_seed_services(url, n_facilities):
    """Schema by migrations; facilities, wards and the bench logins by the services.
    Returns {facility code: (facility id, {ward code: ward id})}."""
    from flask_migrate import upgrade

    from prisoncare import clock
    from prisoncare.cli import CliActor
    from prisoncare.extensions import db
    from prisoncare.services import facilities, users

    actor = CliActor(username="cli:bench")
    app = make_app(url)
    out = {}
    with app.app_context(), clock.frozen(NOW - timedelta(days=800)):
        upgrade(revision="heads")
        for f in range(1, n_facilities + 1):
            code = f"F{f:03d}"
            wards = (list(BENCH_WARDS) + ["A"]) if f == 1 else ["A", "B", "C", "D", "E"]
            fac = facilities.create_facility(
                actor, code=code, name=f"Facility {code}", kind="pretrial" if f % 3 else "prison",
                population="women" if f % 10 == 0 else "men", timezone=TZ,
                wards=[{"code": w, "name": f"Ward {w}"} for w in wards], now=clock.now())
            db.session.flush()
            out[code] = (fac.id, {w.code: w.id for w in fac.wards})
        users.create_user(actor, username="bench.nurse", password=PASSWORD, roles=["nurse"],
                          facility_codes=["F001"], now=clock.now())
        users.create_user(actor, username="bench.recorder", password=PASSWORD, roles=["nurse"],
                          facility_codes=[f"F{f:03d}" for f in range(2, min(n_facilities, 11) + 1)],
                          now=clock.now())
        users.create_user(actor, username="bench.witness", password=PASSWORD, roles=["nurse"],
                          facility_codes=["F001"], now=clock.now())
        users.create_user(actor, username="bench.pms", password=PASSWORD, roles=["custody"],
                          facility_codes=[], all_facilities=True, now=clock.now())
        db.session.commit()
        db.engine.dispose()
    return out


# -- the bulk ---------------------------------------------------------------------------

class Clock:
    """Due instants of local times on local days (cached: DST-correct, and fast)."""

    def __init__(self, w):
        self.w, self.cache = w, {}

    def due(self, day, hhmm):
        key = (day, hhmm)
        hit = self.cache.get(key)
        if hit is None:
            h, m = int(hhmm[:2]), int(hhmm[3:])
            instant = datetime(day.year, day.month, day.day, h, m, tzinfo=ZONE).astimezone(UTC)
            hit = self.cache[key] = (instant, self.w.ts(instant))
        return hit


def build_bulk(w, places, n_patients, days, staff_ids):
    rnd = random.Random(SEED)
    clk = Clock(w)
    first_day = TODAY - timedelta(days=days)
    year_start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=ZONE).astimezone(UTC)

    patients = Batched(w, "patient", ["id", "prison_number", "given_name", "family_name",
                                      "date_of_birth", "sex", "created_at", "custody_status",
                                      "facility_id", "ward_id", "legal_status", "custody_version"])
    episodes = Batched(w, "custody_episode", ["id", "patient_id", "facility_id", "admitted_at"],
                       [patients])
    events = Batched(w, "custody_event", ["id", "patient_id", "episode_id", "seq", "type",
                                          "occurred_at", "recorded_at", "facility_id", "ward_id",
                                          "to_facility_id", "legal_status", "expected_at",
                                          "status_before", "status_after"],
                     [episodes])
    orders = Batched(w, "medication_order", [
        "id", "patient_id", "programme", "drug", "dose", "unit", "route", "times", "every_days",
        "start_at", "end_at", "administration", "quantity", "days_supply", "prescriber_id",
        "version", "lineage_id", "status", "created_at"], [patients])
    doses = Batched(w, "scheduled_dose", ["id", "order_id", "patient_id", "facility_id", "ward_id",
                                          "due_at", "local_date", "status", "status_at"],
                    [orders])
    marks = Batched(w, "dose_mark", ["id", "dose_id", "mark", "cause", "custody_event_id",
                                     "marked_at"], [doses, events])
    admins = Batched(w, "dose_administration", [
        "id", "dose_id", "order_id", "patient_id", "outcome", "administered_at", "recorded_at",
        "recorded_by_id", "witnessed_by_id", "reason", "late"], [doses])
    reviews = Batched(w, "clinical_review", ["id", "patient_id", "programme", "note",
                                             "reviewed_by_id", "reviewed_at"], [patients])
    ids = {"event": 0, "order": 0, "dose": 0, "admin": 0, "review": 0, "mark": 0}
    traffic = {"court_trips": 0, "transfers": 0, "absent_doses": 0}
    outcome_names = [o for o, _ in PAST_OUTCOMES]
    outcome_weights = [p for _, p in PAST_OUTCOMES]
    minute = timedelta(minutes=1)
    false = w.flag(False)
    codes = list(places)
    times = set()
    plans = []   # (patient id, event type, expected at, to facility code): posted after

    def add_order(pid, where, away, nurses, clinician, programme, drug, dose, unit, route,
                  hhmm, mode, start, end=None, blocked=False):
        """`where(due)` -> (facility id, ward id) of the dose; `away[local day]` ->
        (left at, back at, cause, event id) of that day's absence."""
        ids["order"] += 1
        oid = ids["order"]
        kop = mode == "keep_on_person"
        orders.add((oid, pid, programme, drug, dose, unit, route, json.dumps([hhmm]), 1,
                    w.ts(start), w.ts(end), mode, 30 if kop else None, 30 if kop else None,
                    clinician, 1, oid, "active", w.ts(start)))
        if kop:
            return
        if end is None or end > NOW:
            times.add(hhmm)
        day = max(start.astimezone(ZONE).date(), first_day)
        last = TODAY if end is None else min(TODAY, end.astimezone(ZONE).date())
        witnessed = mode == "witnessed"
        nurse, witness = nurses
        streak_from = TODAY - timedelta(days=3) if blocked else None
        grace = timedelta(hours=GRACE_HOURS[programme])
        while day <= last:
            due, due_s = clk.due(day, hhmm)
            day_s = w.day(day)
            if due >= start and (end is None or due < end):
                ids["dose"] += 1
                did = ids["dose"]
                fac_id, ward_id = where(due)
                gone = away.get(day)
                if day == TODAY:
                    doses.add((did, oid, pid, fac_id, ward_id, due_s, day_s, "due", None))
                elif gone is not None and gone[0] <= due < gone[1]:
                    # away when it was due: the sweep's mark, with the event that took her
                    marked = w.ts(due + 5 * minute)
                    doses.add((did, oid, pid, fac_id, ward_id, due_s, day_s, ABSENT, marked))
                    ids["mark"] += 1
                    marks.add((ids["mark"], did, ABSENT, gone[2], gone[3], marked))
                    traffic["absent_doses"] += 1
                else:
                    if streak_from is not None and day >= streak_from:
                        outcome = MISSED
                    else:
                        outcome = rnd.choices(outcome_names, outcome_weights)[0]
                    if outcome == MISSED:
                        marked = w.ts(due + grace + 5 * minute)
                        doses.add((did, oid, pid, fac_id, ward_id, due_s, day_s, MISSED, marked))
                        ids["mark"] += 1
                        marks.add((ids["mark"], did, MISSED, None, None, marked))
                    else:
                        doses.add((did, oid, pid, fac_id, ward_id, due_s, day_s, outcome,
                                   w.ts(due + 90 * minute)))
                        ids["admin"] += 1
                        at = due + rnd.randrange(0, 40) * minute
                        admins.add((ids["admin"], did, oid, pid, outcome, w.ts(at),
                                    w.ts(at + rnd.randrange(0, 6) * minute), nurse,
                                    witness if (witnessed and outcome == GIVEN) else None,
                                    REASONS.get(outcome), false))
            day += timedelta(days=1)

    per_facility = n_patients // len(places)
    pid = 0
    for code, (fac_id, wards) in places.items():
        nurses = staff_ids[code]["nurses"]
        clinician = staff_ids[code]["clinician"]
        plan = []   # (ward id, bench kind or None)
        if code == "F001":
            for ward, (size, on_ost) in BENCH_WARDS.items():
                plan += [(wards[ward], "ost" if i < on_ost else "art") for i in range(size)]
            plan += [(wards["A"], None)] * max(0, per_facility - len(plan))
        else:
            wcodes = sorted(wards)
            plan = [(wards[wcodes[i * len(wcodes) // per_facility]], None)
                    for i in range(per_facility)]
        women = code.endswith("0")
        for ward_id, bench in plan:
            pid += 1
            if bench:
                admitted_days = rnd.randrange(120, 700)
            else:
                admitted_days = rnd.randrange(1, 730)
            admitted = NOW - timedelta(days=admitted_days, minutes=rnd.randrange(0, 600))
            away_now = rnd.random()
            status = ("out_at_court" if away_now < 0.005 else
                      "out_at_hospital" if away_now < 0.008 else "in_custody")
            legal = "pretrial" if rnd.random() < 0.4 else "sentenced"
            if bench:
                status = "in_custody"

            timeline, away, moved, home = traffic_rules.custody_timeline(
                rnd, places, (code, fac_id, ward_id), admitted=admitted, legal=legal,
                status=status, bench=bench, first_day=first_day, days=days, traffic=traffic)
            rows, away, seq = traffic_rules.event_rows(w, ids, pid, admitted, legal, home,
                                                       timeline, away)
            # the patient first: PostgreSQL checks the foreign keys of each COPY
            patients.add((pid, f"P{pid:07d}", rnd.choice(GIVEN_NAMES), rnd.choice(FAMILY_NAMES),
                          w.day(date(1960 + rnd.randrange(45), 1 + rnd.randrange(12),
                                     1 + rnd.randrange(28))),
                          "female" if women else "male", w.ts(admitted), status, fac_id,
                          None if status == "in_transfer" else ward_id,
                          legal, seq))
            episodes.add((pid, pid, home[0], w.ts(admitted)))
            for row in rows:
                events.add(row)
            if moved is None:
                here = (fac_id, ward_id)

                def where(due, here=here):
                    return here
            else:
                def where(due, moved=moved, here=(fac_id, ward_id)):
                    return (moved[1], moved[2]) if due < moved[0] else here
            start = max(admitted + timedelta(hours=6), year_start)
            times.clear()   # the daily times of her doses given by a nurse (add_order)
            if bench:
                ost, art = bench == "ost", bench == "art"
            else:
                ost, art = rnd.random() < SHARE["ost"], rnd.random() < SHARE["art"]
            if ost:
                if rnd.random() < 0.8:
                    drug, dose, unit, route = ("Methadone oral solution", 30 + 5 * rnd.randrange(19),
                                               "mg", "oral")
                else:
                    drug, dose, unit, route = ("Buprenorphine", 8 + 2 * rnd.randrange(9), "mg",
                                               "sublingual")
                blocked = rnd.random() < 0.02 and start < NOW - timedelta(days=10)
                add_order(pid, where, away, nurses, clinician, "ost", drug, dose, unit, route,
                          "08:00", "witnessed", start, blocked=blocked)
                if rnd.random() < 0.05:
                    ids["review"] += 1
                    at = start + (NOW - start) * rnd.random()
                    reviews.add((ids["review"], pid, "ost", "Reviewed after missed doses",
                                 clinician, w.ts(at)))
            if art:
                kop = bench is None and rnd.random() < 0.25
                hhmm = "08:00" if bench or rnd.random() < 0.5 else "20:00"
                add_order(pid, where, away, nurses, clinician, "art", "TLD", 1, "tablet",
                          "oral", hhmm, "keep_on_person" if kop else "nurse_administered", start)
            if bench is None and rnd.random() < SHARE["tb"]:
                tb_start = start + (NOW - start) * rnd.random()
                add_order(pid, where, away, nurses, clinician, "tb", "HRZE", 4, "tablet",
                          "oral", "08:00", "witnessed", tb_start, tb_start + timedelta(days=182))
            if bench is None and rnd.random() < SHARE["hcv"]:
                hcv_start = start + (NOW - start) * rnd.random()
                add_order(pid, where, away, nurses, clinician, "hcv", "Sofosbuvir/velpatasvir",
                          1, "tablet", "oral", "08:00", "nurse_administered", hcv_start,
                          hcv_start + timedelta(days=84))
            if bench is None and status == "in_custody":
                draw = rnd.random()
                if legal == "pretrial" and draw < TODAY_COURT / 0.4:
                    if "20:00" not in times or "08:00" in times:   # tomorrow, before the round
                        leaves = traffic_rules.at_local(TODAY + timedelta(days=1),
                                                        6 * 60 + 30 + rnd.randrange(60))
                    else:                  # this evening, before the 20:00 dose
                        leaves = traffic_rules.at_local(TODAY, 18 * 60 + rnd.randrange(90))
                    plans.append((pid, "court_scheduled", leaves, None))
                elif draw > 1 - TODAY_TRANSFER:
                    other = codes[(codes.index(code) + 1 + rnd.randrange(len(codes) - 1))
                                  % len(codes)]
                    plans.append((pid, "transfer_scheduled",
                                  traffic_rules.at_local(TODAY + timedelta(days=1),
                                                         6 * 60 + rnd.randrange(60)),
                                  other))
    counts = {}
    for b in (patients, episodes, events, orders, doses, marks, admins, reviews):
        b.flush()
        counts[b.table] = b.count
    counts.update(traffic)
    return counts, plans


def post_plans(url, plans):
    """Today's court dates and transfers, posted by the PMS the night before (05:10 in
    Kyiv) through the API's service calls: the event, the patient's snapshot, the
    pre-court / pre-transfer checklist it opens and the audit entries, as the app writes
    them (about 1,200 events: the only rows of the bulk written per row)."""
    from sqlalchemy import select

    from prisoncare import clock
    from prisoncare.extensions import db
    from prisoncare.models import StaffUser
    from prisoncare.services.custody import record_event
    from prisoncare.services.patients import read_patient
    app = make_app(url)
    posted = NOW - timedelta(hours=3)
    with app.app_context(), clock.frozen(posted):
        pms = db.session.scalar(select(StaffUser).where(StaffUser.username == "bench.pms"))
        for i, (pid, etype, expected, to_code) in enumerate(plans):
            patient = read_patient(pms, pid, now=posted, purpose="patient.custody_write")
            data = {"type": etype, "expected_at": expected}
            if to_code:
                data["to_facility"] = to_code
            record_event(pms, patient, data, now=posted)
            if i % 200 == 199:
                db.session.commit()
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return {"court_scheduled_today": sum(1 for p in plans if p[1] == "court_scheduled"),
            "transfer_scheduled_today": sum(1 for p in plans if p[1] == "transfer_scheduled")}


def bulk_staff(w, places, password_hash):
    """Two nurses and a clinician per facility (the people who recorded the year)."""
    users = Batched(w, "staff_user", ["id", "username", "display_name", "password_hash",
                                      "all_facilities", "failed_logins", "created_at"])
    roles = Batched(w, "user_role", ["user_id", "role"])
    access = Batched(w, "user_facility", ["user_id", "facility_id"])
    out, uid = {}, 1000
    for code, (fac_id, _) in places.items():
        mine = []
        for kind in ("nurse1", "nurse2", "clinician"):
            uid += 1
            name = f"{kind}.{code.lower()}"
            users.add((uid, name, name, password_hash, w.flag(False), 0,
                       w.ts(NOW - timedelta(days=800))))
            roles.add((uid, "clinician" if kind == "clinician" else "nurse"))
            access.add((uid, fac_id))
            mine.append(uid)
        out[code] = {"nurses": (mine[0], mine[1]), "clinician": mine[2]}
    for b in (users, roles, access):
        b.flush()
    return out


def write_meta(url, scale, counts, seconds):
    from sqlalchemy import create_engine, text
    rows = [{"k": k, "v": v} for k, v in (
        ("scale", json.dumps(scale)), ("counts", json.dumps(counts)),
        ("build_seconds", f"{seconds:.1f}"), ("now", NOW.isoformat()), ("complete", "1"))]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE bench_meta (key VARCHAR(32) PRIMARY KEY, value TEXT)"))
        conn.execute(text("INSERT INTO bench_meta VALUES (:k, :v)"), rows)
    engine.dispose()


def build(url, scale, *, rebuild=False, log=print):
    """Build the database at `url` (an SQLAlchemy URL) unless it is already built at
    this scale. Returns the bench_meta counts."""
    if not rebuild and built_scale(url) == scale:
        log(f"  {url}: already built at this scale, reused")
        return
    started = time.perf_counter()
    reset_schema(url)
    places = migrate_and_seed_services(url, scale["facilities"])
    log(f"  schema + {len(places)} facilities through the services: "
        f"{time.perf_counter() - started:.1f} s")
    from werkzeug.security import generate_password_hash
    pw_hash = generate_password_hash(PASSWORD, method="scrypt:1024:8:1")
    if url.startswith("sqlite:///"):
        w = SqliteWriter(url[len("sqlite:///"):])
    else:
        w = PgWriter(url)
    staff_ids = bulk_staff(w, places, pw_hash)
    counts, plans = build_bulk(w, places, scale["patients"], scale["days"], staff_ids)
    log(f"  bulk rows: {counts}: {time.perf_counter() - started:.1f} s")
    w.finish(["staff_user", "patient", "custody_episode", "custody_event", "medication_order",
              "scheduled_dose", "dose_mark", "dose_administration", "clinical_review"])
    log(f"  written and analysed: {time.perf_counter() - started:.1f} s")
    counts.update(post_plans(url, plans))
    log(f"  {len(plans)} plans posted through the services: {time.perf_counter() - started:.1f} s")
    write_meta(url, scale, counts, time.perf_counter() - started)
    log(f"  {w.name} built in {time.perf_counter() - started:.1f} s")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", help="path of the SQLite file to build")
    parser.add_argument("--postgres", help="SQLAlchemy URL of an existing PostgreSQL database")
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--facilities", type=int, default=200)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args(argv)
    scale = {"patients": args.patients, "facilities": args.facilities, "days": args.days}
    os.environ.setdefault("SECRET_KEY", "bench")
    if args.sqlite:
        build("sqlite:///" + os.path.abspath(args.sqlite), scale, rebuild=args.rebuild)
    if args.postgres:
        build(args.postgres, scale, rebuild=args.rebuild)


if __name__ == "__main__":
    main()

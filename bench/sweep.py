"""Benchmark of the scheduler sweep (issue 5, item 6) on the databases bench/build.py made.
Not a test: not in CI.

    .venv/bin/python -m bench.sweep --sqlite /work/bench-data/national-91.db \
        --sqlite /work/bench-data/national-182.db --sqlite /work/bench-data/national-365.db \
        --postgres postgresql+psycopg://postgres@127.0.0.1:55433/national30_91 ... [--append]

(1x, 2x, 4x history = 91, 182, 365 days, each made by `python -m bench.build --days N`;
--append adds a run's databases to the results of earlier runs.)

Each database is copied first (a file copy; CREATE DATABASE ... TEMPLATE), migrated to
the heads, and the models' indexes are created if the copy lacks them. Then, with the
clock frozen, on the copy:

1. the first sweep, at the build's NOW (08:10 in Kyiv), over a history nobody swept;
2. routine sweeps, each 15 minutes after the previous one (+15, +30, +45 minutes), each
   after what happens in those 15 minutes: the nurses record a third of the morning
   round (in bulk, stamped 7 minutes before the sweep) and the PMS posts a few custody
   events (court departures and returns, a court date, a transfer out and later in)
   through the API's service calls (bench/sweep_activity.py). The first of them follows a sweep that
   changed a great deal (the report shows it apart), the others are the steady state;
3. the day boundaries: the rest of the day recorded in bulk, a catch-up sweep at 23:50
   local, a few PMS events, and the **first sweep of the new local day** (00:05 in
   Kyiv: srh-alerts makes a full pass, every episode going on grows by a day); the
   same at 23:50 / 00:05 UTC for the **first sweep of the new UTC day** (until
   26 November evaluate-rules made its daily full pass there; it now re-derives a
   slice of the patients in every run);
4. the nurses' records up to 15 minutes before the day-ahead sweep, in bulk, and a
   catch-up sweep then ...
5. ... the day-ahead sweep: the first instant whose generation window reaches the
   morning round of the day after tomorrow, so it generates a whole day of doses.

Every sweep is `prisoncare.jobs.run_all(at)`, each job timed. After each, in the same
run, the floor: one plain query (SQL text, no type conversion) reading the rows of
the sweep's dose window [at - backfill, at + ahead) (the same read through
SQLAlchemy's types is timed beside it, for information) and one bulk insert
(executemany) of as many rows as the
sweep created (scheduled doses, dose marks, interruption episodes and alerts: the
growth of their id sequences), committed, into a scratch table dropped after.

Several databases of one kind (e.g. built with --days 91, 182 and 365) compare the
cost against the length of history. Results are printed and written to
bench/sweep-results.md.
"""
import argparse
import json
import os
import sys
import time
from dataclasses import replace
from datetime import datetime, time as dtime, timedelta, timezone
from zoneinfo import ZoneInfo

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 32)

from bench.build import NOW, TODAY, TZ  # noqa: E402
from bench.run import drop_copy, working_copy as run_copy  # noqa: E402
from bench.sweep_activity import Pms, nurses_record  # noqa: E402
from bench.sweep_report import report  # noqa: E402

CREATED = ("scheduled_dose", "dose_mark", "interruption_episode", "alert")


# -- working copies (named apart from bench.run's) --------------------------------------

def working_copy(url):
    return run_copy(url, name="sweepwork", sqlite_dir="/tmp")


def prepare(app):
    """Migrate the copy to the heads; create any model table, column or index it lacks
    (a database built while a migration was still a placeholder is stamped past it)."""
    from flask_migrate import upgrade
    from sqlalchemy import inspect

    from prisoncare.extensions import db
    with app.app_context():
        _drop_overlapping_stamps(db.engine)
        upgrade(revision="heads")
        engine = db.engine
        before = set(inspect(engine).get_table_names())
        db.metadata.create_all(engine)   # tables too (with their indexes)
        made = sorted(set(inspect(engine).get_table_names()) - before)
        made += _add_missing_columns(engine)
        existing = {t: {i["name"] for i in inspect(engine).get_indexes(t)}
                    for t in inspect(engine).get_table_names()}
        for table in db.metadata.sorted_tables:
            if table.name not in existing:
                continue
            for index in table.indexes:
                if index.name not in existing[table.name]:
                    index.create(engine)
                    made.append(index.name)
        if made:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()
    return made


def _add_missing_columns(engine):
    """ALTER TABLE ... ADD COLUMN for each model column the copy lacks, nullable (the
    rows already there have no value for it; its server default, if any, applies)."""
    from sqlalchemy import inspect
    from sqlalchemy.schema import CreateColumn

    from prisoncare.extensions import db
    added = []
    names = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        for table in db.metadata.sorted_tables:
            if table.name not in names:
                continue
            have = {c["name"] for c in inspect(conn).get_columns(table.name)}
            for column in table.columns:
                if column.name in have:
                    continue
                spec = str(CreateColumn(column).compile(dialect=engine.dialect))
                spec = spec.replace(" NOT NULL", "")
                conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {spec}")
                added.append(f"{table.name}.{column.name}")
    return added


def _drop_overlapping_stamps(engine):
    """A database built while some migrations were parallel branches is stamped
    with each; once they are one line, keep only the latest of them."""
    from alembic.script import ScriptDirectory
    from flask import current_app
    from sqlalchemy import text
    with engine.begin() as conn:
        stamped = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
        if len(stamped) < 2:
            return
        script = ScriptDirectory(current_app.extensions["migrate"].directory)
        older = {a.revision for v in stamped for a in script.iterate_revisions(v, "base")
                 if a.revision != v}
        for version in stamped & older:
            conn.execute(text("DELETE FROM alembic_version WHERE version_num = :v"),
                         {"v": version})


# -- measuring --------------------------------------------------------------------------

def max_ids(session):
    from sqlalchemy import text
    return {t: session.execute(text(f"SELECT coalesce(max(id), 0) FROM {t}")).scalar()
            for t in CREATED}


def sweep(app, at):
    """run_all(at) with each job timed; the rows it created, per table."""
    from prisoncare import clock, jobs
    from prisoncare.extensions import db
    timed = {}

    def wrap(job):
        def run(now):
            started = time.perf_counter()
            try:
                return job.run(now)
            finally:
                timed[job.id] = time.perf_counter() - started
        return replace(job, run=run)

    with app.app_context(), clock.frozen(at):
        before = max_ids(db.session)
        db.session.commit()
        started, cpu = time.perf_counter(), time.process_time()
        results = jobs.run_all(at, jobs=tuple(wrap(j) for j in jobs.JOBS))
        total, cpu = time.perf_counter() - started, time.process_time() - cpu
        after = max_ids(db.session)
        db.session.commit()
        db.session.remove()
    failed = [(j, s) for j, ok, s in results if not ok]
    if failed:
        print("  FAILED jobs:", failed)
    return {"at": at.isoformat(), "total_s": total, "cpu_s": cpu,
            "created": {t: after[t] - before[t] for t in CREATED},
            "jobs": [{"id": j, "ok": ok, "summary": " ".join(s.split())[:80], "s": timed.get(j)}
                     for j, ok, s in results]}


def floor(app, at, rows):
    """One plain query reading the window's doses, one bulk insert of `rows` rows
    (into a scratch table, dropped after), on one connection."""
    from sqlalchemy import select, text

    from prisoncare.extensions import db
    from prisoncare.jobs import _settings
    from prisoncare.models.medication import ScheduledDose
    with app.app_context():
        s = _settings()["doses"]
        start = at - timedelta(hours=s["backfill_hours"])
        end = at + timedelta(hours=s["ahead_hours"])
        t = ScheduledDose.__table__
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            bounds = {k: v.replace(tzinfo=None) if sqlite else v
                      for k, v in (("start", start), ("end", end))}
            began, cpu = time.perf_counter(), time.process_time()
            raw = conn.execute(text("SELECT * FROM scheduled_dose WHERE due_at >= :start "
                                    "AND due_at < :end"), bounds).all()
            read_s, read_cpu = time.perf_counter() - began, time.process_time() - cpu
            began = time.perf_counter()   # the same through SQLAlchemy's types, as the app reads
            read = conn.execute(select(t).where(t.c.due_at >= start, t.c.due_at < end)).all()
            typed_s = time.perf_counter() - began
            assert len(raw) == len(read), (len(raw), len(read))
            conn.execute(text("DROP TABLE IF EXISTS sweep_floor"))
            conn.execute(text(
                "CREATE TABLE sweep_floor (id INTEGER PRIMARY KEY, order_id INTEGER, "
                "patient_id INTEGER, facility_id INTEGER, ward_id INTEGER, due_at TIMESTAMP, "
                "local_date DATE, status VARCHAR(16), status_at TIMESTAMP)"))
            conn.commit()
            sample = read or [None]
            payload = [dict(id=i + 1, order_id=r and r.order_id, patient_id=r and r.patient_id,
                            facility_id=r and r.facility_id, ward_id=r and r.ward_id,
                            due_at=r and r.due_at.replace(tzinfo=None),
                            local_date=r and r.local_date, status="due",
                            status_at=at.replace(tzinfo=None))
                       for i, r in zip(range(rows), sample * (rows // len(sample) + 1))]
            began, cpu = time.perf_counter(), time.process_time()
            if payload:
                conn.execute(text(
                    "INSERT INTO sweep_floor (id, order_id, patient_id, facility_id, ward_id, "
                    "due_at, local_date, status, status_at) VALUES (:id, :order_id, :patient_id, "
                    ":facility_id, :ward_id, :due_at, :local_date, :status, :status_at)"), payload)
                conn.commit()
            insert_s, insert_cpu = time.perf_counter() - began, time.process_time() - cpu
            conn.execute(text("DROP TABLE sweep_floor"))
            conn.commit()
        db.session.remove()
    return {"read_rows": len(read), "read_s": read_s, "typed_read_s": typed_s,
            "insert_rows": rows, "insert_s": insert_s,
            "total_s": read_s + insert_s, "cpu_s": read_cpu + insert_cpu}


def day_ahead_instant(ahead_hours):
    """The first sweep (on a 15-minute grid) whose window [.., at + ahead) reaches
    the 08:00 round of the day after tomorrow."""
    round_at = datetime.combine(TODAY + timedelta(days=3), dtime(8, 0),
                                tzinfo=ZoneInfo(TZ)).astimezone(timezone.utc)
    at = round_at - timedelta(hours=ahead_hours)
    return at + timedelta(minutes=5)


def run_one(url, args):
    from sqlalchemy import create_engine, text

    from prisoncare import clock, create_app
    from prisoncare.jobs import _settings
    engine = create_engine(url)
    with engine.connect() as conn:
        meta = dict(conn.execute(text("SELECT key, value FROM bench_meta")).all())
    engine.dispose()
    scale = json.loads(meta["scale"])
    kind = url.split("+")[0].split(":")[0]
    print(f"== {kind} {scale}")
    work = working_copy(url)
    out = {"db": kind, "scale": scale, "counts": json.loads(meta["counts"])}
    app = None
    try:
        app = create_app("production", SQLALCHEMY_DATABASE_URI=work)
        out["indexes_created"] = prepare(app)
        with app.app_context():
            ahead = _settings()["doses"]["ahead_hours"]

        def measured(name, at):
            result = sweep(app, at)
            result["floor"] = floor(app, at, sum(result["created"].values()))
            print(f"  {name} at {at:%d %H:%M}Z: {result['total_s']:.2f} s (cpu {result['cpu_s']:.2f}),"
                  f" floor {result['floor']['total_s']:.3f} s (cpu {result['floor']['cpu_s']:.3f}),"
                  f" created {result['created']}")
            for j in result["jobs"]:
                print(f"     {j['id']:20s} {j['s']:.3f} s  {j['summary']}")
            return result
        out["first"] = measured("first sweep", NOW)
        pms = Pms(app)
        quarter = timedelta(minutes=15)

        def between(prev, at, part=None, **posts):
            """What happens in the 15 minutes before `at`: nurses record a part of the
            morning round, the PMS posts a few movements."""
            recorded = 0
            if part is not None:
                recorded = nurses_record(app, NOW - timedelta(hours=1), prev, prev, part=part,
                                         recorded_at=at - timedelta(minutes=7))
            posted = pms.post(at, **posts)
            print(f"  before {at:%d %H:%M}Z: {recorded} doses recorded, {posted} custody "
                  f"events posted")
            return {"recorded": recorded, "posted": posted}

        out["routine"], out["between"] = [], []
        moves = [dict(court_out=3, court_return=2, transfer_out=1, court_scheduled=1),
                 dict(court_out=2, court_return=2, court_scheduled=1),
                 dict(court_out=1, court_return=1, transfer_in=1, court_scheduled=1)]
        for k in range(1, args.routine + 1):
            at = NOW + quarter * k
            out["between"].append(between(at - quarter, at, part=(k - 1, args.routine),
                                          **moves[(k - 1) % len(moves)]))
            out["routine"].append(measured("routine sweep", at))
        last = NOW + quarter * args.routine

        # the day boundaries: the first sweep of a new local (Kyiv) day, then of a new
        # UTC day, each 15 minutes after a sweep that caught up with the day so far
        local_midnight = datetime.combine(TODAY + timedelta(days=1), dtime(0, 0),
                                          tzinfo=ZoneInfo(TZ)).astimezone(timezone.utc)
        utc_midnight = datetime.combine(TODAY + timedelta(days=1), dtime(0, 0),
                                        tzinfo=timezone.utc)
        out["boundary"] = {}
        for name, midnight in (("local_day", local_midnight), ("utc_day", utc_midnight)):
            before = midnight - timedelta(minutes=10)
            recorded = nurses_record(app, NOW - timedelta(hours=1), before - quarter, last)
            pms.post(before, court_return=1)
            pre = sweep(app, before)
            print(f"  {recorded} doses recorded in bulk; catch-up sweep at {before:%d %H:%M}Z "
                  f"{pre['total_s']:.2f} s")
            at = before + quarter
            moved = between(before, at, court_out=1, court_return=1, court_scheduled=1)
            out["boundary"][name] = {"catch_up": pre, "between": moved,
                                     "sweep": measured(f"first sweep of the {name}", at)}
            last = at
        at = day_ahead_instant(ahead)
        recorded = nurses_record(app, NOW - timedelta(hours=1), at - quarter, last)
        catch_up = sweep(app, at - quarter)
        print(f"  {recorded} doses recorded in bulk; catch-up sweep "
              f"{catch_up['total_s']:.2f} s")
        out["catch_up"] = catch_up
        out["day_ahead"] = measured("day-ahead sweep", at)
    finally:
        clock.set_now(None)
        if app is not None:
            with app.app_context():
                from prisoncare.extensions import db
                db.session.remove()
                db.engine.dispose()
        drop_copy(work)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="append", default=[],
                        help="a SQLite file bench/build.py made (repeatable)")
    parser.add_argument("--postgres", action="append", default=[],
                        help="a PostgreSQL URL bench/build.py filled (repeatable)")
    parser.add_argument("--routine", type=int, default=3, help="routine sweeps to time")
    parser.add_argument("--append", action="store_true",
                        help="add to (or replace, per database kind and history) the results "
                             "of earlier runs kept in bench/data/sweep-results.json")
    args = parser.parse_args(argv)
    import logging
    logging.disable(logging.INFO)
    results = [run_one("sqlite:///" + os.path.abspath(p), args) for p in args.sqlite]
    results += [run_one(u, args) for u in args.postgres]
    kept = os.path.join(HERE, "data", "sweep-results.json")
    if args.append and os.path.exists(kept):
        with open(kept) as fh:
            earlier = json.load(fh)
        fresh = {(r["db"], r["scale"]["days"]) for r in results}
        results = [r for r in earlier if (r["db"], r["scale"]["days"]) not in fresh] + results
        results.sort(key=lambda r: (r["db"] != "sqlite", r["scale"]["days"]))
    report(results)


if __name__ == "__main__":
    main()

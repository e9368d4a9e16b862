"""Time a year's interruption report and the indicators for the whole country
(issue 8, item 5) on the national-size databases bench/build.py made. Not a test.

    flock /tmp/bench.lock .venv/bin/python -m bench.report \
        --postgres postgresql+psycopg://postgres@127.0.0.1:55433/national \
        [--sqlite bench/data/national.db] [--repeat 5]

Each database is copied first (CREATE DATABASE ... TEMPLATE under its own name, or a
file copy in the temporary directory), migrated to the heads, and swept once at bench.build.NOW: the build writes
doses, not interruption episodes, and the sweep derives ~14,000 of them. Then, as
`auditor.national` (all facilities), the report for the 365 days up to the day before
NOW is computed N times through the service (the same call the API and the dashboard
make), for several groupings, and the indicators likewise: median and range. The copy
is dropped at the end.
"""
import argparse
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 32)

from bench.build import NOW, TODAY  # noqa: E402

FIRST, LAST = TODAY - timedelta(days=365), TODAY - timedelta(days=1)
GROUPINGS = ((), ("sex",), ("facility",), ("month", "programme"), ("sex", "age_band", "legal_status"),
             ("cause",))


def copy_of(url):
    if url.startswith("sqlite:///"):
        src = url[len("sqlite:///"):]
        dst = os.path.join(tempfile.gettempdir(), "prisoncare-report-work.db")  # not beside the build
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(dst + suffix):
                os.remove(dst + suffix)
        conn = sqlite3.connect(src)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        shutil.copyfile(src, dst)
        return "sqlite:///" + dst
    import psycopg
    base, name = url.rsplit("/", 1)
    work = name + "_report_work"
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {work}")
        conn.execute(f"CREATE DATABASE {work} TEMPLATE {name}")
    return f"{base}/{work}"


def drop(url):
    from bench.run import drop_copy
    drop_copy(url)


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times)}, result


def run_one(url, repeat):
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from bench.run import measure_sweep
    from prisoncare import clock, create_app
    from prisoncare.extensions import db
    from prisoncare.models import StaffUser
    from prisoncare.models.interruptions import InterruptionEpisode
    from prisoncare.services.reports import Scope
    from prisoncare.services.reports.indicators import indicators_report
    from prisoncare.services.reports.interruptions import interruption_report

    work = copy_of(url)
    out = {"db": url.split("+")[0].split(":")[0]}
    try:
        clock.set_now(NOW)
        app = create_app("production", SQLALCHEMY_DATABASE_URI=work)
        with app.app_context():
            try:
                upgrade(revision="heads")
            except (Exception, SystemExit) as err:  # noqa: BLE001 - measured on the built schema
                print(f"  migrating the copy to the heads failed ({type(err).__name__}); "
                      "measured on the schema as built")
                out["note"] = "copy not migrated to heads"
            db.session.remove()
        sweep = measure_sweep(app)
        out["sweep_s"] = sweep["total_s"]
        with app.app_context():
            out["episodes"] = db.session.scalar(select(func.count(InterruptionEpisode.id)))
            print(f"== {out['db']}: swept in {sweep['total_s']:.1f} s, {out['episodes']} episodes")
            auditor = db.session.scalar(select(StaffUser).where(StaffUser.all_facilities.is_(True))
                                        .limit(1))
            scope = Scope(FIRST, LAST, None)
            out["report"] = {}
            for groups in GROUPINGS:
                stats, report = timed(lambda g=groups: interruption_report(
                    auditor, scope, g, now=NOW), repeat)
                db.session.rollback()
                stats["rows"] = report["total"]
                stats["totals"] = report["totals"]
                out["report"][",".join(groups) or "(none)"] = stats
                print(f"  report {','.join(groups) or '(none)':32} {stats['median_s']:.2f} s "
                      f"({stats['min_s']:.2f}-{stats['max_s']:.2f}), {stats['rows']} rows, "
                      f"totals {stats['totals']}")
            stats, _ = timed(lambda: indicators_report(auditor, scope, ("sex",), now=NOW), repeat)
            db.session.rollback()
            out["indicators"] = stats
            print(f"  indicators by sex                {stats['median_s']:.2f} s "
                  f"({stats['min_s']:.2f}-{stats['max_s']:.2f})")
            db.session.remove()
            db.engine.dispose()
    finally:
        clock.set_now(None)
        drop(work)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite")
    parser.add_argument("--postgres")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    for url in filter(None, [args.postgres,
                             "sqlite:///" + os.path.abspath(args.sqlite) if args.sqlite else None]):
        run_one(url, args.repeat)


if __name__ == "__main__":
    main()

"""Measure the pill pass, the recording of a dose and the scheduler sweep on the
databases bench/build.py made (issue 4, item 7). Not a test: not in CI.

    .venv/bin/python -m bench.run --sqlite /work/bench-data/national-365.db \
        --postgres postgresql+psycopg://postgres@127.0.0.1:55433/national30

(the databases `python -m bench.build` makes with the 30 % OST/ART mix and the custody
traffic; the figures in bench/results.md were measured on the earlier build,
bench/data/national.db and .../national).

Each database is first copied (a file copy; CREATE DATABASE ... TEMPLATE) so that
recording and the sweep change the copy, never the built database. Then:

* page: GET of the 08:00 pill pass of ward W300 (300 rows) with the Flask test
  client, in process, N times after a warm-up: median and p95; the SQL statements
  of one page for W300 and for W50 (50 rows);
* recording: N `given` doses (JSON API, as pillpass.js posts them) in other
  facilities: median and p95;
* sweep: `prisoncare.jobs.run_all(NOW)` once, each job timed;
* load: gunicorn, 2 sync workers, wrk (2 threads, 8 connections) against the
  pill pass and against a bare 300-row Jinja page of the same app (bench/wsgi.py),
  alternated three times (10 s each) in the same run. wrk comes from Debian (`apt-get install -y
  wrk`, done here when missing and running as root); gunicorn from the `bench` extra.

Results are printed and written to bench/results.md.
"""
import argparse
import http.cookiejar
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 32)
os.environ.setdefault("PRISONCARE_SECURE_COOKIES", "0")

from bench.build import NOW, PASSWORD, TODAY  # noqa: E402
from prisoncare.services.pill_pass import MAX_STATEMENTS  # noqa: E402

PAGE = f"/mar/pill-pass?date={TODAY.isoformat()}&round=08:00"
TARGETS = {"page_ms": 30, "record_ms": 20, "load_ratio": 0.2}


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


# -- working copies ---------------------------------------------------------------------

def working_copy(url, name="work", sqlite_dir=None):
    """A copy of the built database that a benchmark may change: a file copy (SQLite,
    into `sqlite_dir`, by default beside the build) or CREATE DATABASE ... TEMPLATE."""
    if url.startswith("sqlite:///"):
        src = url[len("sqlite:///"):]
        dst = os.path.join(sqlite_dir or os.path.dirname(src),
                           "work.db" if name == "work" else f"{os.path.basename(src)}.{name}.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(dst + suffix):
                os.remove(dst + suffix)
        conn = sqlite3.connect(src)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        shutil.copyfile(src, dst)
        return "sqlite:///" + dst
    import psycopg
    base, db_name = url.rsplit("/", 1)
    work = f"{db_name}_{name}"
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {work}")
        conn.execute(f"CREATE DATABASE {work} TEMPLATE {db_name}")
    return f"{base}/{work}"


def drop_copy(url):
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    import psycopg
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base.replace("postgresql+psycopg://", "postgresql://") + "/postgres",
                         autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")


# -- the pill pass and recording (issue 4) ----------------------------------------------

def settle(app):
    """ANALYZE after the sweep's bulk writes (VACUUM ANALYZE on PostgreSQL), as
    autovacuum does within a minute or two in production. Without it the first pages
    after the first sweep over a year (30,000 alerts into an empty table) are planned
    with the statistics of an empty alert table."""
    from prisoncare.extensions import db
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        db.session.remove()
        db.engine.dispose()


# -- in process -------------------------------------------------------------------------

def logged_in(app, username, ward=None):
    """A test client logged in through the API session, switched to F001 / ward."""
    from sqlalchemy import text

    from prisoncare.extensions import db
    client = app.test_client()
    resp = client.post("/api/v1/session", json={"username": username, "password": PASSWORD})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    csrf = resp.get_json()["csrf_token"]
    if ward:
        with app.app_context():
            fac_id, ward_id = db.session.execute(text(
                "SELECT f.id, w.id FROM facility f JOIN ward w ON w.facility_id = f.id "
                "WHERE f.code = 'F001' AND w.code = :w"), {"w": ward}).one()
        resp = client.post("/switch", data={"facility": fac_id, "ward": ward_id, "back": "/",
                                             "csrf_token": csrf})
        assert resp.status_code == 302
    return client, csrf


def count_statements(app, client, path):
    from sqlalchemy import event

    from prisoncare.extensions import db
    with app.app_context():
        engine = db.engine
    seen = []

    def on_execute(conn, cursor, statement, *rest):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        resp = client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert resp.status_code == 200
    return len(seen), resp.get_data(as_text=True)


def measure_page(app, n):
    client, _ = logged_in(app, "bench.nurse", "W300")
    for _ in range(3):
        assert client.get(PAGE).status_code == 200
    times = []
    for _ in range(n):
        started = time.perf_counter()
        resp = client.get(PAGE)
        times.append((time.perf_counter() - started) * 1000)
        assert resp.status_code == 200
    q300, html = count_statements(app, client, PAGE)
    rows = html.count('class="dose-row')
    blocked = html.count('data-block="review_required"')
    small, _ = logged_in(app, "bench.nurse", "W50")
    small.get(PAGE)
    q50, html50 = count_statements(app, small, PAGE)
    return {"median_ms": statistics.median(times), "p95_ms": pct(times, 0.95), "n": n,
            "rows": rows, "rows_blocked": blocked, "rows_50": html50.count('class="dose-row'),
            "kb_300": len(html.encode()) / 1024, "kb_50": len(html50.encode()) / 1024,
            "hatch_alerts": html.count('class="hatch-alert'),
            "queries_300": q300, "queries_50": q50}


def measure_recording(app, n):
    client, csrf = logged_in(app, "bench.recorder")
    candidates = []
    for f in range(2, 12):
        resp = client.get(f"/api/v1/doses?facility=F{f:03d}&date={TODAY.isoformat()}"
                          "&round=08:00&limit=1000")
        if resp.status_code != 200:
            continue
        candidates += [d["id"] for d in resp.get_json()["items"]
                       if d["status"] == "due" and not d["blocks"]
                       and d["patient"]["custody_status"] == "in_custody"]
    candidates = candidates[:n + 3]
    times, statuses = [], {}
    for i, dose_id in enumerate(candidates):
        started = time.perf_counter()
        resp = client.post(f"/api/v1/doses/{dose_id}/administration",
                           json={"outcome": "given", "witnessed_by": "bench.witness"},
                           headers={"X-CSRF-Token": csrf})
        elapsed = (time.perf_counter() - started) * 1000
        statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
        if i >= 3:               # the first three warm the caches
            times.append(elapsed)
    if not times:
        return {"n": 0, "statuses": statuses}
    return {"median_ms": statistics.median(times), "p95_ms": pct(times, 0.95), "n": len(times),
            "statuses": statuses}


def measure_sweep(app):
    from prisoncare import jobs
    timed = {}

    def wrap(job):
        def run(now):
            started = time.perf_counter()
            try:
                return job.run(now)
            finally:
                timed[job.id] = time.perf_counter() - started
        return replace(job, run=run)

    with app.app_context():
        started = time.perf_counter()
        results = jobs.run_all(NOW, jobs=tuple(wrap(j) for j in jobs.JOBS))
        total = time.perf_counter() - started
    return {"total_s": total,
            "jobs": [{"id": job_id, "ok": ok, "summary": summary, "s": timed.get(job_id)}
                     for job_id, ok, summary in results]}


# -- under load -------------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_wrk():
    if shutil.which("wrk"):
        return shutil.which("wrk")
    if os.geteuid() == 0:
        print("  wrk is missing: apt-get install -y --no-install-recommends wrk")
        subprocess.run(["apt-get", "install", "-y", "--no-install-recommends", "wrk"],
                       check=False, stdout=subprocess.DEVNULL)
    return shutil.which("wrk")


def session_cookie(base):
    """Log bench.nurse in over HTTP and switch to W300: the Cookie header wrk sends."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    req = urllib.request.Request(base + "/api/v1/session", method="POST",
                                 data=json.dumps({"username": "bench.nurse",
                                                  "password": PASSWORD}).encode(),
                                 headers={"Content-Type": "application/json"})
    csrf = json.loads(opener.open(req).read())["csrf_token"]
    html = opener.open(base + "/mar/pill-pass").read().decode()
    ward_id = re.search(r'<option value="(\d+)" >W300 ·', html) or re.search(
        r'<option value="(\d+)"[^>]*>W300 ·', html)
    fac_id = re.search(r'<option value="(\d+)"[^>]*>F001 ·', html)
    data = urllib.parse.urlencode({"facility": fac_id.group(1), "ward": ward_id.group(1),
                                   "back": "/", "csrf_token": csrf}).encode()
    opener.open(urllib.request.Request(base + "/switch", data=data, method="POST"))
    check = opener.open(base + PAGE).read().decode()
    assert check.count('class="dose-row') == 300, "the load test must see the 300-row ward"
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def wrk(wrk_bin, url, seconds, cookie=None):
    cmd = [wrk_bin, "-t2", "-c8", f"-d{seconds}s", "--latency", url]
    if cookie:
        cmd[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    median = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1, "s": 1000}
    return {"rps": rps, "non_2xx": int(bad.group(1)) if bad else 0,
            "socket_errors": errors.group(1) if errors else "",
            "median_ms": float(median.group(1)) * scale[median.group(2)] if median else None}


def measure_load(url, seconds, rounds=3):
    """Pill pass and bare page under the same load, alternated `rounds` times (each
    wrk run `seconds` long): this machine's speed drifts by tens of per cent within
    minutes, and alternating puts both pages through the same drift. The ratio is
    the pill pass's requests over the bare page's, summed over the rounds; each
    round's own ratio is kept to show the spread."""
    wrk_bin = ensure_wrk()
    gunicorn = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    if not wrk_bin or not os.path.exists(gunicorn):
        return {"skipped": "needs wrk (Debian) and gunicorn (pip install -e '.[bench]')"}
    port = free_port()
    env = dict(os.environ, DATABASE_URL=url, PRISONCARE_ENV="production",
               BENCH_NOW=NOW.isoformat(), PYTHONPATH=ROOT)
    server = subprocess.Popen([gunicorn, "-w", "2", "-b", f"127.0.0.1:{port}", "--log-level",
                               "warning", "bench.wsgi:app"], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    pages, bares = [], []
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/bench/bare", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        cookie = session_cookie(base)
        for _ in range(4):   # both workers warm
            urllib.request.urlopen(urllib.request.Request(base + PAGE,
                                                          headers={"Cookie": cookie})).read()
        for _ in range(rounds):
            pages.append(wrk(wrk_bin, base + PAGE, seconds, cookie))
            bares.append(wrk(wrk_bin, base + "/bench/bare", seconds))
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {"page": _summed(pages), "bare": _summed(bares),
            "ratio": sum(p["rps"] for p in pages) / sum(b["rps"] for b in bares),
            "round_ratios": [p["rps"] / b["rps"] for p, b in zip(pages, bares)],
            "seconds": seconds, "rounds": rounds}


def _summed(runs):
    """wrk runs of equal length as one: mean requests/s, the errors summed, the
    median of the medians."""
    return {"rps": statistics.mean(r["rps"] for r in runs),
            "non_2xx": sum(r["non_2xx"] for r in runs),
            "socket_errors": "; ".join(r["socket_errors"] for r in runs if r["socket_errors"]),
            "median_ms": statistics.median(r["median_ms"] for r in runs
                                           if r["median_ms"] is not None)}


# -- the run ----------------------------------------------------------------------------

def meta(url):
    from sqlalchemy import create_engine, text
    engine = create_engine(url)
    with engine.connect() as conn:
        out = dict(conn.execute(text("SELECT key, value FROM bench_meta")).all())
        version = (conn.execute(text("SELECT sqlite_version()")).scalar()
                   if url.startswith("sqlite") else
                   conn.execute(text("SHOW server_version")).scalar())
    engine.dispose()
    out["version"] = version
    return out


def run_one(url, args):
    from prisoncare import clock, create_app
    from prisoncare.extensions import db
    info = meta(url)
    print(f"== {url.split('://')[0]} {info['version']}: scale {info['scale']}")
    work = working_copy(url)
    try:
        clock.set_now(NOW)
        app = create_app("production", SQLALCHEMY_DATABASE_URI=work)
        with app.app_context():   # migrations added since the build (their tables start empty)
            from flask_migrate import upgrade
            try:
                upgrade(revision="heads")
            except (Exception, SystemExit) as err:  # noqa: BLE001 - flask-migrate exits; measured anyway
                print(f"  migrating the copy to the heads failed ({type(err).__name__}: {err});"
                      " jobs needing newer tables will fail (rebuild with --rebuild)")
                out_note = f"copy not migrated to heads: {type(err).__name__}"
            else:
                out_note = None
            db.session.remove()
            db.engine.dispose()
        out = {"db": url.split("+")[0].split(":")[0], "version": info["version"],
               "scale": json.loads(info["scale"]), "counts": json.loads(info["counts"]),
               "note": out_note}
        out["page"] = measure_page(app, args.requests)
        print("  page", out["page"])
        if not args.skip_load:
            out["load"] = measure_load(work, args.load_seconds, args.load_rounds)
            print("  load", out["load"])
        out["record"] = measure_recording(app, args.records)
        print("  record", out["record"])
        out["sweep"] = measure_sweep(app)
        print("  sweep", out["sweep"])
        # the page again, now with the alerts the sweep raised on the hatch
        settle(app)
        out["page_after_sweep"] = measure_page(app, args.requests)
        print("  page after the sweep", out["page_after_sweep"])
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        clock.set_now(None)
        drop_copy(work)
    return out


def fmt(value, unit=""):
    return "—" if value is None else (f"{value:.1f}{unit}" if isinstance(value, float)
                                      else f"{value}{unit}")


def cpu_model() -> str:
    return next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                 if line.startswith("model name")), platform.processor())


def table_row(results, name, target, get, errors=(KeyError, TypeError)) -> str:
    """One markdown row: `get(result)` per database, a dash where it has no value."""
    vals = []
    for r in results:
        try:
            vals.append(get(r))
        except errors:
            vals.append("—")
    return f"| {name} | {target} | " + " | ".join(vals) + " |"


def report(results, args):
    cpu = cpu_model()
    lines = [
        "# Benchmark results (issue 4, item 7)",
        "",
        f"Run {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC by `python -m bench.run` on "
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}. "
        f"The app's clock is frozen at {NOW.isoformat()} (08:10 in Kyiv, the morning round).",
        "",
    ]
    for r in results:
        s, c = r["scale"], r["counts"]
        lines.append(f"- **{r['db']} {r['version']}**: {s['patients']:,} patients in "
                     f"{s['facilities']} facilities, {s['days']} days: "
                     f"{c['scheduled_dose']:,} scheduled doses, {c['dose_administration']:,} "
                     f"administrations, {c['medication_order']:,} orders."
                     + (f" ({r['note']})" if r.get("note") else ""))
    lines += ["", "| measure | target | " + " | ".join(r["db"] for r in results) + " |",
              "|---|---|" + "---|" * len(results)]

    def row(name, target, get):
        lines.append(table_row(results, name, target, get))

    row(f"pill pass, 300-row ward, median (n={args.requests}, test client)", "< 30 ms",
        lambda r: fmt(r["page"]["median_ms"], " ms"))
    row("pill pass, p95", "", lambda r: fmt(r["page"]["p95_ms"], " ms"))
    row("rows shown (of which review-blocked)", "300",
        lambda r: f"{r['page']['rows']} ({r['page']['rows_blocked']})")
    row("SQL statements per page: 50-row ward / 300-row ward", f"≤ {MAX_STATEMENTS}",
        lambda r: f"{r['page']['queries_50']} / {r['page']['queries_300']}")
    row("page size: 300-row ward / 50-row ward", "",
        lambda r: f"{r['page']['kb_300']:.0f} kB / {r['page']['kb_50']:.0f} kB")
    row("after the sweep (its alerts on the hatch): median, p95", "< 30 ms",
        lambda r: f"{fmt(r['page_after_sweep']['median_ms'], ' ms')}, "
                  f"{fmt(r['page_after_sweep']['p95_ms'], ' ms')}")
    row("after the sweep: alert badges shown, statements 50 / 300", f"≤ {MAX_STATEMENTS}",
        lambda r: f"{r['page_after_sweep']['hatch_alerts']}, "
                  f"{r['page_after_sweep']['queries_50']} / {r['page_after_sweep']['queries_300']}")
    row("under load: pill pass, requests/s (gunicorn -w 2, wrk -t2 -c8)", "",
        lambda r: fmt(r["load"]["page"]["rps"]) + (f" ({r['load']['page']['non_2xx']} non-2xx)"
                                                    if r["load"]["page"]["non_2xx"] else ""))
    row("under load: bare 300-row Jinja page, requests/s", "",
        lambda r: fmt(r["load"]["bare"]["rps"]))
    row("under load: pill pass / bare (each round)", "≥ 0.20",
        lambda r: f"{r['load']['ratio']:.3f}" + (
            " (" + ", ".join(f"{x:.3f}" for x in r["load"]["round_ratios"]) + ")"
            if r["load"].get("round_ratios") else ""))
    row("under load: pill pass median latency", "", lambda r: fmt(r["load"]["page"]["median_ms"], " ms"))
    row(f"recording a dose (JSON API), median (n={args.records})", "< 20 ms",
        lambda r: fmt(r["record"]["median_ms"], " ms"))
    row("recording, p95", "", lambda r: fmt(r["record"]["p95_ms"], " ms"))
    row("scheduler sweep `run_all(NOW)`, total", "", lambda r: fmt(r["sweep"]["total_s"], " s"))
    job_ids = [j["id"] for j in results[0]["sweep"]["jobs"]] if results else []
    for job_id in job_ids:
        row(f"  job `{job_id}`", "",
            lambda r, j=job_id: next(f"{x['s']:.3f} s ({' '.join(x['summary'].split())[:70]})" for x in r["sweep"]["jobs"]
                                     if x["id"] == j))
    text = "\n".join(lines) + "\n"
    with open(os.path.join(HERE, "results.md"), "w") as fh:
        fh.write(text)
    print()
    print(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", help="the SQLite file bench/build.py made")
    parser.add_argument("--postgres", help="the PostgreSQL URL bench/build.py filled")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--records", type=int, default=100)
    parser.add_argument("--load-seconds", type=int, default=10)
    parser.add_argument("--load-rounds", type=int, default=3,
                        help="pill pass and bare page alternated this many times")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args(argv)
    import logging
    logging.disable(logging.INFO)
    results = []
    if args.sqlite:
        results.append(run_one("sqlite:///" + os.path.abspath(args.sqlite), args))
    if args.postgres:
        results.append(run_one(args.postgres, args))
    report(results, args)


if __name__ == "__main__":
    main()

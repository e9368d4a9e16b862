"""Benchmark of the navigation's alert count (issue 5): `services.alerts.count_open`,
the one COUNT query every page with the Alerts link runs. Not a test: not in CI.

    .venv/bin/python -m bench.alert_count --sqlite /tmp/national-copy.db [--alerts 300000]

Works on an already migrated COPY of the national database (it writes): when the
copy has no alerts it inserts --alerts of them, spread over the 200 facilities as a
year of sweeps would leave them (about 5 % open, 3 % acknowledged, the rest
resolved; a mix of roles, severities and escalations; a tenth with a custody task),
runs ANALYZE, then times count_open for a ward nurse (one facility), a clinician,
a custody officer and a national user (median and range of 200 calls), and prints
the query plans.
"""
import argparse
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("SECRET_KEY", "bench-" + "x" * 32)


def seed(db, Alert, n):
    from sqlalchemy import insert, select, text
    from bench.build import NOW
    rng = random.Random(5)
    patients = db.session.execute(select(text("id, facility_id")).select_from(
        text("patient")).where(text("facility_id IS NOT NULL"))).all()
    rows = []
    for i in range(n):
        pid, fac = rng.choice(patients)
        status = rng.choices(("open", "acknowledged", "resolved"), (5, 3, 92))[0]
        role = rng.choices(("nurse", "clinician", "release_officer"), (6, 3, 1))[0]
        opened = NOW - timedelta(minutes=rng.randrange(60 * 24 * 365))
        rows.append(dict(dedup_key=f"bench:{i}", rule_code=rng.choice(("OST-M-01", "ART-06", "CHK-01")),
                         severity=rng.choices(("info", "warning", "high", "critical"), (4, 3, 2, 1))[0],
                         role=role, patient_id=pid, facility_id=fac, programme="ost",
                         message="bench", status=status, opened_at=opened,
                         escalation_level=0, custody_message="task" if rng.random() < .1 else None,
                         escalated_to="clinician" if role == "nurse" and rng.random() < .3 else None))
        if len(rows) == 10_000:
            db.session.execute(insert(Alert), rows)
            rows = []
    if rows:
        db.session.execute(insert(Alert), rows)
    db.session.commit()
    db.session.execute(text("ANALYZE alert"))
    db.session.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite")
    parser.add_argument("--postgres")
    parser.add_argument("--alerts", type=int, default=300_000)
    args = parser.parse_args()
    url = f"sqlite:///{args.sqlite}" if args.sqlite else args.postgres
    from prisoncare import create_app
    from prisoncare.extensions import db
    from prisoncare.models import Alert
    from prisoncare.services.alerts import count_open, open_count_query
    from sqlalchemy import func, select
    app = create_app("production", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(Alert)):
            began = time.perf_counter()
            seed(db, Alert, args.alerts)
            print(f"seeded {args.alerts} alerts in {time.perf_counter() - began:.1f} s")
        total = db.session.scalar(select(func.count()).select_from(Alert))
        print(f"{url.split('@')[-1]}: {total} alerts")
        users = {
            "ward nurse (1 facility)": SimpleNamespace(roles={"nurse"}, all_facilities=False, facility_ids={7}),
            "clinician (1 facility)": SimpleNamespace(roles={"clinician"}, all_facilities=False, facility_ids={7}),
            "custody (1 facility)": SimpleNamespace(roles={"custody"}, all_facilities=False, facility_ids={7}),
            "national clinician": SimpleNamespace(roles={"clinician"}, all_facilities=True, facility_ids=set()),
        }
        for name, user in users.items():
            count_open(user)
            times = []
            for _ in range(200):
                began = time.perf_counter()
                result = count_open(user)
                times.append((time.perf_counter() - began) * 1000)
            times.sort()
            print(f"  {name:26} {result}: median {statistics.median(times):.2f} ms "
                  f"(p5 {times[10]:.2f}, p95 {times[190]:.2f})")
            compiled = open_count_query(user).compile(db.engine, compile_kwargs={"literal_binds": True})
            prefix = "EXPLAIN QUERY PLAN " if url.startswith("sqlite") else "EXPLAIN "
            plan = db.session.connection().exec_driver_sql(prefix + str(compiled)).all()
            print("    plan: " + " | ".join(str(row[-1]) for row in plan))
        db.session.rollback()


if __name__ == "__main__":
    main()

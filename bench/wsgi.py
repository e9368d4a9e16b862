"""The app as gunicorn serves it for the load test, plus the yardstick: a bare
300-row Jinja page (no database, no login) served by the same app, the same
hooks and the same workers.

The clock is frozen at BENCH_NOW so the workers see the morning of the built data.
DATABASE_URL names the benchmark's working copy.
"""
import os
from datetime import datetime

from prisoncare import clock, create_app

clock.set_now(datetime.fromisoformat(os.environ.get("BENCH_NOW", "2026-03-10T06:10:00+00:00")))
app = create_app()

BARE = app.jinja_env.from_string("""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bare</title></head><body>
<table><thead><tr><th>Due</th><th>Prison no.</th><th>Name</th><th>Medicine</th><th>Status</th></tr></thead>
<tbody>{% for r in rows %}<tr id="r-{{ r.id }}"><td>{{ r.due }}</td><td>{{ r.number }}</td>
<td>{{ r.family }}, {{ r.given }}</td><td>{{ r.drug }} {{ r.dose }} mg</td><td>{{ r.status }}</td></tr>
{% endfor %}</tbody></table></body></html>""")
ROWS = [dict(id=i, due="08:00", number=f"P{i:07d}", family="Kovalenko", given="Olena",
             drug="Methadone oral solution", dose=60, status="due") for i in range(300)]


@app.route("/bench/bare")
def bare():
    return BARE.render(rows=ROWS)

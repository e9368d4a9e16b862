"""The pill pass's hot statements as server-side prepared statements on PostgreSQL
(prisoncare/db_prepared.py, issue 4 item 7): the page is the same with them and
without them (PRISONCARE_PG_PREPARED_STATEMENTS=0), only the session's user, the rows,
the round times, the hatch alerts, the navigation's count and the review guard's
history and last given instants are prepared,
and a rolled-back transaction (which drops them) does not break the next page."""
import re

import pytest
from sqlalchemy import bindparam, select, text

from prisoncare import create_app, db_prepared
from prisoncare.extensions import db
from prisoncare.models import Facility
from tests.web.helpers import get, login, submit
from tests.web.test_mar_pages import on_methadone, row

PAGE = "/mar/pill-pass?date=2026-03-10&round=08:00"


def page_html(app):
    client = app.test_client()
    assert login(client, "nurse.a").status == 302
    html = client.get(PAGE).get_data(as_text=True)
    return re.sub(r'(name="csrf_token" value|name="csrf-token" content)="[^"]*"', r"\1", html)


def prepared_statements(app) -> list[str]:
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return []
        found = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
        db.session.rollback()
        return found


def test_the_page_is_the_same_with_and_without_prepared_statements(app, world, logged_in):
    on_methadone(app, "PP-1", start_days=6)            # four unrecorded days: review required
    on_methadone(app, "PP-2", given="Iryna", family="Bondar")
    with_them = page_html(app)
    page = get(logged_in("nurse.a"), PAGE)
    assert "Review required" in row(page, "PP-1").text
    assert "Review required" not in row(page, "PP-2").text
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        prepared = prepared_statements(app)
        # the session's user, the rows, the round times, the guard's history, the
        # hatch alerts and the navigation's count; the last given instants are not
        # asked: nobody blocked has a review on file
        assert len(prepared) == 6, prepared
        assert any("FROM staff_session" in s for s in prepared)
        assert any("alert.status IN ('open', 'acknowledged')" in s for s in prepared)
        assert any("SELECT count(*)" in s and "FROM alert" in s for s in prepared)
        assert any("json_array_length" in s for s in prepared)
        assert any("SELECT DISTINCT scheduled_dose.due_at" in s for s in prepared)
        assert any("UNION ALL" in s for s in prepared)
    plain = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                       PG_PREPARED_STATEMENTS=False)
    try:
        assert page_html(plain) == with_them
        assert prepared_statements(plain) == []
    finally:
        with plain.app_context():
            db.engine.dispose()


def test_a_rolled_back_transaction_does_not_break_the_next_page(app, world, logged_in):
    on_methadone(app, "PP-1", start_days=6)
    client = logged_in("nurse.a")
    first = client.get(PAGE).get_data(as_text=True)
    with app.app_context():                    # psycopg drops its prepared statements here
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
    assert prepared_statements(app) == []
    again = client.get(PAGE)
    assert again.status_code == 200
    assert again.get_data(as_text=True).count("Review required") == first.count("Review required") == 1


def test_a_review_on_file_reads_the_last_given_instants(app, world, logged_in):
    """Only a blocked patient with a review on file needs her last given instant (was
    the review after it?): that statement runs then, prepared, and the review lifts
    the block."""
    pid = on_methadone(app, "PP-1", start_days=6)
    client = logged_in("clinician.a")
    assert "Review required" in row(get(client, PAGE), "PP-1").text
    page = get(client, f"/patients/{pid}")
    assert submit(client, page, {"programme": "ost", "note": "Seen after missed days"},
                  action=f"/mar/patients/{pid}/reviews").status == 302
    assert "Review required" not in row(get(client, PAGE), "PP-1").text
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        assert any("max(dose_administration.administered_at)" in s
                   for s in prepared_statements(app))


def test_statement_lists_are_expanded_once_and_a_callers_list_is_refused(app, world):
    """db_prepared writes the values a statement carries (its statuses, the user's
    facilities, a pattern with its percent signs) into its fixed SQL as literals; a
    caller's list must be one array parameter (db_types.in_list), or each page would
    compile anew."""
    with app.app_context():
        by_codes = select(Facility.code).where(Facility.code.in_(("FAC-A", "FAC-B")),
                                               Facility.name.not_like("%no such name%"),
                                               Facility.id != bindparam("not_id"))
        assert sorted(c for c, in db_prepared.rows(by_codes, {"not_id": 0})) == ["FAC-A", "FAC-B"]
        if db.engine.dialect.name == "postgresql":
            theirs = select(Facility.code).where(Facility.id.in_(bindparam("ids", expanding=True)))
            with pytest.raises(TypeError, match="in_list"):
                db_prepared.rows(theirs, {"ids": [1]})

"""Rows of the role x route matrix for the report and dashboard routes (see test_authz_matrix.py)."""
from .matrix_common import only  # noqa: F401

AUDITORS = only("auditor")

ROWS = {
    ("GET", "/api/v1/reports/interruptions"): (AUDITORS, 401),
    ("GET", "/api/v1/reports/interruptions/episodes"): (AUDITORS, 401),
    # episode 999999 does not exist: a 404 for auditors
    ("GET", "/api/v1/reports/interruptions/episodes/<int:episode_id>"): (AUDITORS, 401),
    ("GET", "/api/v1/reports/indicators"): (AUDITORS, 401),
    ("GET", "/reports"): (AUDITORS, "login"),
    ("GET", "/reports/episodes"): (AUDITORS, "login"),
    ("GET", "/reports/episodes/<int:episode_id>"): (AUDITORS, "login"),
}

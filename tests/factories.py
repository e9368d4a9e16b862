"""Test data built through the services (so it is valid data), and an API
client that logs in and sends the CSRF header like the browser does."""
from datetime import date
from types import SimpleNamespace

from prisoncare import clock
from prisoncare.cli import CliActor
from prisoncare.extensions import db
from prisoncare.services import custody, facilities, patients, users

PASSWORD = "correct-horse-battery"
SYSTEM = CliActor(username="cli:tests")


def make_facility(code, population="women", timezone="Europe/Kyiv", wards=("A", "B"), kind="pretrial"):
    return facilities.create_facility(
        SYSTEM, code=code, name=f"Test facility {code}", kind=kind, population=population,
        timezone=timezone, wards=[{"code": w, "name": f"Ward {w}"} for w in wards], now=clock.now())


def make_user(username, roles, facility_codes=(), all_facilities=False):
    return users.create_user(SYSTEM, username=username, password=PASSWORD, roles=list(roles),
                             facility_codes=list(facility_codes), all_facilities=all_facilities,
                             now=clock.now())


def make_patient(prison_number="T-1", facility="FAC-A", sex="female", given="Test", family="Patient",
                 born=date(1990, 1, 1)):
    return patients.create_patient(SYSTEM, dict(
        prison_number=prison_number, given_name=given, family_name=family, date_of_birth=born,
        sex=sex, facility=facility), now=clock.now())


def admit(patient, facility="FAC-A", ward="A", at=None, legal_status="pretrial"):
    return custody.record_event(SYSTEM, patient, dict(
        type="admission", occurred_at=at or clock.now(), facility=facility, ward=ward,
        legal_status=legal_status), now=clock.now())


ROLES = ("nurse", "clinician", "release_officer", "auditor", "custody", "admin")


def build_world():
    """FAC-A (women) and FAC-B (men); for each role a user `<role>.a` in FAC-A and
    `<role>.b` in FAC-B; `auditor.national` with all facilities."""
    fac_a = make_facility("FAC-A", population="women")
    fac_b = make_facility("FAC-B", population="men", wards=("M1",))
    for role in ROLES:
        make_user(f"{role}.a", [role], ["FAC-A"])
        make_user(f"{role}.b", [role], ["FAC-B"])
    make_user("auditor.national", ["auditor"], all_facilities=True)
    db.session.commit()
    return SimpleNamespace(fac_a_id=fac_a.id, fac_b_id=fac_b.id)


class ApiClient:
    """A logged-in JSON client: adds the X-CSRF-Token header to every write."""

    def __init__(self, client):
        self.client = client
        self.csrf = None

    def login(self, username, password=PASSWORD):
        resp = self.client.post("/api/v1/session", json={"username": username, "password": password})
        assert resp.status_code == 200, resp.get_json()
        self.csrf = resp.get_json()["csrf_token"]
        return resp

    def _headers(self, headers=None):
        out = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        out.update(headers or {})
        return out

    def get(self, path, **kw):
        return self.client.get(path, **kw)

    def post(self, path, json=None, **kw):
        return self.client.post(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def put(self, path, json=None, **kw):
        return self.client.put(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def patch(self, path, json=None, **kw):
        return self.client.patch(path, json=json, headers=self._headers(kw.pop("headers", None)), **kw)

    def delete(self, path, **kw):
        return self.client.delete(path, headers=self._headers(kw.pop("headers", None)), **kw)

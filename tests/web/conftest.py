import pytest

from tests.web.helpers import login


@pytest.fixture
def logged_in(app, world):
    """logged_in("nurse.a") -> a test client logged in through the login form."""

    def make(username):
        client = app.test_client()
        resp = login(client, username)
        assert resp.status == 302, resp.html
        return client

    return make

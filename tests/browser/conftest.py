"""Browser tests: Debian's Chromium driven by Playwright for Python against a live
server on SQLite. Never downloads a browser (no `playwright install`).

The top-level autouse fixture freezes `prisoncare.clock` at NOW; the server
thread shares that module global, so the app sees the same frozen time.
"""
import os
import threading
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from prisoncare import create_app
from tests.conftest import skip_or_fail, wipe

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the session."""
    if not os.path.exists(CHROMIUM):
        skip_or_fail(f"browser tests need Debian's Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as err:
        skip_or_fail(f"browser tests need Playwright for Python ({err})")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def live_app(sqlite_url):
    """The app on the test SQLite database with the test world; the tables are
    emptied afterwards, as the top-level `app` fixture does."""
    from tests.factories import build_world
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=sqlite_url)
    with app.app_context():
        world = build_world()
    yield app, world
    wipe(app)


@pytest.fixture
def live_server(live_app):
    app, world = live_app
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_port}", app=app, world=world)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def new_page(chromium, live_server):
    """new_page() -> a page in a fresh browser context (its own cookies) on the live
    server. Requests to any other host are refused and remembered: the pages must
    load nothing from the internet."""
    contexts, offsite = [], []

    def make():
        context = chromium.new_context(base_url=live_server.url, locale="en-GB",
                                       timezone_id="Europe/Kyiv")
        context.set_default_timeout(5000)

        def only_local(route):
            if route.request.url.startswith(live_server.url + "/"):
                route.continue_()
            else:
                offsite.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert offsite == [], f"pages asked for something off the site: {offsite}"


@pytest.fixture
def page(new_page):
    return new_page()

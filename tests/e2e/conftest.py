"""Browser tests: Debian's chromium driven by Playwright against Django's live server."""

from pathlib import Path

import pytest
from django.db import connections

from tests.e2e.browser import CHROMIUM, WAIT_MS


@pytest.fixture
def browser_page(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls in the test are still safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 1360, "height": 900}, accept_downloads=True)
        # The tests wait for events (a navigation, an element, a text), never for a time; these limits only end a
        # test that is broken. Playwright's 30 s default is missed on a loaded two-core machine, where approving
        # publishes inside the request (render, sign, ILCD) with the embedded default.
        context.set_default_timeout(WAIT_MS)
        context.set_default_navigation_timeout(WAIT_MS)
        yield context.new_page()
        context.close()
        browser.close()
        # The test's ORM calls ran inside Playwright's event loop, whose context gets its own database
        # connection (asgiref locals); close it here, or PostgreSQL cannot drop the test database.
        connections.close_all()

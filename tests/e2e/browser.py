"""Helpers of the browser tests (the fixture is in conftest.py)."""

import os
from pathlib import Path

SCREENS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/screens"))
# Debian's chromium; Ubuntu's chromium-browser (a snap) where that is what scripts/check_system.sh installed.
CHROMIUMS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium")
CHROMIUM = next((path for path in CHROMIUMS if Path(path).exists()), CHROMIUMS[0])
WAIT_MS = 300_000  # a safety net for a broken test, far above any wait on a loaded machine (see conftest.py)


def log_in(page, base: str, username: str, next_path: str = "/dashboard/") -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}{next_path}")


def submit(page, button) -> None:
    """Click a form's button and wait for the page the POST leads to, then for its success message. (Waiting
    for `.message-success` alone can match the previous page's message before the new page arrives.)"""
    with page.expect_navigation():
        button.click()
    page.locator(".message-success").first.wait_for()


def shoot(page, name: str) -> None:
    """The whole page, in a window as tall as the page, so sticky bars sit where they end up."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    page.set_viewport_size({"width": viewport["width"], "height": page.evaluate("document.documentElement.scrollHeight")})
    page.screenshot(path=str(SCREENS / f"{name}.png"))
    page.set_viewport_size(viewport)

"""A buyer checks files and compares versions in a real browser, in English and Chinese: the EPD's status
is the verify page's headline (its colour too), and the compare page shows exactly the versions ticked."""

import pytest

from registry import lifecycle
from registry.models import ArtefactName, RegistryEntry
from tests.e2e.browser import log_in, shoot

pytestmark = pytest.mark.browser
GREEN, RED, AMBER = "rgb(23, 102, 58)", "rgb(180, 35, 24)", "rgb(138, 75, 0)"  # --ok, --error, --warning


@pytest.fixture
def files(published, republish, operator_olga, tmp_path):
    """Prepared before the browser starts: v1 superseded by v2, another EPD revoked; their PDFs on disk."""
    first = published()
    second = republish(first)
    revoked = published(seed=2, product_name="Hot-rolled sections HEA S355", category="long.sections")
    lifecycle.revoke(revoked.entry, actor=operator_olga, reason="Falsified energy data")
    paths = {}
    for name, publication in {"superseded": first, "valid": second, "revoked": revoked}.items():
        path = tmp_path / f"{name}.pdf"
        with publication.artefacts.get(name=ArtefactName.PDF).file.open("rb") as handle:
            path.write_bytes(handle.read())
        paths[name] = path
    return first, second, revoked, paths


def verify(page, base, path) -> tuple[str, str]:
    page.goto(f"{base}/verify/")
    page.locator("#document").set_input_files(str(path))
    page.locator("form.card button[type=submit]").click()
    headline = page.locator("[data-testid=verdict-headline]")
    headline.wait_for()
    return headline.inner_text(), headline.evaluate("h => getComputedStyle(h).color")


def test_verify_headline_is_the_status_in_both_languages(live_server, files, browser_page):
    _first, second, _revoked, paths = files
    page, base = browser_page, live_server.url

    text, colour = verify(page, base, paths["valid"])
    assert text == "✓ Authentic and valid" and colour == GREEN
    shoot(page, "pages-verify-valid-en")
    text, colour = verify(page, base, paths["revoked"])
    assert text.startswith("✗ Revoked") and colour == RED
    assert "Falsified energy data" in page.locator("[data-testid=verdict-reason]").inner_text()
    assert "Authentic file" in page.locator("[data-testid=verdict-authentic]").inner_text()  # the small print
    shoot(page, "pages-verify-revoked-en")
    text, colour = verify(page, base, paths["superseded"])
    assert text.startswith("⚠ Superseded") and colour == AMBER
    page.locator("[data-testid=verdict-current]").click()
    page.wait_for_url(f"{base}/epds/{second.registration_number}/")

    page.locator(".lang-switch button[value='zh-hans']").click()
    page.wait_for_selector("html[lang='zh-Hans']")
    text, colour = verify(page, base, paths["revoked"])
    assert text.startswith("✗ 已撤销") and colour == RED
    shoot(page, "pages-verify-revoked-zh")
    text, colour = verify(page, base, paths["superseded"])
    assert "已被取代" in text and colour == AMBER
    assert "查看当前版本" in page.locator("[data-testid=verdict-current]").inner_text()
    shoot(page, "pages-verify-superseded-zh")


def test_compare_shows_the_versions_ticked_in_both_languages(live_server, files, browser_page):
    first = files[0]
    page, base = browser_page, live_server.url
    number = first.registration_number

    page.goto(f"{base}/?status=any")
    page.get_by_label(f"Compare {number} v1").check()
    page.get_by_label(f"Compare {number} v2").check()
    page.get_by_role("button", name="Compare selected (up to 4)").click()
    page.wait_for_url("**/compare/**")
    headers = page.locator("[data-testid=compared]")
    assert sorted(headers.nth(i).get_attribute("data-version") for i in range(headers.count())) == ["1", "2"]
    statuses = page.locator(".compare-table .badge")
    assert sorted(statuses.nth(i).get_attribute("data-status") for i in range(statuses.count())) == ["superseded", "valid"]
    shoot(page, "pages-compare-en")
    page.locator(".lang-switch button[value='zh-hans']").click()
    page.wait_for_selector("html[lang='zh-Hans']")
    headers = page.locator("[data-testid=compared]")
    assert sorted(headers.nth(i).get_attribute("data-version") for i in range(headers.count())) == ["1", "2"]
    assert "版本" in headers.first.inner_text()
    shoot(page, "pages-compare-zh")


def test_operator_confirms_before_revoking_and_errors_are_site_pages(live_server, files, browser_page):
    second = files[1]
    page, base = browser_page, live_server.url
    log_in(page, base, "operator_olga", f"/epds/{second.registration_number}/")
    page.get_by_label("Reason (shown on this page and logged)").fill("Complaint under review")
    page.get_by_role("button", name="Revoke").click()
    confirm = page.locator("[data-testid=confirm-status]")
    confirm.wait_for()
    assert RegistryEntry.objects.get(pk=second.entry.pk).status == "valid"  # nothing changed yet
    shoot(page, "pages-confirm-revoke-en")
    confirm.get_by_label(f"Yes, revoke {second.registration_number} version 2").check()
    confirm.get_by_role("button", name="Revoke").click()
    page.wait_for_selector(".message-success")
    assert page.locator(".status-block [data-status=revoked]").is_visible()

    page.locator(".lang-switch button[value='zh-hans']").click()
    page.wait_for_selector("html[lang='zh-Hans']")
    page.goto(f"{base}/epds/EPD-STEEL-2026-999999/")
    assert page.locator("[data-testid=error-page] h1").inner_text() == "找不到页面"
    shoot(page, "pages-404-zh")

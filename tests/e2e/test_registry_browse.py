"""A buyer, in a real browser and without an account: search and filter, open an EPD, compare two,
download the signed PDF and check it against the registry."""

import hashlib
from pathlib import Path

import pytest

from registry.models import ArtefactName
from tests.e2e.browser import shoot

pytestmark = pytest.mark.browser


@pytest.fixture
def three_epds(published):
    """Published before the browser starts: signing runs its own event loop, Playwright's would be in the way."""
    from declarations.models import PCR

    rebar = published()
    sections = published(seed=2, product_name="Hot-rolled sections HEA S355", category="long.sections")
    plate = published(seed=3, product_name="Heavy plate S355J2", category="flat.plate", production_route="bf_bof",
                      pcr=PCR.objects.get(code="ies-2019-14"))  # fmt: skip
    return rebar, sections, plate


def test_buyer_searches_opens_compares_and_downloads(live_server, three_epds, browser_page):
    rebar, sections, plate = three_epds
    page, base = browser_page, live_server.url

    page.goto(f"{base}/")
    assert page.locator(".epd-result").count() == 3
    shoot(page, "9-search")
    page.get_by_label("Category").select_option("long")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**category=long**")
    assert page.locator(".epd-result").count() == 2
    page.get_by_label("Product, grade, standard, manufacturer or registration number").fill("sections")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url("**q=sections**")
    assert page.locator(".epd-result").count() == 1
    page.get_by_label("GWP A1-A3 maximum").fill("cheap")
    page.get_by_role("button", name="Search").click()
    assert "must be a number" in page.locator(".search-form").inner_text()

    page.goto(f"{base}/")
    page.get_by_role("link", name=plate.document["product"]["name"]).click()
    page.wait_for_url(f"{base}/epds/{plate.registration_number}/")
    assert page.locator("[data-testid=gwp]").is_visible() and page.locator(".chart svg").count() == 1
    shoot(page, "10-epd")
    with page.expect_download() as download:
        page.locator(f"[data-testid='download-{ArtefactName.PDF}']").click()
    content = Path(download.value.path()).read_bytes()
    assert content.startswith(b"%PDF-")
    assert hashlib.sha256(content).hexdigest() == plate.artefacts.get(name=ArtefactName.PDF).sha256

    page.goto(f"{base}/")
    page.get_by_label(f"Compare {rebar.registration_number}").check()
    page.get_by_label(f"Compare {plate.registration_number}").check()
    page.get_by_role("button", name="Compare selected (up to 4)").click()
    page.wait_for_url("**/compare/**")
    table = page.locator(".compare-table").inner_text()
    assert rebar.registration_number in table and plate.registration_number in table and sections.registration_number not in table
    assert "PCR" in page.locator("[data-testid=not-comparable]").inner_text()
    shoot(page, "11-compare")

    page.goto(f"{base}/verify/")
    pdf = Path(download.value.path())
    page.get_by_label("EPD file: the PDF, or the JSON (epd.json or openepd.json)").set_input_files(str(pdf))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_selector("[data-testid=verdict]")
    assert "Authentic" in page.locator("[data-testid=verdict]").inner_text()
    assert page.locator("[data-testid=verdict-status]").inner_text() == "valid"
    shoot(page, "12-verify")

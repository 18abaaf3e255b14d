"""The verifier's review page and the mill's pages in a real browser at 1280x800, in English and Chinese:
module D stays in view, values print as on the public page, and a change request reaches the mill."""

import pytest

from declarations import catalogue
from declarations.models import Declaration, Result
from tests.e2e.browser import log_in, shoot
from verification import review

pytestmark = pytest.mark.browser
LAPTOP = {"width": 1280, "height": 800}


def switch_language(page, code: str) -> None:
    page.locator(f".lang-switch button[value='{code}']").click()
    page.wait_for_selector(f"html[lang='{'zh-Hans' if code == 'zh-hans' else code}']")


def column_in_view(page, header) -> bool:
    """The column header is inside the viewport once its scrolling box brings it there (no page-wide scroll)."""
    header.scroll_into_view_if_needed()
    box = header.bounding_box()
    page_scrolls_sideways = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= LAPTOP["width"] and not page_scrolls_sideways


def declare_every_module(declaration) -> None:
    """The widest results table: every EN 15804 module declared (C2's values stand in for the missing ones)."""
    c2 = list(declaration.results.filter(module="C2"))
    missing = [m for m in catalogue.module_codes() if m not in declaration.declared_modules]
    Result.objects.bulk_create(
        [Result(declaration=declaration, indicator=r.indicator, module=m, value=r.value, exponent=r.exponent) for r in c2 for m in missing]
    )
    Declaration.objects.filter(pk=declaration.pk).update(declared_modules=catalogue.module_codes())


def test_review_then_mill_sees_the_request_in_both_languages(live_server, browser_page, in_verification, mill_alice, verifier_vera):
    declaration = in_verification()
    declare_every_module(declaration)
    review.add_comment(declaration, author=verifier_vera, text="Module D credits look high.", module="D")
    page, base = browser_page, live_server.url
    page.set_viewport_size(LAPTOP)

    log_in(page, base, "verifier_vera", f"/reviews/{declaration.pk}/")
    table = page.locator("table.results-table")
    d_header = table.locator("thead th", has_text="D").last
    assert d_header.inner_text().strip() == "D"
    first_column_x = table.locator("tbody th").first.bounding_box()["x"]
    assert column_in_view(page, d_header)  # 17 modules: the table scrolls sideways to D …
    assert table.locator("tbody th").first.bounding_box()["x"] == first_column_x  # … and the indicators stay put
    odp = table.locator("tr", has=page.locator("th", has_text="ODP")).locator("td.num").first.inner_text()
    assert "E-" in odp and len(odp) <= 9  # 8.28E-09, not 0.00000000828
    shoot(page, "pages-review-en")
    page.get_by_label("New comment").fill("Please state the source of the scrap input in A1-A3.")
    page.get_by_label("Indicator (optional)").select_option("SM")
    page.get_by_label("Module (optional)").select_option("A1-A3")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_selector(".message-success")
    page.get_by_label("What must the mill change?").fill("Document the scrap input (SM) and the module D credit.")
    page.get_by_role("button", name="Request changes").click()
    page.wait_for_selector(".message-success")
    assert Declaration.objects.get(pk=declaration.pk).status == "changes_requested"
    switch_language(page, "zh-hans")
    assert column_in_view(page, page.locator("table.results-table thead th").last)
    shoot(page, "pages-review-zh")

    log_in(page, base, "mill_alice", f"/declarations/{declaration.pk}/")
    request = page.locator("[data-testid=change-request]")
    assert "Document the scrap input (SM) and the module D credit." in request.locator("[data-testid=change-request-text]").inner_text()
    assert request.locator("[data-testid=review-comment]").count() == 2
    shoot(page, "pages-mill-detail-en")
    request.get_by_role("link", name="SM · A1-A3").click()
    page.wait_for_url(f"**/declarations/{declaration.pk}/results/#cell-SM_A1_A3")
    cell = page.locator("#cell-SM_A1_A3")
    assert "has-comment" in cell.get_attribute("class")
    assert page.locator("td.has-comment[data-module=D]").count() > 10  # the whole module D column
    assert page.locator("td[data-module=D] input").first.is_editable()
    assert column_in_view(page, page.locator("th[data-module=D]"))
    shoot(page, "pages-mill-results-en")
    switch_language(page, "zh-hans")
    assert "验证员要求修改" in page.locator("[data-testid=change-request]").inner_text()
    shoot(page, "pages-mill-results-zh")
    page.goto(f"{base}/declarations/{declaration.pk}/")
    shoot(page, "pages-mill-detail-zh")

"""A mill's LCA engineer, in a real browser: download the CSV template, fill it, upload it, read the
error that names the cell, fix it, upload again, and submit the declaration for verification."""

import csv
import io
import random
from pathlib import Path

import pytest
from celery import current_app

from declarations.forms import cell_anchor
from declarations.samples import plausible_results
from tests.e2e.browser import SCREENS, shoot, submit

BAD_VALUE = "2,150.7"  # a thousands separator: ambiguous, so the platform refuses it


@pytest.fixture
def checks_on_a_worker():
    """Queue the checks as production does instead of running them inside the request, so the page
    shows the declaration as the mill sees it right after submitting: "submitted"."""
    eager = current_app.conf.task_always_eager
    current_app.conf.task_always_eager = False
    yield
    current_app.conf.task_always_eager = eager


def fill_template(template: bytes, values: dict[str, dict[str, str]]) -> bytes:
    rows = list(csv.reader(io.StringIO(template.decode("utf-8-sig"))))
    header_index = next(i for i, row in enumerate(rows) if row and row[0] == "Code")
    modules = rows[header_index]
    for row in rows[header_index + 1 :]:
        for column, module in enumerate(modules[3:], start=3):
            value = values.get(row[0], {}).get(module)
            if value is not None:
                row[column] = value
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("utf-8-sig")


@pytest.mark.browser
def test_producer_imports_fixes_and_submits(live_server, browser_page, make_declaration, mill_alice, checks_on_a_worker, tmp_path):
    declaration = make_declaration(results=False, product_name_zh="热轧带肋钢筋 B500B")
    make_declaration(product_name="Wire rod SAE1008", category="long.wirerod", seed=3)
    page = browser_page
    base = live_server.url

    page.goto(f"{base}/accounts/login/?next=/dashboard/")
    page.get_by_label("Username").fill("mill_alice")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/dashboard/")
    assert page.get_by_role("heading", name="Draft").is_visible()
    shoot(page, "1-dashboard")

    page.goto(f"{base}/declarations/{declaration.pk}/edit/")
    shoot(page, "2-editor")

    page.goto(f"{base}/declarations/{declaration.pk}/import/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Template (CSV)").click()
    template = Path(download.value.path()).read_bytes()

    sample = plausible_results("scrap_eaf", "long.rebar", rng=random.Random(7))
    values = {code: {module: format(v.normalize(), "f") for module, v in row.items()} for code, row in sample.results.items()}
    good = values["GWP-total"]["A1-A3"]
    values["GWP-total"]["A1-A3"] = BAD_VALUE
    filled = tmp_path / "results.csv"
    filled.write_bytes(fill_template(template, values))

    page.get_by_label("Results file").set_input_files(str(filled))
    page.get_by_role("button", name="Import results").click()
    errors = page.locator("#import-findings")
    errors.wait_for()
    assert "was not imported" in page.locator("#import-errors").inner_text()
    first = errors.locator("tbody tr").first.inner_text()
    assert "4" in first and "G" in first and "GWP-total" in first and "A1-A3" in first, first
    # Both readings are named: 2150.7 the English way, no number the German or French way.
    assert f"Cell G4 (GWP-total, A1-A3): “{BAD_VALUE}” can be read two ways: 2150.7 the English way" in errors.inner_text()
    shoot(page, "4-import-errors")

    values["GWP-total"]["A1-A3"] = good
    filled.write_bytes(fill_template(template, values))
    page.get_by_label("Results file").set_input_files(str(filled))
    page.get_by_role("button", name="Import results").click()
    page.wait_for_url(f"{base}/declarations/{declaration.pk}/")
    assert "Results saved" in page.locator(".messages").inner_text()

    page.goto(f"{base}/declarations/{declaration.pk}/results/")
    shoot(page, "3-results-grid")
    page.get_by_label("GWP-fossil C2", exact=True).fill("-8")
    page.get_by_role("button", name="Save results").click()
    bad_cell = page.locator(f"#{cell_anchor('GWP-fossil', 'C2')}")
    bad_cell.wait_for()
    assert "is negative" in bad_cell.inner_text()
    assert bad_cell.locator("input").input_value() == "-8"
    bad_cell.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENS / "3b-results-grid-errors.png"))

    page.goto(f"{base}/declarations/{declaration.pk}/")
    assert "No problems found" in page.locator("#checks-title + *").inner_text()
    shoot(page, "5-declaration-before-submit")
    page.get_by_label("Comment (optional)").fill("Ready for verification")
    submit(page, page.get_by_role("button", name="Submit for verification"))
    assert page.locator(".page-head [data-status]").inner_text() == "submitted"
    assert "Ready for verification" in page.locator("#audit-trail").inner_text()
    shoot(page, "6-declaration-submitted")

    declaration.refresh_from_db()
    assert declaration.status == "submitted"
    assert declaration.gwp_a1a3() == sample.gwp_a1a3

"""A verifier and a mill, in a real browser: the verifier reads the findings, acknowledges the warnings
and requests a change; the mill answers, edits and resubmits; the verifier approves with a statement."""

import pytest

from declarations.models import Declaration
from tests.e2e.browser import log_in, shoot
from verification import checks, review

pytestmark = pytest.mark.browser


def acknowledge_all(page):
    forms = page.locator("form[action$='/acknowledge/']")
    while forms.count():
        forms.first.locator("input[name=comment]").fill("Confirmed against the plant's energy bills.")
        forms.first.get_by_role("button", name="Acknowledge").click()
        page.wait_for_selector(".message-success")


def test_verifier_requests_changes_then_approves(live_server, browser_page, in_verification, mill_alice, verifier_vera):
    declaration = in_verification(production_route="bf_bof", sample_route="scrap_eaf")  # P2 and P11 warn
    page, base = browser_page, live_server.url

    log_in(page, base, "verifier_vera", "/reviews/")
    page.get_by_role("link", name=declaration.product_name).click()
    page.wait_for_url(f"{base}/reviews/{declaration.pk}/")
    assert page.locator("[data-testid=finding-P11]").is_visible()
    shoot(page, "7-review")
    acknowledge_all(page)
    page.get_by_label("New comment").fill("Please state the source of the scrap input in A1-A3.")
    page.get_by_label("Indicator (optional)").select_option("SM")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_selector(".message-success")
    page.get_by_label("What must the mill change?").fill("Document the scrap input (SM) in the description.")
    page.get_by_role("button", name="Request changes").click()
    page.wait_for_selector(".message-success")
    assert Declaration.objects.get(pk=declaration.pk).status == "changes_requested"

    log_in(page, base, "mill_alice", "/dashboard/")
    page.goto(f"{base}/reviews/{declaration.pk}/")
    page.get_by_placeholder("Answer…").fill("Weighbridge data 2025, see section 3 of the report.")
    page.get_by_role("button", name="Answer").click()
    page.wait_for_selector(".message-success")
    page.goto(f"{base}/declarations/{declaration.pk}/edit/")
    page.get_by_label("Description and intended use").fill("Rebar for concrete. Scrap input from plant weighbridge data 2025.")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_selector(".message-success")
    page.goto(f"{base}/declarations/{declaration.pk}/")
    page.get_by_role("button", name="Submit for verification").click()
    page.wait_for_selector(".message-success")
    checks.run_checks(Declaration.objects.get(pk=declaration.pk))  # what the worker does after the commit

    log_in(page, base, "verifier_vera", "/reviews/")
    page.goto(f"{base}/reviews/{declaration.pk}/")
    assert "Weighbridge data 2025" in page.locator("[data-testid=comment]").first.inner_text()
    assert page.get_by_text("Changed since the previous revision").is_visible()
    acknowledge_all(page)
    for label in review.CHECKLIST.values():
        page.get_by_label(str(label)).check()
    page.get_by_role("button", name="Save checklist").click()
    page.wait_for_selector(".message-success")
    page.get_by_label("Statement").fill("Verified against EN 15804+A2 and EN 17662; no relevant deviations.")
    page.get_by_role("button", name="Approve", exact=True).click()
    page.wait_for_selector(".message-success")
    shoot(page, "8-approved")

    declaration.refresh_from_db()
    # Approval queues publishing: in-process (embedded default) it is already published, with a worker not yet.
    assert declaration.status in ("approved", "published")
    assert declaration.verification_statement.statement.startswith("Verified against EN 15804+A2")
    trail = page.locator("[data-testid=audit]").inner_text()
    for step in ("changes requested", "submitted", "in verification", "approved"):
        assert step in trail, trail

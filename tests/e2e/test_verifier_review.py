"""A verifier and a mill, in a real browser: the verifier reads the findings, acknowledges the warnings
and requests a change; the mill answers, edits and resubmits; the verifier approves with a statement."""

import pytest
from playwright.sync_api import expect

from declarations.models import Declaration
from tests.e2e.browser import WAIT_MS, log_in, shoot, submit
from verification import checks, review

pytestmark = pytest.mark.browser


def acknowledge_all(page):
    forms = page.locator("form[action$='/acknowledge/']")
    while forms.count():
        forms.first.locator("input[name=comment]").fill("Confirmed against the plant's energy bills.")
        submit(page, forms.first.get_by_role("button", name="Acknowledge"))


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
    submit(page, page.get_by_role("button", name="Add comment"))
    page.get_by_label("What must the mill change?").fill("Document the scrap input (SM) in the description.")
    submit(page, page.get_by_role("button", name="Request changes"))
    assert Declaration.objects.get(pk=declaration.pk).status == "changes_requested"

    log_in(page, base, "mill_alice", "/dashboard/")
    page.goto(f"{base}/reviews/{declaration.pk}/")
    page.get_by_placeholder("Answer…").fill("Weighbridge data 2025, see section 3 of the report.")
    submit(page, page.get_by_role("button", name="Answer"))
    page.goto(f"{base}/declarations/{declaration.pk}/edit/")
    page.get_by_label("Description and intended use").fill("Rebar for concrete. Scrap input from plant weighbridge data 2025.")
    submit(page, page.get_by_role("button", name="Save changes"))
    page.goto(f"{base}/declarations/{declaration.pk}/")
    submit(page, page.get_by_role("button", name="Submit for verification"))
    checks.run_checks(Declaration.objects.get(pk=declaration.pk))  # what the worker does after the commit

    log_in(page, base, "verifier_vera", "/reviews/")
    page.goto(f"{base}/reviews/{declaration.pk}/")
    assert "Weighbridge data 2025" in page.locator("[data-testid=comment]").first.inner_text()
    assert page.get_by_text("Changed since the previous revision").is_visible()
    acknowledge_all(page)
    for label in review.CHECKLIST.values():
        page.get_by_label(str(label)).check()
    submit(page, page.get_by_role("button", name="Save checklist"))
    page.get_by_label("Statement").fill("Verified against EN 15804+A2 and EN 17662; no relevant deviations.")
    submit(page, page.get_by_role("button", name="Approve", exact=True))
    # The page after the approval shows the state it led to (publishing ran inside the request, or was queued).
    expect(page.locator("[data-testid=audit]")).to_contain_text("approved", timeout=WAIT_MS)
    shoot(page, "8-approved")

    declaration.refresh_from_db()
    # Approval queues publishing: in-process (embedded default) it is already published, with a worker not yet.
    assert declaration.status in ("approved", "published")
    assert declaration.verification_statement.statement.startswith("Verified against EN 15804+A2")
    trail = page.locator("[data-testid=audit]").inner_text()
    for step in ("changes requested", "submitted", "in verification", "approved"):
        assert step in trail, trail

"""Every kind of page works under the Content-Security-Policy in a real browser: Chromium reports each
violation (a blocked script, style or image) as a `securitypolicyviolation` event, and there must be none."""

import pytest

from tests.e2e.browser import log_in

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', e => window.__violations.push(
    e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
"""


def violations(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    return page.evaluate("window.__violations")


@pytest.fixture
def one_of_each(published, in_verification, make_declaration):
    """Made before the browser starts: signing runs its own event loop, Playwright's would be in the way."""
    return published(), in_verification(seed=2, product_name="Wire rod under review"), make_declaration(seed=3)


def test_the_pages_keep_the_content_security_policy(live_server, one_of_each, browser_page):
    publication, under_review, draft = one_of_each
    page, base = browser_page, live_server.url
    page.add_init_script(RECORD_VIOLATIONS)
    number = publication.registration_number

    public = ["/", f"/?q={number}", f"/epds/{number}/", f"/compare/?epd={number}", "/verify/", "/accounts/login/"]
    found = {url: violations(page, base + url) for url in public}
    found["/api/docs/"] = violations(page, base + "/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock")  # Swagger UI rendered the operations under the policy

    log_in(page, base, "mill_alice", "/dashboard/")
    for url in ("/dashboard/", f"/declarations/{draft.pk}/", f"/declarations/{draft.pk}/edit/",
                f"/declarations/{draft.pk}/results/", f"/declarations/{draft.pk}/import/"):  # fmt: skip
        found[url] = violations(page, base + url)
    log_in(page, base, "verifier_vera", "/reviews/")
    for url in ("/reviews/", f"/reviews/{under_review.pk}/"):
        found[url] = violations(page, base + url)

    assert {url: v for url, v in found.items() if v} == {}

"""The pages work under the Content-Security-Policy: no violation on the agent's pages
(htmx included), admin and the API docs, in a real browser."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

import pytest
from playwright.sync_api import expect

from desk.tests.backoffice_fixtures import PASSWORD, open_case, staff  # noqa: F401
from tests.browser.conftest import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def violations(page):
    return page.evaluate("window.__csp")


def test_agent_pages_admin_and_docs_raise_no_violation(
    live_server, page, sign_in, open_case, retailer
):
    page.add_init_script(RECORD_VIOLATIONS)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security" in m.text else None)
    case = open_case("ORD-1", lines=(("l1", "TEE", 3, "10.00"),))
    staff("sam", "supervisor")

    sign_in(page, "sam", PASSWORD)
    assert violations(page) == []
    # The case page, and its htmx refund preview on a quantity change
    page.goto(f"{live_server.url}/queue/cases/{case.pk}/")
    expect(page.locator("body")).to_contain_text("ORD-1")
    quantity = page.locator("input[type=number]").first
    if quantity.count():
        with page.expect_response(lambda r: "/preview/" in r.url):
            quantity.fill("2")
            quantity.dispatch_event("change")
    page.screenshot(path=f"{SHOTS}/csp-case.png", full_page=True)
    assert violations(page) == []

    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("body")).to_contain_text("Site administration")
    assert violations(page) == []

    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui")).to_be_visible()
    page.wait_for_selector(".opblock", timeout=10_000)
    page.screenshot(path=f"{SHOTS}/csp-api-docs.png")
    assert violations(page) == []
    assert console == []

"""The confirmation link in a real browser (Debian's Chromium through Playwright)."""

import os
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.models import CancellationRequest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def chromium(monkeypatch):
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test
    # makes between page actions are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


def _link_in_last_mail() -> str:
    return re.search(r"(http://\S+/c/\S+/)", mail.outbox[-1].body)[1]


def test_customer_confirms_from_the_emailed_link(
    live_server, settings, make_order, submit, branding, chromium
):
    # Given a phone request awaiting the customer, and the e-mail that asks them
    settings.SITE_URL = live_server.url
    make_order(lines=(("l1", "TEE", 2, "24.00"),), shipping="5.00")
    cancellation_id = submit(channel="phone").json()["id"]
    link = _link_in_last_mail()
    assert link.startswith(live_server.url)

    # When they open the link, see their items and click Confirm
    page = chromium.new_page(viewport={"width": 900, "height": 900})
    page.goto(link)
    assert page.get_by_test_id("refund-total").inner_text() == "$53.00"
    page.screenshot(path=f"{SHOTS}/notifications-confirm.png", full_page=True)
    page.get_by_role("button", name="Confirm cancellation").click()

    # Then the page tells them it is confirmed, and the request is approved
    outcome = page.get_by_test_id("outcome")
    outcome.wait_for()
    assert "Your cancellation is confirmed" in outcome.inner_text()
    page.screenshot(path=f"{SHOTS}/notifications-confirmed.png", full_page=True)
    assert CancellationRequest.objects.get(pk=cancellation_id).status == "completed"

    # When they go back and click again, nothing happens twice
    page.go_back()
    page.reload()
    assert page.get_by_role("button", name="Confirm cancellation").count() == 0
    assert "Your cancellation is confirmed" in page.get_by_test_id("outcome").inner_text()


def test_an_expired_link_says_so_in_the_browser(
    live_server, settings, make_order, submit, branding, chromium
):
    settings.SITE_URL = live_server.url
    make_order(lines=(("l1", "TEE", 1, "24.00"),))
    cancellation_id = submit(channel="phone").json()["id"]
    link = _link_in_last_mail()
    CancellationRequest.objects.filter(pk=cancellation_id).update(
        confirmation_expires_at=timezone.now() - timedelta(seconds=1)
    )

    page = chromium.new_page(viewport={"width": 900, "height": 700})
    response = page.goto(link)

    assert response.status == 410
    assert "This link has expired" in page.get_by_test_id("expired").inner_text()
    page.screenshot(path=f"{SHOTS}/notifications-expired.png", full_page=True)
    assert page.get_by_role("button", name="Confirm cancellation").count() == 0


def test_customer_stops_non_essential_messages_in_the_browser(
    live_server, settings, make_order, submit, branding, chromium
):
    settings.SITE_URL = live_server.url
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    submit(channel="storefront")
    approved = next(m for m in mail.outbox if "is approved" in m.subject)
    link = re.search(r"Fewer messages like this: (\S+)", approved.body)[1]

    page = chromium.new_page(viewport={"width": 900, "height": 600})
    page.goto(link)
    page.get_by_role("button", name="Stop non-essential messages").click()
    page.get_by_test_id("saved").wait_for()

    assert "only the messages you need" in page.get_by_test_id("state").inner_text()
    page.screenshot(path=f"{SHOTS}/notifications-preferences.png", full_page=True)
    order.customer.refresh_from_db()
    assert order.customer.message_preference.opted_out

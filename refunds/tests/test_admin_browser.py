"""A supervisor settles a failed refund in admin, in a real browser (Chromium)."""

import os
import re

import pytest
from django.db import connections

from refunds.models import Refund
from refunds.services import refund_execute
from refunds.tests.conftest import payment

# Playwright's sync API runs an event loop in the test thread; the ORM calls between
# page actions are still plain synchronous code.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = os.environ.get("SCREENSHOT_DIR", "/tmp")


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page(viewport={"width": 1280, "height": 800})
        errors = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        yield tab
        browser.close()
        # ORM calls made while Playwright's loop runs get their own connection, which
        # Django's teardown never sees: close it, or the test database cannot be dropped.
        connections.close_all()
    assert errors == [], f"JavaScript errors: {errors}"


def test_supervisor_records_a_manual_refund_from_the_refund_list(
    page, live_server, supervisor, approve
):
    # given a refund the gateway declined, and a supervisor signed in to admin
    approve(payments=[payment("sandbox_decline_1", "25.00")], external_id="A-1001")
    refund = Refund.objects.get()
    refund_execute(refund_id=refund.pk)
    supervisor.user.is_staff = True
    supervisor.user.save()
    page.goto(f"{live_server.url}/admin/login/?next=/admin/refunds/refund/")
    page.get_by_label("Username").fill("super")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()

    # when they find it, pick "Record a manual refund" and give the wire's reference
    page.get_by_role("link", name="Failed").click()
    page.locator(f'input[name="_selected_action"][value="{refund.pk}"]').check()
    page.locator('select[name="action"]').select_option("record_manual_refund")
    page.get_by_role("button", name="Go").click()
    page.get_by_label("Reference").fill("WIRE-2026-0042")
    page.get_by_label("Note").fill("Card closed; paid by bank transfer.")
    page.screenshot(path=f"{SHOTS}/refunds-admin-record-manual.png", full_page=True)
    page.get_by_role("button", name="Record manual refund").click()

    # then the list says so and the refund is settled as manual
    page.get_by_text(re.compile("recorded as refunded manually")).wait_for()
    page.screenshot(path=f"{SHOTS}/refunds-admin-recorded.png", full_page=True)
    refund.refresh_from_db()
    assert (refund.status, refund.manual, refund.gateway_reference) == (
        "succeeded",
        True,
        "WIRE-2026-0042",
    )

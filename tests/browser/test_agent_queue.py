"""An agent's and a supervisor's day in a real browser: sign in, take the next case,
decide it with the keyboard or the mouse, and see the queue change."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from cancellations.models import CancellationRequest, Status
from desk.tests.backoffice_fixtures import PASSWORD, open_case, staff  # noqa: F401
from orders.models import OrderEvent, OrderLine
from tests.browser.conftest import SHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TWO_LINES = (("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "22.00"))


def test_an_agent_takes_the_next_case_and_approves_part_of_it(
    live_server, page, sign_in, open_case, retailer
):
    # Given two requests waiting for a person, and an agent of their retailer
    first = open_case("ORD-1", lines=TWO_LINES)
    second = open_case("ORD-2")
    staff("ana", "agent", [retailer])

    # When she signs in, the queue shows both, most urgent first
    sign_in(page, "ana", PASSWORD)
    rows = page.locator(".queue-table tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("ORD-1")
    expect(page.locator(".tab.active .count")).to_have_text("2")
    page.screenshot(path=f"{SHOTS}/backoffice-queue.png", full_page=True)

    # and "n" takes the next case for her
    page.keyboard.press("n")
    page.wait_for_url(f"{live_server.url}/queue/cases/{first.pk}/")
    expect(page.locator(".holder")).to_contain_text("Worked by you")

    # When she cancels one tee of three and keeps the cap, the preview follows
    page.get_by_label("Units of TEE to cancel").fill("1")
    page.get_by_label("Units of CAP to cancel").fill("0")
    expect(page.locator("#approve-submit")).to_contain_text("10.00 USD")
    page.screenshot(path=f"{SHOTS}/backoffice-case.png", full_page=True)

    # and approves with the keyboard: Escape leaves the field, "a" opens the panel and
    # Enter confirms
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.get_by_role("button", name=re.compile("^Approve"))).to_be_focused()
    page.keyboard.press("Enter")

    # Then the case says so, and the money and units are exactly what she chose
    expect(page.locator(".messages")).to_contain_text(
        f"Approved request #{first.pk}: 10.00 USD goes back to the customer."
    )
    expect(page.locator("h1 .badge").first).to_have_text(re.compile("Approved|Completed"))
    first.refresh_from_db()
    assert first.refund_total == Decimal("10.00")
    assert dict(
        OrderLine.objects.filter(order=first.order).values_list("sku", "cancelled_quantity")
    ) == {
        "TEE": 1,
        "CAP": 0,
    }

    # And back in the queue only the other case is left
    page.keyboard.press("q")
    page.wait_for_url(f"{live_server.url}/queue/")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("ORD-2")
    expect(page.locator(".tab.active .count")).to_have_text("1")
    assert second.pk != first.pk


def test_a_supervisor_approves_an_escalation_once_even_with_a_double_click(
    live_server, page, sign_in, open_case
):
    # Given a request escalated for its amount, and a supervisor
    case = open_case("ORD-9", status=Status.ESCALATED)
    staff("sam", "supervisor")

    # When the supervisor opens it from the queue
    sign_in(page, "sam", PASSWORD)
    page.get_by_role("link", name=f"#{case.pk}").click()
    page.wait_for_url(f"{live_server.url}/queue/cases/{case.pk}/")
    expect(page.locator(".why")).to_contain_text("above the agents' approval limit")

    # and double-clicks Approve
    page.locator("#action-approve > summary").click()
    page.get_by_role("button", name=re.compile("^Approve")).dblclick()

    # Then it is approved once, by the supervisor
    expect(page.locator(".messages")).to_contain_text(
        f"Approved request #{case.pk}: 1205.00 USD goes back to the customer."
    )
    case.refresh_from_db()
    assert case.status in (Status.APPROVED, Status.COMPLETED)
    assert case.decision_rule == "supervisor_decision"
    assert OrderEvent.objects.filter(kind="cancellation.approved", subject_id=case.pk).count() == 1
    assert not CancellationRequest.objects.filter(status=Status.ESCALATED).exists()


def test_queue_filters_update_the_list_in_place_and_stay_in_the_url(
    live_server, page, sign_in, open_case, retailer
):
    # Given a phone request and a storefront one
    phone = open_case("ORD-P")
    CancellationRequest.objects.filter(pk=phone.pk).update(channel="phone")
    open_case("ORD-S")
    staff("ana", "agent", [retailer])
    sign_in(page, "ana", PASSWORD)
    expect(page.locator(".queue-table tbody tr")).to_have_count(2)

    # When the agent picks the phone channel
    page.get_by_label("Channel").select_option("phone")

    # Then the list narrows without a page load, and the URL can be bookmarked
    expect(page.locator(".queue-table tbody tr")).to_have_count(1)
    expect(page.locator(".queue-table tbody tr").first).to_contain_text("ORD-P")
    expect(page).to_have_url(re.compile(r"channel=phone"))
    page.reload()
    expect(page.locator(".queue-table tbody tr")).to_have_count(1)
    expect(page.get_by_label("Channel")).to_have_value("phone")

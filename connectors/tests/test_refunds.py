"""refunds/create (SPEC §12) with Shopify's published refund body, and refunds of a
connected shop going back through Shopify's Admin API (a local stand-in)."""

from decimal import Decimal

import pytest

from cancellations.models import CancellationRequest
from connectors.models import ShopifyDelivery
from connectors.tests.conftest import sample
from orders.models import Order, OrderEvent
from refunds.models import Refund
from refunds.services import refund_execute

pytestmark = pytest.mark.django_db

REFUND = sample("refund_with_tax_lines.json")["refund"]
ORDER_ID = "450789469"
# The fixture order is from 2016 and above the default limits: let the rules approve it.
OPEN_POLICY = {
    "cancellation_window_hours": 100000,
    "auto_approve_limit": "5000.00",
    "agent_approval_limit": "5000.00",
}


def refund_order() -> dict:
    """The order the published refund belongs to, built from the refund's own line items
    (Shopify's fixture order 450789469: two iPods at 199.00 with 3.98 state tax each),
    shipping 10.00: 415.96 in all."""
    items = [row["line_item"] for row in REFUND["refund_line_items"]]
    return {
        "id": 450789469,
        "created_at": "2016-06-20T09:00:00-04:00",
        "updated_at": "2016-06-20T09:00:00-04:00",
        "currency": "USD",
        "taxes_included": False,
        "total_price": "415.96",
        "fulfillment_status": None,
        "email": "bob.norman@mail.example.com",
        "customer": {
            "id": 207119551,
            "email": "bob.norman@mail.example.com",
            "first_name": "Bob",
            "last_name": "Norman",
        },
        "line_items": items,
        "shipping_lines": [{"price": "10.00", "discount_allocations": [], "tax_lines": []}],
        "payment_gateway_names": ["bogus"],
    }


def test_a_refund_made_in_shopify_is_recorded_from_its_transactions(shop, retailer):
    shop.deliver("orders/create", refund_order())

    shop.deliver("refunds/create", REFUND)

    order = Order.objects.get()
    payment = order.payments.get()
    refund = Refund.objects.get()
    # The money is the transaction's 209.00, not the lines' 2 x (199.00 + 3.98) = 405.96
    assert (refund.status, refund.amount, refund.gateway_reference) == (
        "succeeded",
        Decimal("209.00"),
        "509562969",
    )
    assert payment.refunded_amount == Decimal("209.00")
    # Spread over the two lines it names by their own figures (equal here), to the cent
    assert [line.refunded_amount for line in order.lines.all()] == [
        Decimal("104.50"),
        Decimal("104.50"),
    ]
    event = OrderEvent.objects.get(kind="refund.recorded_externally")
    assert event.data["amount"] == "209.00"
    assert ShopifyDelivery.objects.filter(topic="refunds/create").get().status == "applied"


def test_the_same_shopify_refund_is_recorded_once(shop, retailer):
    shop.deliver("orders/create", refund_order())

    shop.deliver("refunds/create", REFUND)
    shop.deliver("refunds/create", REFUND)  # another webhook id for the same refund

    assert Refund.objects.count() == 1
    assert Order.objects.get().payments.get().refunded_amount == Decimal("209.00")


def test_rescind_never_refunds_that_money_again(shop, retailer, submit, set_policy):
    set_policy(**OPEN_POLICY)  # the fixture order is from 2016
    shop.deliver("orders/create", refund_order())
    shop.deliver("refunds/create", REFUND)

    # Cancelling everything now refunds only what Shopify did not: 415.96 - 209.00
    response = submit(order=ORDER_ID)

    data = response.json()
    assert data["refund_total"] == "206.96"  # 98.48 per line + 10.00 shipping
    total_refunded = sum(Refund.objects.values_list("amount", flat=True))
    assert total_refunded == Decimal("415.96")  # never more than was paid


def test_a_refund_before_its_order_waits_for_it(shop, retailer):
    response = shop.deliver("refunds/create", REFUND)

    delivery = ShopifyDelivery.objects.get(pk=response.json()["delivery"])
    assert delivery.status == "pending"  # retried later, with backoff
    assert delivery.next_attempt_at is not None
    assert Refund.objects.count() == 0

    shop.deliver("orders/create", refund_order())
    ShopifyDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.received_at)
    from connectors.services import delivery_process

    assert delivery_process(delivery_id=delivery.pk) == "applied"
    assert Refund.objects.get().amount == Decimal("209.00")


def test_a_connected_shops_refund_goes_back_through_shopify(
    shop, retailer, submit, admin_api, set_policy
):
    # Given a Shopify order paid with two tenders in Shopify
    set_policy(**OPEN_POLICY)
    shop.deliver("orders/create", refund_order())
    admin_api.sale(ORDER_ID, "gift_card", "100.00", "1")
    admin_api.sale(ORDER_ID, "bogus", "315.96", "2")

    # When Rescind approves a full cancellation and a worker executes its refund
    request = CancellationRequest.objects.get(pk=submit(order=ORDER_ID).json()["id"])
    refund = Refund.objects.get(cancellation=request)
    assert refund.amount == Decimal("415.96")
    refund_execute(refund_id=refund.pk)

    # Then Shopify was asked once to refund it, split over its own transactions in order,
    # with an idempotency key derived from our refund's id
    refund.refresh_from_db()
    assert (refund.status, refund.gateway_reference) == ("succeeded", "9001")
    mutation = [r for r in admin_api.requests if "refundCreate" in r["body"]["query"]]
    assert len(mutation) == 1
    sent = mutation[0]["body"]["variables"]
    assert sent["key"].startswith(f"rescind-refund-{refund.pk}-")
    assert sent["input"]["orderId"] == f"gid://shopify/Order/{ORDER_ID}"
    assert [(t["gateway"], t["amount"]) for t in sent["input"]["transactions"]] == [
        ("gift_card", "100.00"),
        ("bogus", "315.96"),
    ]
    assert sent["input"]["note"] == f"rescind-refund:{refund.pk}"
    assert mutation[0]["headers"]["X-Shopify-Access-Token"] == "shpat_test_token_0123456789abcdef"
    assert "@idempotent(key: $key)" in mutation[0]["body"]["query"]
    assert admin_api.refunded() == Decimal("415.96")


def test_a_repeated_attempt_is_answered_with_the_first_refund(
    shop, retailer, submit, admin_api, set_policy
):
    set_policy(**OPEN_POLICY)
    shop.deliver("orders/create", refund_order())
    admin_api.sale(ORDER_ID, "bogus", "415.96", "2")
    refund = Refund.objects.get(cancellation_id=submit(order=ORDER_ID).json()["id"])
    gateway_refund = __import__("refunds.gateways", fromlist=["gateway_for"]).gateway_for(retailer)

    answers = [
        gateway_refund.refund(
            payment_reference=ORDER_ID,
            amount=refund.amount,
            currency="USD",
            idempotency_key=refund.idempotency_key,
            refund_id=refund.pk,
        )
        for _ in range(2)
    ]

    assert [a.reference for a in answers] == ["9001", "9001"]
    assert len(admin_api.refunds_by_key) == 1
    assert admin_api.refunded() == Decimal("415.96")  # once


def test_shopify_unavailable_is_transient_and_retried(
    shop, retailer, submit, admin_api, set_policy
):
    set_policy(**OPEN_POLICY)
    shop.deliver("orders/create", refund_order())
    admin_api.sale(ORDER_ID, "bogus", "415.96", "2")
    refund = Refund.objects.get(cancellation_id=submit(order=ORDER_ID).json()["id"])
    admin_api.status = 503

    retry_in = refund_execute(refund_id=refund.pk)

    refund.refresh_from_db()
    assert refund.status == "pending" and retry_in is not None


def test_the_webhook_echo_of_our_own_refund_is_not_recorded_twice(
    shop, retailer, submit, admin_api, set_policy
):
    set_policy(**OPEN_POLICY)
    shop.deliver("orders/create", refund_order())
    admin_api.sale(ORDER_ID, "bogus", "415.96", "2")
    refund = Refund.objects.get(cancellation_id=submit(order=ORDER_ID).json()["id"])

    # Shopify's refunds/create for our refund can arrive before our worker hears back
    echo = {
        **REFUND,
        "id": 9001,
        "note": f"rescind-refund:{refund.pk}",
        "transactions": [{"kind": "refund", "status": "success", "amount": "415.96"}],
    }
    shop.deliver("refunds/create", {"refund": echo})
    refund_execute(refund_id=refund.pk)

    assert Refund.objects.count() == 1
    assert Order.objects.get().payments.get().refunded_amount == Decimal("415.96")

"""The warehouse hold for a Shopify shop whose 3PL fulfils through Shopify: our request
to stop goes out as a fulfilment-order cancellation request (the Admin API stand-in),
and the 3PL's answer comes back as the published webhook bodies."""

from decimal import Decimal

import pytest

from cancellations.models import CancellationRequest
from connectors.models import ShopifyDelivery
from connectors.tests.conftest import sample
from connectors.tests.test_orders import ORDER_ID, live_order
from orders.fulfillment.services import fulfillment_requests_send
from orders.models import FulfillmentRequest, Order
from refunds.models import Refund

pytestmark = pytest.mark.django_db

ACCEPTED = sample("fulfillment_orders_cancellation_request_accepted.json")
FULFILLMENT_ORDER = ACCEPTED["fulfillment_order"]["id"]  # gid://shopify/FulfillmentOrder/1


@pytest.fixture
def held(shop, retailer, submit, admin_api, set_policy):
    """A Shopify order its 3PL is picking, and a request waiting for the 3PL to stop."""
    set_policy(cancellation_window_hours=100000, auto_approve_limit="1000.00")
    shop.deliver("orders/create", live_order())
    Order.objects.update(fulfillment_status="in_progress")
    admin_api.fulfillment_orders[ORDER_ID] = [
        {"id": FULFILLMENT_ORDER, "status": "IN_PROGRESS", "requestStatus": "ACCEPTED"}
    ]
    response = submit(order=ORDER_ID)
    assert response.json()["status"] == "awaiting_warehouse"
    fulfillment_requests_send(list(FulfillmentRequest.objects.values_list("pk", flat=True)))
    return CancellationRequest.objects.get(pk=response.json()["id"])


def test_the_3pl_is_asked_through_a_fulfilment_order_cancellation_request(held, admin_api):
    stop = FulfillmentRequest.objects.get()
    assert (stop.adapter, stop.status, stop.references) == (
        "shopify",
        "submitted",
        [FULFILLMENT_ORDER],
    )
    submitted = [
        r["body"]["variables"]
        for r in admin_api.requests
        if "fulfillmentOrderSubmitCancellationRequest" in r["body"]["query"]
    ]
    assert submitted == [
        {"id": FULFILLMENT_ORDER, "message": f"Cancellation {held.pk}: changed mind."}
    ]


def test_the_3pls_acceptance_approves_the_request(held, shop):
    shop.deliver("fulfillment_orders/cancellation_request_accepted", ACCEPTED)

    held.refresh_from_db()
    assert (held.status, held.decision_rule) == ("approved", "warehouse_stopped")
    assert Refund.objects.get(cancellation=held).amount == Decimal("403.00")
    assert FulfillmentRequest.objects.get().answer_message == "Order has not been shipped yet."


def test_the_3pls_rejection_requires_a_return(held, shop):
    rejected = {
        **ACCEPTED,
        "fulfillment_order": {**ACCEPTED["fulfillment_order"], "status": "in_progress"},
        "message": "Already handed to the carrier.",
    }

    shop.deliver("fulfillment_orders/cancellation_request_rejected", rejected)

    held.refresh_from_db()
    assert held.status == "return_required"
    assert Refund.objects.filter(cancellation=held).count() == 0


def test_an_answer_nobody_waits_for_is_ignored(shop, connection):
    response = shop.deliver("fulfillment_orders/cancellation_request_accepted", ACCEPTED)

    delivery = ShopifyDelivery.objects.get(pk=response.json()["delivery"])
    assert delivery.status == "ignored"


@pytest.mark.parametrize(
    ("topic", "name"),
    [
        (
            "fulfillment_orders/cancellation_request_submitted",
            "fulfillment_orders_cancellation_request_submitted.json",
        ),
        ("fulfillment_orders/placed_on_hold", "fulfillment_orders_placed_on_hold.json"),
        ("disputes/create", "disputes_create.json"),
    ],
)
def test_the_other_published_topics_are_answered_and_ignored(shop, topic, name):
    response = shop.post(topic, sample(name))

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert ShopifyDelivery.objects.count() == 0


def test_withdrawing_tells_a_person_to_call_the_3pl(held, api):
    from orders.models import OrderEvent

    api.post(f"/api/v1/cancellations/{held.pk}/withdraw")
    fulfillment_requests_send(
        list(FulfillmentRequest.objects.filter(kind="resume").values_list("pk", flat=True))
    )

    resume = FulfillmentRequest.objects.get(kind="resume")
    assert resume.status == "failed"
    assert "cannot withdraw a cancellation request" in resume.last_error
    assert OrderEvent.objects.filter(kind="fulfillment.request_failed").exists()


def test_fulfilment_orders_already_closed_are_a_refusal(
    shop, retailer, submit, admin_api, set_policy
):
    set_policy(cancellation_window_hours=100000, auto_approve_limit="1000.00")
    shop.deliver("orders/create", live_order())
    Order.objects.update(fulfillment_status="in_progress")
    admin_api.fulfillment_orders[ORDER_ID] = [{"id": FULFILLMENT_ORDER, "status": "CLOSED"}]
    pk = submit(order=ORDER_ID).json()["id"]

    fulfillment_requests_send(list(FulfillmentRequest.objects.values_list("pk", flat=True)))

    assert CancellationRequest.objects.get(pk=pk).status == "return_required"

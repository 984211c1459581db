"""What one approved submission writes, and in how many statements."""

from decimal import Decimal

import pytest

from cancellations.models import CancellationRequest
from inventory.models import StockLevel
from notifications.models import Notification, WebhookDelivery
from orders.models import OrderEvent
from retailers.tests.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def test_an_approved_partial_submission_writes_its_rows_in_few_statements(
    retailer, make_order, set_policy, api, django_assert_max_num_queries
):
    # Given an unshipped order of two lines holding stock, and a webhook endpoint
    set_policy(require_customer_confirmation=False)
    WebhookEndpointFactory(retailer=retailer)
    order = make_order(lines=(("l1", "TEE", 2, "24.00"), ("l2", "CAP", 1, "12.00")))
    events_before = OrderEvent.objects.filter(order=order).count()
    deliveries_before = list(WebhookDelivery.objects.values_list("pk", flat=True))

    # When the storefront cancels one tee, with an Idempotency-Key (29 statements in
    # production; inside the test's transaction the claim and the work are savepoints)
    with django_assert_max_num_queries(33):
        response = api.post(
            "/api/v1/cancellations",
            {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1", "quantity": 1}]},
            format="json",
            HTTP_IDEMPOTENCY_KEY="submit-writes-1",
        )

    # Then it is approved for $24.00 and everything it did is written
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "approved"
    assert response.json()["refund_total"] == "24.00"
    cancellation = CancellationRequest.objects.get(pk=response.json()["id"])
    assert [line.quantity for line in cancellation.lines.all()] == [1]
    kinds = list(
        OrderEvent.objects.filter(order=order).values_list("kind", flat=True)[events_before:]
    )
    assert kinds == ["cancellation.received", "cancellation.approved", "refund.created"]
    deliveries = WebhookDelivery.objects.exclude(pk__in=deliveries_before)
    assert sorted(deliveries.values_list("event_type", flat=True)) == [
        "cancellation.approved",
        "cancellation.created",
        "inventory.adjusted",
    ]
    # The customer is told the decision only: "received" was superseded in the same change.
    assert list(Notification.objects.values_list("event_type", "status")) == [
        ("cancellation.approved", "pending")
    ]
    tee = StockLevel.objects.get(retailer=retailer, sku="TEE")
    assert (tee.reserved, order.lines.get(external_id="l1").reserved_quantity) == (1, 1)
    line = order.lines.get(external_id="l1")
    assert (line.cancelled_quantity, line.refunded_amount) == (1, Decimal("24.00"))

"""Ten copies at once (SPEC §12), on PostgreSQL with real threads: one delivery stored,
applied once; the same order or refund arriving in several deliveries at once changes
it once."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from cancellations.models import CancellationRequest
from connectors.models import ShopifyDelivery, ShopifyOrderVersion
from connectors.services import delivery_process
from connectors.tests.conftest import Shop, sample_order
from connectors.tests.test_refunds import REFUND, refund_order
from orders.models import Order, OrderEvent
from refunds.models import Refund
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def stored(connection, topic, webhook_id, body) -> ShopifyDelivery:
    """A delivery as the endpoint stores it, not yet handed to a worker (here, where
    tasks run in-process, the endpoint's commit would apply it at once)."""
    from django.utils import timezone

    return ShopifyDelivery.objects.create(
        retailer=connection.retailer,
        shop_domain=connection.shop_domain,
        topic=topic,
        webhook_id=webhook_id,
        dedupe_key=f"webhook:{webhook_id}",
        body=json.dumps(body).encode(),
        next_attempt_at=timezone.now(),
    )


def test_ten_copies_arriving_together_are_stored_and_applied_once(connection):
    body = sample_order()  # cancelled in Shopify: creates the order and its cancellation

    def post():
        return Shop(Client()).post(
            "orders/create", body, event_id="ev-burst", webhook_id="wh-burst"
        )

    responses = run_together([post] * 10)

    assert [r.status_code for r in responses] == [200] * 10
    assert sorted(r.json()["status"] for r in responses) == ["duplicate"] * 9 + ["received"]
    delivery = ShopifyDelivery.objects.get()
    # In this embedded mode the endpoint's commit hands the delivery to a worker in-process
    for _ in range(3):
        delivery_process(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == "applied"
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(kind="order.created").count() == 1
    assert CancellationRequest.objects.count() == 1


def test_ten_workers_on_one_delivery_apply_it_once(connection, retailer):
    delivery = stored(connection, "orders/create", "wh-1", sample_order())

    outcomes = run_together([lambda: delivery_process(delivery_id=delivery.pk)] * 10)

    assert sorted(o or "" for o in outcomes) == [""] * 9 + ["applied"]
    assert Order.objects.count() == 1
    assert CancellationRequest.objects.filter(channel="retailer").count() == 1
    assert OrderEvent.objects.filter(kind="order.created").count() == 1


def test_one_refund_in_ten_deliveries_at_once_is_recorded_once(connection, retailer):
    order = stored(connection, "orders/create", "wh-order", refund_order())
    assert delivery_process(delivery_id=order.pk) == "applied"
    deliveries = [
        stored(connection, "refunds/create", f"wh-refund-{i}", {"refund": REFUND})
        for i in range(10)
    ]

    run_together([lambda d=d: delivery_process(delivery_id=d.pk) for d in deliveries])

    assert Refund.objects.count() == 1
    payment = Order.objects.get().payments.get()
    assert payment.refunded_amount == Decimal("209.00")
    assert set(
        ShopifyDelivery.objects.filter(topic="refunds/create").values_list("status", flat=True)
    ) == {"applied"}


def test_create_and_update_of_one_new_order_at_once_make_one_order(connection):
    from connectors.tests.test_orders import live_order

    create = stored(connection, "orders/create", "wh-c", live_order())
    update = stored(
        connection, "orders/updated", "wh-u", live_order(updated_at="2019-06-04T14:00:00-04:00")
    )

    outcomes = run_together(
        [
            lambda: delivery_process(delivery_id=create.pk),
            lambda: delivery_process(delivery_id=update.pk),
        ]
    )

    # Whichever ran first, the newer version is what stands: the older one is applied
    # before it, or marked stale after it.
    assert "applied" in outcomes and set(outcomes) <= {"applied", "stale"}
    assert Order.objects.count() == 1
    assert OrderEvent.objects.filter(kind="order.created").count() == 1
    version = ShopifyOrderVersion.objects.get()
    assert version.updated_at.isoformat() == "2019-06-04T18:00:00+00:00"

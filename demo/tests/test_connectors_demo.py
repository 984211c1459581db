"""The demo world has a connected Shopify shop with ingested orders and orders waiting
on the warehouse (SPEC §12), made through the real paths."""

import io

import pytest

from cancellations.models import CancellationRequest
from connectors.models import ShopifyDelivery
from demo.world import seed
from orders.models import Order
from retailers.models import ShopifyConnection


@pytest.mark.django_db
def test_the_demo_has_a_connected_shop_and_orders_at_the_warehouse():
    logins = seed(orders_per_retailer=12, out=io.StringIO())

    connection = ShopifyConnection.objects.get(shop_domain="harbor-home.myshopify.com")
    assert connection.webhook_secrets() == [logins["shopify"]["secret"]]
    assert set(ShopifyDelivery.objects.values_list("status", flat=True)) == {"applied"}
    assert Order.objects.filter(retailer=connection.retailer).count() == 6
    assert Order.objects.filter(retailer=connection.retailer, needs_attention=True).count() == 1
    waiting = CancellationRequest.objects.filter(status="awaiting_warehouse")
    assert {c.retailer.slug for c in waiting} == {"acme", "harbor"}
    assert CancellationRequest.objects.filter(decision_rule="warehouse_no_answer").exists()
    assert CancellationRequest.objects.filter(channel="retailer", status="completed").exists()

"""orders/create, orders/updated, orders/cancelled (SPEC §12) with Shopify's own sample
body (fixtures/shopify/PROVENANCE.md): its figures to the cent, its odd data mapped."""

import copy
from decimal import Decimal

import pytest

from cancellations.models import CancellationRequest
from connectors.models import ShopifyDelivery
from connectors.tests.conftest import sample_order
from inventory.models import StockLevel
from orders.models import Order, OrderEvent
from refunds.models import Refund

pytestmark = pytest.mark.django_db

ORDER_ID = "820982911946154508"  # above 2**53: a float would have made it ...500


def live_order(**changes) -> dict:
    """The sample as a live order: not cancelled, not voided (Shopify's test body is both)."""
    body = copy.deepcopy(sample_order())
    body.update(cancelled_at=None, cancel_reason=None, financial_status="paid")
    body.update(changes)
    return body


def test_the_sample_order_is_mirrored_to_the_cent(shop, retailer):
    shop.deliver("orders/create", live_order())

    order = Order.objects.get(retailer=retailer)
    assert order.external_id == ORDER_ID
    assert order.currency == "USD"
    assert order.fulfillment_status == "unfulfilled"  # Shopify's "pending"
    assert order.placed_at.isoformat() == "2019-06-04T17:53:06+00:00"
    lines = list(order.lines.all())
    assert [(line.external_id, line.sku, line.quantity) for line in lines] == [
        ("866550311766439020", "IPOD2008PINK", 1),
        ("141249953214522974", "IPOD2008PINK", 1),
    ]
    assert [(line.unit_price, line.discount, line.tax) for line in lines] == [
        (Decimal("199.00"), Decimal("0.00"), Decimal("0.00")),
        (Decimal("199.00"), Decimal("5.00"), Decimal("0.00")),  # its discount allocation
    ]
    assert [line.total for line in lines] == [Decimal("199.00"), Decimal("194.00")]
    assert order.shipping == Decimal("10.00")
    assert order.total == Decimal("403.00")  # = Shopify's total_price: it adds up
    assert not order.needs_attention
    (payment,) = order.payments.all()
    assert (payment.external_id, payment.reference, payment.method) == (
        ORDER_ID,
        ORDER_ID,
        "shopify",
    )
    assert payment.amount == Decimal("403.00")
    assert payment.gateways == ["visa", "bogus"]
    # The customer record, not the order's contact e-mail (the sample's two differ)
    assert (order.customer.external_id, order.customer.email, order.customer.name) == (
        "115310627314723954",
        "john@test.com",
        "John Smith",
    )
    # Unshipped: both units reserved, as any unfulfilled order
    assert (
        sum(StockLevel.objects.filter(sku="IPOD2008PINK").values_list("reserved", flat=True)) == 2
    )
    assert ShopifyDelivery.objects.get().status == "applied"


def test_the_sample_as_sent_is_mirrored_then_cancelled_by_the_retailer(shop, retailer):
    # Shopify's test body says "create" but is cancelled (cancelled_at, voided): the order
    # is kept as it was, and its units are recorded as cancelled by the retailer.
    shop.deliver("orders/create", sample_order())

    order = Order.objects.get(retailer=retailer)
    assert order.total == Decimal("403.00")
    request = CancellationRequest.objects.get(order=order)
    assert (request.channel, request.status, request.decision_rule) == (
        "retailer",
        "completed",
        "cancelled_by_retailer",
    )
    assert request.refund_total == 0
    assert [line.cancelled_quantity for line in order.lines.all()] == [1, 1]
    assert Refund.objects.count() == 0  # no second refund: Shopify's is its own
    assert (
        sum(StockLevel.objects.filter(sku="IPOD2008PINK").values_list("reserved", flat=True)) == 0
    )


def test_orders_cancelled_cancels_what_is_active_once(shop, retailer):
    shop.deliver("orders/create", live_order())
    cancelled = live_order(
        cancelled_at="2019-06-05T10:00:00-04:00", updated_at="2019-06-05T10:00:00-04:00"
    )

    shop.deliver("orders/cancelled", cancelled)
    shop.deliver("orders/cancelled", cancelled)  # a second event for the same cancellation

    assert CancellationRequest.objects.filter(channel="retailer").count() == 1
    assert Refund.objects.count() == 0


def test_orders_cancelled_withdraws_an_open_request_without_telling_the_customer(
    shop, retailer, submit
):
    shop.deliver("orders/create", live_order())
    pending = submit(order=ORDER_ID).json()  # placed in 2019: waits for an agent
    assert pending["status"] == "in_review"

    shop.deliver("orders/cancelled", live_order(cancelled_at="2019-06-05T10:00:00-04:00"))

    assert CancellationRequest.objects.get(pk=pending["id"]).status == "withdrawn"
    from notifications.models import Notification

    # Shopify told the customer; we send no "withdrawn" nor "approved" of our own
    told = set(Notification.objects.values_list("event_type", flat=True))
    assert not told & {"cancellation.withdrawn", "cancellation.approved"}


def test_an_older_update_never_overwrites_a_newer_one(shop, retailer):
    shop.deliver("orders/create", live_order())
    newer = live_order(updated_at="2019-06-06T09:00:00-04:00")
    newer["line_items"][0]["quantity"] = 3
    older = live_order(updated_at="2019-06-05T09:00:00-04:00")
    older["line_items"][0]["quantity"] = 2

    shop.deliver("orders/updated", newer)
    response = shop.deliver("orders/updated", older)

    order = Order.objects.get()
    assert order.lines.get(external_id="866550311766439020").quantity == 3
    stale = ShopifyDelivery.objects.get(pk=response.json()["delivery"])
    assert stale.status == "stale"
    assert "Older than the version applied" in stale.outcome


def test_figures_that_do_not_add_up_are_kept_flagged_with_the_difference(shop, retailer):
    # An order-level tip, say, that no line carries: Shopify's total is 5.00 above ours
    body = live_order(total_price="408.00")
    body["total_price_set"]["shop_money"]["amount"] = "408.00"

    shop.deliver("orders/create", body)

    order = Order.objects.get()
    assert order.total == Decimal("403.00")  # our rules, on Shopify's own lines
    assert order.payments.get().amount == Decimal("408.00")  # Shopify's figure, unaltered
    assert order.needs_attention
    event = OrderEvent.objects.get(order=order, kind="order.figures_mismatch")
    assert event.data["difference"] == "5.00"
    assert "408.00" in event.message and "403.00" in event.message


def test_a_shipped_order_keeps_its_first_shipment_time(shop, retailer):
    shop.deliver("orders/create", live_order())
    shipped = live_order(fulfillment_status="fulfilled", updated_at="2019-06-05T12:00:00-04:00")
    shop.deliver("orders/updated", shipped)
    later = live_order(fulfillment_status="fulfilled", updated_at="2019-06-09T12:00:00-04:00")
    shop.deliver("orders/updated", later)

    order = Order.objects.get()
    assert order.fulfillment_status == "shipped"
    assert order.shipped_at.isoformat() == "2019-06-05T16:00:00+00:00"


def test_an_order_the_warehouse_is_picking_stays_in_progress(shop, retailer):
    shop.deliver("orders/create", live_order())
    Order.objects.update(fulfillment_status="in_progress")

    shop.deliver("orders/updated", live_order(updated_at="2019-06-05T12:00:00-04:00"))

    assert Order.objects.get().fulfillment_status == "in_progress"


def test_a_guest_order_is_keyed_by_the_order(shop, retailer):
    body = live_order(customer=None)

    shop.deliver("orders/create", body)

    customer = Order.objects.get().customer
    assert customer.external_id == f"shopify-guest-{ORDER_ID}"
    assert (customer.email, customer.name) == ("jon@doe.ca", "Bob Biller")


def test_a_line_without_sku_is_named_by_its_variant(shop, retailer):
    body = live_order()
    body["line_items"][0]["sku"] = ""

    shop.deliver("orders/create", body)

    assert Order.objects.get().lines.first().sku == "variant-808950810"


def test_taxes_included_add_no_tax_to_the_lines(shop, retailer):
    body = live_order(taxes_included=True)
    body["line_items"][0]["tax_lines"] = [{"price": "33.17", "title": "VAT"}]

    shop.deliver("orders/create", body)

    order = Order.objects.get()
    assert order.lines.first().tax == 0
    assert order.total == Decimal("403.00")


def test_taxed_lines_and_shipping_add_their_tax_when_not_included(shop, retailer):
    body = live_order(total_price="431.32")
    body["line_items"][0]["tax_lines"] = [
        {"price": "11.94", "price_set": {"shop_money": {"amount": "11.94"}}}
    ]
    body["line_items"][1]["tax_lines"] = [{"price": "11.64"}, {"price": "5.82"}]
    body["shipping_lines"][0]["tax_lines"] = [{"price": "0.92"}]
    body["shipping_lines"][0]["discount_allocations"] = [{"amount": "2.00"}]
    body["total_price_set"]["shop_money"]["amount"] = "431.32"

    shop.deliver("orders/create", body)

    order = Order.objects.get()
    assert [line.tax for line in order.lines.all()] == [Decimal("11.94"), Decimal("17.46")]
    assert order.shipping == Decimal("8.92")  # 10.00 - 2.00 + 0.92
    assert order.total == Decimal("431.32")  # 210.94 + 211.46 + 8.92
    assert not order.needs_attention


def test_an_order_that_does_not_fit_our_contract_is_kept_for_a_person(shop, retailer):
    body = live_order(line_items=[])

    response = shop.deliver("orders/create", body)

    delivery = ShopifyDelivery.objects.get(pk=response.json()["delivery"])
    assert delivery.status == "failed"
    assert "no line items" in delivery.outcome
    assert Order.objects.count() == 0

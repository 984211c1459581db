"""Reads for orders, always scoped to one retailer."""

from django.db.models import Prefetch

from kernel.errors import NotFound
from orders.models import Order, OrderLine, Payment


def order_get(*, retailer, external_id: str) -> Order:
    order = (
        Order.objects.filter(retailer=retailer, external_id=external_id)
        .select_related("customer", "retailer")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("position", "id")),
            Prefetch("payments", queryset=Payment.objects.order_by("position", "id")),
        )
        .first()
    )
    if order is None:
        raise NotFound(f"No order {external_id!r} for this retailer.")
    return order


def order_refunded_total(order: Order):
    """What decided cancellations give back on the order: lines plus shipping."""
    return sum((line.refunded_amount for line in order.lines.all()), start=order.shipping_refunded)

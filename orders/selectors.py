"""Reads for orders, scoped to one retailer; and the stock their lines hold, checked
against the stock ledger."""

from dataclasses import dataclass

from django.db.models import Prefetch, Sum

from inventory.models import StockMovement
from kernel.bulk import one_snapshot, pk_chunks
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


# --- stock held by order lines, against the stock ledger -------------------------------


@dataclass(frozen=True)
class ReservationDrift:
    """An order whose lines hold a different reservation than its movements say."""

    retailer: str
    order: str
    sku: str
    warehouse: str
    lines_reserved: int
    ledger_reserved: int

    def __str__(self):
        return (
            f"{self.retailer} order {self.order} {self.sku} @ {self.warehouse}: lines hold "
            f"{self.lines_reserved} reserved but its movements add up to {self.ledger_reserved} "
            f"({self.lines_reserved - self.ledger_reserved:+d})"
        )


def line_reservation_drifts(
    *, retailer=None, chunk_size=20000, progress=None
) -> list[ReservationDrift]:
    """Orders whose lines' reserved_quantity differs from their reserve/release/ship rows.

    Compared per order, SKU and warehouse: a cancellation releases against the order, not
    one line, so that is the finest grain the ledger answers for.
    """
    orders = Order.objects.all()
    if retailer is not None:
        orders = orders.filter(retailer=retailer)
    total, done, drifts = orders.count(), 0, []
    for first, last, size in pk_chunks(orders, chunk_size):
        with one_snapshot():
            held = {
                (row["order_id"], row["sku"], row["warehouse"]): row["held"]
                for row in OrderLine.objects.filter(
                    order_id__gte=first, order_id__lte=last, reserved_quantity__gt=0
                )
                .values("order_id", "sku", "warehouse")
                .annotate(held=Sum("reserved_quantity"))
                .order_by()
            }
            moved = {
                (row["order_id"], row["level__sku"], row["level__warehouse__code"]): row["held"]
                for row in StockMovement.objects.filter(order_id__gte=first, order_id__lte=last)
                .values("order_id", "level__sku", "level__warehouse__code")
                .annotate(held=Sum("reserved_delta"))
                .exclude(held=0)
                .order_by()
            }
        wrong = sorted(k for k in held.keys() | moved.keys() if held.get(k, 0) != moved.get(k, 0))
        if wrong:
            names = {
                pk: (slug, external_id)
                for pk, slug, external_id in Order.objects.filter(
                    pk__in={order_id for order_id, _sku, _code in wrong}
                ).values_list("pk", "retailer__slug", "external_id")
            }
            drifts.extend(
                ReservationDrift(
                    *names[key[0]], key[1], key[2], held.get(key, 0), moved.get(key, 0)
                )
                for key in wrong
            )
        done += size
        if progress:
            progress(done, total)
    return drifts

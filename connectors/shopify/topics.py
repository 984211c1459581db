"""What each Shopify topic does here (SPEC §12). Each handler runs inside the
delivery's transaction (connectors.services) and answers a `Result`; it raises
`NotYet` when it must wait for another delivery (a refund of an order not here yet) and
`Unusable` for a body it can never apply.

- `orders/create`, `orders/updated`: the order is created or replaced as SPEC §5's PUT
  would; a body older than the one applied is `stale`; figures that do not add up are
  kept and flagged (orders.services.order_upsert(flag_mismatch=True)).
- `orders/cancelled` (and an order body with `cancelled_at`): its units still active
  are recorded as cancelled by the retailer, with no refund from us.
- `refunds/create`: a refund made in Shopify is recorded as succeeded on the payment and
  lines it names, so Rescind never refunds that money again.
- `fulfillment_orders/cancellation_request_accepted` / `..._rejected`: the shop's 3PL
  answered our request to stop (orders.fulfillment.shopify).
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from cancellations.external import cancellation_record_by_retailer
from cancellations.models import Status as CancellationStatus
from cancellations.warehouse import cancellation_warehouse_answer
from connectors.models import ShopifyDelivery, ShopifyOrderVersion
from connectors.shopify.mapping import (
    UnreadableOrder,
    order_map,
    payment_gateways,
    refund_lines,
    refund_money,
)
from kernel.actors import Actor
from kernel.money import format_amount
from kernel.timeline import EventKind, order_event_record
from orders.api.serializers import OrderInput
from orders.fulfillment.services import fulfillment_request_by_reference
from orders.models import Order
from orders.services import order_upsert
from refunds.external import refund_record_external

Status = ShopifyDelivery.Status
# A refund our own gateway made carries this in Shopify's note: its webhook is an echo.
RESCIND_REFUND_MARK = "rescind-refund:"


@dataclass(frozen=True)
class Result:
    status: str
    outcome: str
    resource_id: str = ""
    order: str = ""


class NotYet(Exception):
    """Try again later: the delivery depends on one not applied yet."""


class Unusable(Exception):
    """The body can never be applied as it is: kept for a person."""

    def __init__(self, message: str, status: str = Status.FAILED):
        super().__init__(message)
        self.status = status


def actor_for(delivery) -> Actor:
    return Actor.system(f"shopify {delivery.shop_domain}")


def _version_locked(retailer, shopify_order_id: str) -> ShopifyOrderVersion:
    """Lock the order's version row (made on first sight): every delivery about one
    order waits here for the one before it."""
    ShopifyOrderVersion.objects.get_or_create(retailer=retailer, shopify_order_id=shopify_order_id)
    return ShopifyOrderVersion.objects.select_for_update().get(
        retailer=retailer, shopify_order_id=shopify_order_id
    )


def _order_apply(delivery, payload, *, cancelling: bool) -> Result:
    retailer = delivery.retailer
    try:
        order_id = str(payload["id"])
    except (KeyError, TypeError) as error:
        raise Unusable("The body has no order id.") from error
    version = _version_locked(retailer, order_id)
    existing = Order.objects.filter(retailer=retailer, external_id=order_id).first()
    try:
        mapped = order_map(
            payload,
            shipped_at=existing.shipped_at.isoformat()
            if existing is not None and existing.is_shipped and existing.shipped_at
            else None,
        )
    except UnreadableOrder as error:
        raise Unusable(f"The order cannot be read: {error}.") from error
    stale = (
        version.updated_at is not None
        and mapped.updated_at is not None
        and mapped.updated_at < version.updated_at
    )
    actor = actor_for(delivery)
    outcome = []
    if stale:
        outcome.append(
            f"Older than the version applied ({mapped.updated_at.isoformat()} < "
            f"{version.updated_at.isoformat()}): not applied."
        )
    else:
        body = mapped.body
        if (
            existing is not None
            and existing.at_warehouse
            and body["fulfillment_status"] == ("unfulfilled")
        ):
            # Shopify knows nothing of picking: the warehouse's in_progress stands.
            body["fulfillment_status"] = Order.Fulfillment.IN_PROGRESS
        serializer = OrderInput(data=body, context={"external_id": order_id})
        if not serializer.is_valid():
            raise Unusable(f"The order does not fit our order contract: {serializer.errors}")
        data = serializer.validated_data
        data["payments"][0]["gateways"] = payment_gateways(payload)
        order, created = order_upsert(
            retailer=retailer, external_id=order_id, data=data, actor=actor, flag_mismatch=True
        )
        if created and mapped.notes:
            order_event_record(
                order=order,
                kind=EventKind.CONNECTOR_NOTE,
                message="From Shopify: " + " ".join(mapped.notes),
                actor=actor,
                subject=order,
                data={"notes": mapped.notes, "delivery": delivery.pk},
            )
        version.updated_at = mapped.updated_at or version.updated_at
        version.delivery = delivery
        version.save()
        total = format_amount(order.total, order.currency)
        outcome.append(
            f"Order {order_id} {'created' if created else 'updated'}: total {total} "
            f"{order.currency}"
            + (" (flagged: figures do not add up)." if order.needs_attention else ".")
        )
    if cancelling or mapped.cancelled_at:
        if not Order.objects.filter(retailer=retailer, external_id=order_id).exists():
            raise NotYet("the order is not here yet")
        cancellation = cancellation_record_by_retailer(
            retailer=retailer,
            order=order_id,
            actor=actor,
            note=f"Cancelled in Shopify at {mapped.cancelled_at or 'an unknown time'}"
            + (f" ({payload.get('cancel_reason')})" if payload.get("cancel_reason") else "")
            + ".",
        )
        outcome.append(
            f"Cancelled by the retailer: request {cancellation.pk}."
            if cancellation is not None
            else "Nothing left to cancel."
        )
    status = Status.STALE if stale and not (cancelling or mapped.cancelled_at) else Status.APPLIED
    return Result(status, " ".join(outcome), resource_id=order_id, order=order_id)


def orders_create(delivery, payload) -> Result:
    return _order_apply(delivery, payload, cancelling=False)


def orders_cancelled(delivery, payload) -> Result:
    return _order_apply(delivery, payload, cancelling=True)


def refunds_create(delivery, payload) -> Result:
    refund = payload.get("refund", payload) if isinstance(payload, dict) else None
    if not isinstance(refund, dict) or refund.get("id") is None or refund.get("order_id") is None:
        raise Unusable("The body has no refund id or order id.")
    retailer = delivery.retailer
    refund_id, order_id = str(refund["id"]), str(refund["order_id"])
    _version_locked(retailer, order_id)
    order = (
        Order.objects.select_for_update(of=("self",))
        .filter(retailer=retailer, external_id=order_id)
        .first()
    )
    if order is None:
        raise NotYet(f"order {order_id} is not here yet")
    if RESCIND_REFUND_MARK in (refund.get("note") or ""):
        return Result(
            Status.IGNORED,
            f"Shopify refund {refund_id} is one Rescind made itself: already recorded.",
            resource_id=refund_id,
            order=order_id,
        )
    payment = order.payments.filter(external_id=order_id).first() or order.payments.first()
    if payment is None:
        raise Unusable(f"Order {order_id} has no payment to record the refund on.")
    money = refund_money(refund)
    recorded = refund_record_external(
        order=order,
        payment=payment,
        amount=money,
        reference=refund_id,
        line_weights=refund_lines(refund),
        actor=actor_for(delivery),
        note=refund.get("note") or "",
        occurred_at=parse_datetime(refund.get("created_at") or "") or timezone.now(),
    )
    currency = order.currency
    if recorded is None:
        outcome = f"Shopify refund {refund_id} was recorded before: nothing changed."
    else:
        outcome = (
            f"Shopify refund {refund_id} recorded: {format_amount(recorded.amount, currency)} "
            f"{currency} on payment {payment.external_id}."
        )
    return Result(Status.APPLIED, outcome, resource_id=refund_id, order=order_id)


def _fulfillment_answer(delivery, payload, *, accepted: bool) -> Result:
    fulfillment_order = (payload or {}).get("fulfillment_order") or {}
    reference = str(fulfillment_order.get("id") or "")
    if not reference:
        raise Unusable("The body names no fulfilment order.")
    request = fulfillment_request_by_reference(retailer=delivery.retailer, reference=reference)
    if request is None or request.cancellation is None:
        return Result(
            Status.IGNORED,
            f"No request of ours is waiting on fulfilment order {reference}.",
            resource_id=reference,
        )
    cancellation = request.cancellation
    message = payload.get("message") or ""
    if cancellation.status not in (CancellationStatus.AWAITING_WAREHOUSE,) and not (
        cancellation.status == CancellationStatus.IN_REVIEW
        and cancellation.decision_rule == "warehouse_no_answer"
    ):
        return Result(
            Status.IGNORED,
            f"Request {cancellation.pk} is {cancellation.status}: the answer changes nothing.",
            resource_id=reference,
            order=request.order.external_id,
        )
    cancellation_warehouse_answer(
        cancellation=cancellation,
        accepted=accepted,
        message=message,
        actor=Actor.system(f"shopify 3PL ({delivery.shop_domain})"),
    )
    return Result(
        Status.APPLIED,
        f"The 3PL {'accepted' if accepted else 'rejected'} the cancellation of request "
        f"{cancellation.pk}.",
        resource_id=reference,
        order=request.order.external_id,
    )


def cancellation_accepted(delivery, payload) -> Result:
    return _fulfillment_answer(delivery, payload, accepted=True)


def cancellation_rejected(delivery, payload) -> Result:
    return _fulfillment_answer(delivery, payload, accepted=False)


HANDLERS = {
    "orders/create": orders_create,
    "orders/updated": orders_create,
    "orders/cancelled": orders_cancelled,
    "refunds/create": refunds_create,
    "fulfillment_orders/cancellation_request_accepted": cancellation_accepted,
    "fulfillment_orders/cancellation_request_rejected": cancellation_rejected,
}

"""Writes for orders: the storefront's order mirrored here, with stock kept in step."""

from django.db import IntegrityError, transaction

from inventory.models import StockMovement
from inventory.services import line_stock_sync, stock_move
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import ZERO, format_amount
from kernel.timeline import EventKind, order_event_record
from orders.models import Customer, Order, OrderLine, Payment

LINE_FIELDS = ("sku", "title", "quantity", "unit_price", "discount", "tax", "final_sale")
PAYMENT_FIELDS = ("method", "amount", "reference")
# What a line's money is made of; fixed once units of it are cancelled.
PRICE_FIELDS = ("unit_price", "discount", "tax")


def customer_upsert(*, retailer, data: dict) -> Customer:
    customer, created = Customer.objects.get_or_create(
        retailer=retailer,
        external_id=data["external_id"],
        defaults={k: data.get(k) or "" for k in ("email", "name", "phone")},
    )
    if not created:
        changed = [
            k
            for k in ("email", "name", "phone")
            if k in data and getattr(customer, k) != (data[k] or "")
        ]
        for k in changed:
            setattr(customer, k, data[k] or "")
        if changed:
            customer.save(update_fields=changed)
    return customer


def order_upsert(
    *, retailer, external_id: str, data: dict, actor: Actor, flag_mismatch: bool = False
) -> tuple[Order, bool]:
    """Create or replace an order from the storefront's full representation.

    Returns (order, created). Lines that were already cancelled cannot be dropped or
    shrunk below what was cancelled, nor payments below what was refunded. Unfulfilled
    lines hold a stock reservation; a move to shipped consumes it.

    Payments that do not add up to the order's total (SPEC §3) are refused
    (`payments_mismatch`), unless `flag_mismatch`: a connector's order is another
    system's record, so it is kept as it came, flagged `needs_attention` for a person,
    with the difference on its timeline; nothing of its money is altered.
    """
    # In a journal: the order's timeline events, its stock webhooks and their hand-over to
    # workers are written once, at the end (the insert that can collide comes first).
    try:
        with transaction.atomic(), journal():
            return _order_upsert(
                retailer=retailer,
                external_id=external_id,
                data=data,
                actor=actor,
                flag_mismatch=flag_mismatch,
            )
    except IntegrityError:
        # A concurrent PUT created the same order first: ours becomes an update.
        with transaction.atomic(), journal():
            return _order_upsert(
                retailer=retailer,
                external_id=external_id,
                data=data,
                actor=actor,
                flag_mismatch=flag_mismatch,
            )


def _order_upsert(*, retailer, external_id, data, actor, flag_mismatch=False):
    order = (
        Order.objects.select_for_update().filter(retailer=retailer, external_id=external_id).first()
    )
    created = order is None
    if created:
        order = Order(retailer=retailer, external_id=external_id)
    elif order.currency != data["currency"] and (
        order.shipping_refunded or order.lines.filter(cancelled_quantity__gt=0).exists()
    ):
        raise DomainError(
            ErrorCode.INVALID,
            "The currency of an order with cancellations cannot change.",
            errors={"currency": ["Cannot change after a cancellation."]},
        )
    previous_fulfillment = order.fulfillment_status if not created else None

    order.customer = customer_upsert(retailer=retailer, data=data["customer"])
    order.currency = data["currency"]
    order.placed_at = data["placed_at"]
    order.fulfillment_status = data.get("fulfillment_status") or Order.Fulfillment.UNFULFILLED
    order.shipped_at = data.get("shipped_at")
    order.delivered_at = data.get("delivered_at")
    order.shipping = data["shipping"]
    lines_data = data["lines"]
    order.total = sum((_line_total(d) for d in lines_data), start=order.shipping)
    payments_total = sum((p["amount"] for p in data.get("payments", [])), start=ZERO)
    was_flagged = order.needs_attention
    mismatch = payments_total != order.total
    if mismatch and flag_mismatch:
        difference = payments_total - order.total
        order.needs_attention = True
        order.attention_reason = (
            f"Payments add up to {format_amount(payments_total, order.currency)} but the "
            f"order's lines and shipping to {format_amount(order.total, order.currency)} "
            f"(difference {format_amount(difference, order.currency)} {order.currency})."
        )
    elif not mismatch and was_flagged and flag_mismatch:
        order.needs_attention = False
        order.attention_reason = ""
    if mismatch and not flag_mismatch:
        raise DomainError(
            ErrorCode.PAYMENTS_MISMATCH,
            f"Payments add up to {format_amount(payments_total, order.currency)} but the order "
            f"total is {format_amount(order.total, order.currency)}.",
            errors={"payments": ["Payments must add up to the order total."]},
        )
    order.save()

    lines = _lines_replace(order=order, lines_data=lines_data, actor=actor, created=created)
    _payments_replace(order=order, payments_data=data.get("payments", []), created=created)
    for line in lines:
        line.order = order
        line_stock_sync(line=line, actor=actor)

    if mismatch and flag_mismatch:
        order_event_record(
            order=order,
            kind=EventKind.ORDER_FIGURES_MISMATCH,
            message=order.attention_reason + " Kept as received for a person to check.",
            actor=actor,
            subject=order,
            data={
                "payments_total": format_amount(payments_total, order.currency),
                "order_total": format_amount(order.total, order.currency),
                "difference": format_amount(payments_total - order.total, order.currency),
            },
        )
    elif was_flagged and not order.needs_attention:
        order_event_record(
            order=order,
            kind=EventKind.ORDER_FIGURES_RECONCILED,
            message="The order's payments now add up to its total.",
            actor=actor,
            subject=order,
        )
    if created:
        order_event_record(
            order=order,
            kind=EventKind.ORDER_CREATED,
            message=(
                f"Order received: {len(lines)} line(s), total "
                f"{format_amount(order.total, order.currency)} {order.currency}."
            ),
            actor=actor,
            subject=order,
            to_state=order.fulfillment_status,
        )
    else:
        order_event_record(
            order=order,
            kind=EventKind.ORDER_UPDATED,
            message=(
                "Order updated by the storefront: total "
                f"{format_amount(order.total, order.currency)}."
            ),
            actor=actor,
            subject=order,
        )
        if previous_fulfillment != order.fulfillment_status:
            order_event_record(
                order=order,
                kind=EventKind.ORDER_FULFILLMENT_CHANGED,
                message=(
                    f"Fulfilment changed from {previous_fulfillment} to {order.fulfillment_status}."
                ),
                actor=actor,
                subject=order,
                from_state=previous_fulfillment,
                to_state=order.fulfillment_status,
            )
    return order, created


def _line_total(data):
    return data["quantity"] * data["unit_price"] - data.get("discount", 0) + data.get("tax", 0)


def _lines_replace(*, order, lines_data, actor, created) -> list[OrderLine]:
    existing = {} if created else {line.external_id: line for line in order.lines.all()}
    incoming = {d["external_id"] for d in lines_data}
    problems = {}
    for line in existing.values():
        if line.external_id not in incoming and line.cancelled_quantity:
            problems[line.external_id] = "has cancelled units and cannot be removed"
    for d in lines_data:
        line = existing.get(d["external_id"])
        if line is not None and d["quantity"] < line.cancelled_quantity:
            problems[d["external_id"]] = (
                f"cannot have fewer than the {line.cancelled_quantity} unit(s) already cancelled"
            )
    if problems:
        raise DomainError(
            ErrorCode.LINES_ALREADY_CANCELLED,
            "; ".join(f"line {k} {v}" for k, v in problems.items()) + ".",
            errors={"lines": [f"{k}: {v}" for k, v in problems.items()]},
        )
    # SPEC §3 refunds k of r remaining units pro rata of what remains of the line's
    # total: a new price after a cancellation would make the last units refund more (or
    # less) than they cost. Quantities may still grow; the money of the line may not.
    repriced = {}
    for d in lines_data:
        line = existing.get(d["external_id"])
        if line is None or not line.cancelled_quantity:
            continue
        changed = [f for f in PRICE_FIELDS if getattr(line, f) != d.get(f, ZERO)]
        if changed:
            repriced[d["external_id"]] = changed
    if repriced:
        raise DomainError(
            ErrorCode.LINE_HAS_CANCELLATIONS,
            "; ".join(
                f"line {k} has cancelled units: its {', '.join(v)} cannot change"
                for k, v in repriced.items()
            )
            + ".",
            errors={"lines": [f"{k}: {', '.join(v)} cannot change" for k, v in repriced.items()]},
        )

    for line in existing.values():
        if line.external_id not in incoming:
            _line_unreserve(line, actor)
            line.delete()

    result, to_create = [], []
    for position, d in enumerate(lines_data):
        line = existing.get(d["external_id"])
        warehouse = d.get("warehouse") or order.retailer.default_warehouse
        if line is None:
            line = OrderLine(order=order, external_id=d["external_id"])
            to_create.append(line)
        elif line.sku != d["sku"] or line.warehouse != warehouse:
            _line_unreserve(line, actor)
        line.position = position
        line.warehouse = warehouse
        for field in LINE_FIELDS:
            setattr(line, field, d[field])
        if line.pk:
            line.save()
        result.append(line)
    OrderLine.objects.bulk_create(to_create)
    return result


def _line_unreserve(line, actor):
    if line.reserved_quantity:
        stock_move(
            retailer=line.order.retailer,
            sku=line.sku,
            warehouse_code=line.warehouse,
            kind=StockMovement.Kind.RELEASE,
            quantity=line.reserved_quantity,
            actor=actor,
            order=line.order,
            source=line,
        )
        line.reserved_quantity = 0
        line.save(update_fields=["reserved_quantity"])


def _payments_replace(*, order, payments_data, created):
    existing = {} if created else {p.external_id: p for p in order.payments.all()}
    incoming = {d["external_id"]: d for d in payments_data}
    problems = []
    for payment in existing.values():
        d = incoming.get(payment.external_id)
        if payment.refunded_amount and (d is None or d["amount"] < payment.refunded_amount):
            problems.append(
                f"{payment.external_id}: {format_amount(payment.refunded_amount, order.currency)} "
                "was already refunded to it"
            )
    if problems:
        raise DomainError(
            ErrorCode.LINES_ALREADY_CANCELLED,
            "Payments with refunds cannot be removed or reduced below what was refunded.",
            errors={"payments": problems},
        )
    for payment in existing.values():
        if payment.external_id not in incoming:
            payment.delete()
    to_create = []
    for position, d in enumerate(payments_data):
        payment = existing.get(d["external_id"]) or Payment(
            order=order, external_id=d["external_id"]
        )
        payment.position = position
        for field in PAYMENT_FIELDS:
            setattr(payment, field, d[field])
        payment.gateways = list(d.get("gateways") or [])
        if payment.pk:
            payment.save()
        else:
            to_create.append(payment)
    Payment.objects.bulk_create(to_create)

"""Writes for returns: creation, authorisation and its label, decline and cancel (the
parcel's scan, receipt and expiry are in `returns.receiving`, inspection in
`returns.inspection`, closing and settlement in `returns.settlement`). The API, the
portal, the cancellations that hand over to a return, tasks and (later) the desk all
call these; none of them changes a return any other way.

Every write locks the order row, then the return: the same order as cancellations, so
a return and a cancellation of one order never deadlock, and two clerks scanning one
parcel are decided one after the other (the second sees what the first did).
"""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from inventory.services import stock_level_for_update, stock_move
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import ZERO, format_amount
from kernel.timeline import EventKind, order_event_record
from notifications.services import event_emit
from orders.models import Order
from retailers.services import policy_current
from returns.carriers import LabelRequest, carrier_for
from returns.models import Resolution, Return, ReturnExchangeLine, ReturnLine, Status
from returns.pricing import fees_for, line_price, return_net
from returns.selectors import units_held_by_returns, units_refunded_by_returns
from returns.transitions import illegal, return_transition

SYSTEM = Actor.system()


# --- locking ---------------------------------------------------------------------------


def _order_locked(*, retailer, external_id: str) -> Order:
    order = (
        Order.objects.select_for_update(of=("self", "customer"))
        .select_related("retailer", "customer", "customer__message_preference")
        .filter(retailer=retailer, external_id=external_id)
        .first()
    )
    if order is None:
        raise DomainError(
            ErrorCode.ORDER_NOT_FOUND,
            f"No order {external_id!r} for this retailer.",
            errors={"order": ["No such order."]},
        )
    return order


def return_locked(return_request) -> Return:
    """Lock the order, then the return (always in that order); the return comes back
    with its order, retailer and policy loaded."""
    order = (
        Order.objects.select_for_update(of=("self", "customer"))
        .select_related("retailer", "customer")
        .get(pk=return_request.order_id)
    )
    locked = (
        Return.objects.select_for_update(of=("self",))
        .select_related("retailer", "policy")
        .get(pk=return_request.pk)
    )
    locked.order = order
    return locked


# --- creation --------------------------------------------------------------------------


def _window_start(order):
    if order.fulfillment_status == Order.Fulfillment.DELIVERED and order.delivered_at:
        return order.delivered_at, "delivered"
    return order.shipped_at, "shipped"


def _check_returnable(order, policy, now) -> None:
    if not order.is_shipped:
        raise DomainError(
            ErrorCode.NOT_SHIPPED,
            f"Order {order.external_id} has not shipped: cancel it instead of returning it.",
        )
    since, event = _window_start(order)
    days = policy.return_window_days
    if since is not None and now - since > timedelta(days=days):
        raise DomainError(
            ErrorCode.OUTSIDE_RETURN_WINDOW,
            f"Order {order.external_id} {event} on {since:%Y-%m-%d}, more than {days} days "
            "ago: it is outside the return window.",
        )


def _wanted_lines(order, requested, *, held, check_final_sale=True):
    """[(order line, units)] for `requested` ([{line, quantity}] or None: every unit
    shipped and not yet returned or cancelled), refusing what cannot be returned."""
    lines = list(order.lines.all())
    by_id = {line.external_id: line for line in lines}

    def left(line):
        return line.quantity - line.cancelled_quantity - held.get(line.pk, 0)

    if requested is None:
        wanted = [(line, left(line)) for line in lines if left(line) > 0]
        if check_final_sale:
            wanted = [(line, units) for line, units in wanted if not line.final_sale]
        if not wanted:
            raise DomainError(
                ErrorCode.QUANTITY_EXCEEDS_REMAINING,
                f"Nothing is left to return on order {order.external_id}.",
            )
        return wanted
    missing = {
        f"lines[{i}].line": ["No such line on this order."]
        for i, r in enumerate(requested)
        if r["line"] not in by_id
    }
    if missing:
        raise DomainError(
            ErrorCode.LINE_NOT_FOUND,
            f"No such line on order {order.external_id}.",
            errors=missing,
        )
    if check_final_sale:
        final = {
            f"lines[{i}].line": [f"{by_id[r['line']].sku} was sold as final sale."]
            for i, r in enumerate(requested)
            if by_id[r["line"]].final_sale
        }
        if final:
            raise DomainError(
                ErrorCode.NOT_RETURNABLE, "Final-sale items cannot be returned.", errors=final
            )
    wanted, over = [], {}
    for i, r in enumerate(requested):
        line = by_id[r["line"]]
        units = r.get("quantity") or left(line)
        if units > left(line) or units <= 0:
            over[f"lines[{i}].quantity"] = [
                f"Only {max(left(line), 0)} unit(s) of {line.external_id} are left to return."
            ]
        wanted.append((line, units))
    if over:
        raise DomainError(
            ErrorCode.QUANTITY_EXCEEDS_REMAINING,
            "More units than shipped and not yet returned or cancelled.",
            errors=over,
        )
    return wanted


def _exchange_plan(order, policy, wanted, exchange_lines):
    """[(order line, sku, units, warehouse)] for the exchange, each with stock to reserve."""
    if not policy.exchanges_allowed:
        raise DomainError(ErrorCode.EXCHANGES_NOT_ALLOWED, "This store does not take exchanges.")
    if not exchange_lines:
        raise DomainError(
            ErrorCode.INVALID,
            "An exchange needs `exchange_lines`.",
            errors={"exchange_lines": ["Required for an exchange."]},
        )
    returned = {line.external_id: (line, units) for line, units in wanted}
    problems, asked = {}, {}
    for i, item in enumerate(exchange_lines):
        if item["line"] not in returned:
            problems[f"exchange_lines[{i}].line"] = ["Not a line of this return."]
            continue
        asked[item["line"]] = asked.get(item["line"], 0) + item["quantity"]
        if asked[item["line"]] > returned[item["line"]][1]:
            problems[f"exchange_lines[{i}].quantity"] = [
                "More units than are returned on this line."
            ]
    if problems:
        raise DomainError(
            ErrorCode.QUANTITY_EXCEEDS_REMAINING,
            "Exchange lines must replace returned units.",
            errors=problems,
        )
    plan, short = [], {}
    for i, item in enumerate(exchange_lines):
        line = returned[item["line"]][0]
        warehouse = _exchange_warehouse(order.retailer, item["sku"], item["quantity"], line)
        if warehouse is None:
            short[f"exchange_lines[{i}].sku"] = [f"No {item['sku']} available."]
        plan.append((line, item["sku"], item["quantity"], warehouse))
    if short:
        raise DomainError(
            ErrorCode.OUT_OF_STOCK, "An exchange SKU has no available stock.", errors=short
        )
    return plan


def _exchange_warehouse(retailer, sku, units, line) -> str | None:
    """Where to take the exchange units from: the returned line's warehouse when it has
    them available, else the first warehouse (by code) that does."""
    levels = list(
        StockLevel.objects.filter(retailer=retailer, sku=sku)
        .select_related("warehouse")
        .order_by("warehouse__code")
    )
    levels.sort(key=lambda level: level.warehouse.code != line.warehouse)
    for level in levels:
        if level.on_hand - level.reserved >= units:
            return level.warehouse.code
    return None


def return_create(
    *,
    retailer,
    order: str,
    reason: str,
    actor: Actor,
    lines: list[dict] | None = None,
    resolution: str = Resolution.REFUND,
    exchange_lines: list[dict] | None = None,
    note: str = "",
) -> Return:
    """A return of shipped units (SPEC §8), authorised at once under the policy's
    `auto_authorise_returns`, otherwise `requested` for an agent.

    Refused (422) for an order not shipped, outside the return window, a final-sale
    line, more units than left to return, or an exchange SKU out of stock.
    """
    with transaction.atomic(), journal():
        order_obj = _order_locked(retailer=retailer, external_id=order)
        policy = policy_current(retailer=retailer)
        now = timezone.now()
        _check_returnable(order_obj, policy, now)
        wanted = _wanted_lines(order_obj, lines, held=units_held_by_returns(order_obj))
        plan = []
        if resolution == Resolution.EXCHANGE:
            plan = _exchange_plan(order_obj, policy, wanted, exchange_lines or [])
        return _create(
            order=order_obj,
            policy=policy,
            reason=reason,
            resolution=resolution,
            note=note,
            wanted=wanted,
            exchange_plan=plan,
            actor=actor,
            now=now,
        )


def return_create_for_cancellation(*, cancellation, actor: Actor) -> Return:
    """The return a `return_required` request hands over to, in the request's own
    transaction (the caller holds the order lock): its lines and reason; store credit
    when the request asked for it. The rule or person that required the return already
    decided it may come back, so neither shipment nor window is checked again."""
    order = cancellation.order
    policy = policy_current(retailer=cancellation.retailer)
    requested = [
        {"line": cl.line.external_id, "quantity": cl.quantity} for cl in cancellation.lines.all()
    ]
    wanted = _wanted_lines(
        order, requested, held=units_held_by_returns(order), check_final_sale=False
    )
    resolution = (
        Resolution.STORE_CREDIT
        if getattr(cancellation, "refund_method", "") == "store_credit"
        else Resolution.REFUND
    )
    return _create(
        order=order,
        policy=policy,
        reason=cancellation.reason,
        resolution=resolution,
        note=cancellation.note,
        wanted=wanted,
        exchange_plan=[],
        actor=actor,
        now=timezone.now(),
        cancellation=cancellation,
    )


def _create(
    *, order, policy, reason, resolution, note, wanted, exchange_plan, actor, now, cancellation=None
):
    return_request = Return.objects.create(
        retailer=order.retailer,
        order=order,
        cancellation=cancellation,
        reason=reason,
        resolution=resolution,
        note=note,
        policy=policy,
        created_by=actor.label,
    )
    return_request.order = order
    ReturnLine.objects.bulk_create(
        ReturnLine(return_request=return_request, line=line, quantity=units)
        for line, units in wanted
    )
    ReturnExchangeLine.objects.bulk_create(
        ReturnExchangeLine(
            return_request=return_request, line=line, sku=sku, quantity=units, warehouse=warehouse
        )
        for line, sku, units, warehouse in exchange_plan
    )
    _estimate(return_request, policy)
    units = sum(units for _line, units in wanted)
    order_event_record(
        order=order,
        kind=EventKind.RETURN_REQUESTED,
        message=(
            f"Return requested ({reason.replace('_', ' ')}, {resolution.replace('_', ' ')}): "
            f"{units} unit(s), estimated refund "
            f"{format_amount(return_request.refund_total, order.currency)} {order.currency}."
        ),
        actor=actor,
        subject=return_request,
        to_state=Status.REQUESTED,
        data={"lines": [{"line": line.external_id, "quantity": u} for line, u in wanted]},
    )
    event_emit(
        retailer=order.retailer,
        event_type="return.created",
        data={},
        order=order,
        subject=return_request,
    )
    if policy.auto_authorise_returns:
        _authorise(
            return_request,
            actor=Actor.rule("auto_authorise_returns"),
            why="Authorised automatically under the store's return policy.",
            # A request that hands over to this return tells the customer itself.
            tell_customer=cancellation is None,
            now=now,
        )
    return return_request


def _estimate(return_request, policy) -> None:
    """Before inspection: what the return would refund if every unit came back resellable."""
    order = return_request.order
    currency = order.currency
    fee_percent, label_fee = fees_for(return_request, policy)
    refunded = units_refunded_by_returns(order)
    exchanged = {}
    for item in return_request.exchange_lines.all():
        exchanged[item.line_id] = exchanged.get(item.line_id, 0) + item.quantity
    lines_total, restocking = ZERO, ZERO
    for row in return_request.lines.select_related("line"):
        line = row.line
        units = row.quantity - exchanged.get(line.pk, 0)
        refundable = line.quantity - line.cancelled_quantity - refunded.get(line.pk, 0)
        price = line_price(
            line,
            refunded=min(units, refundable),
            resellable=min(units, refundable),
            refundable_units=refundable,
            fee_percent=fee_percent,
            currency=currency,
        )
        row.refund_amount, row.restocking_fee = price.amount, price.restocking_fee
        row.save(update_fields=["refund_amount", "restocking_fee"])
        lines_total += price.amount
        restocking += price.restocking_fee
    return_request.restocking_fee = restocking
    return_request.label_fee = label_fee
    return_request.refund_total = return_net(
        lines_total=lines_total, restocking_fee=restocking, label_fee=label_fee
    )
    return_request.save(update_fields=["restocking_fee", "label_fee", "refund_total"])


# --- authorisation, decline, cancel ------------------------------------------------------


def _authorise(return_request, *, actor, why, now, tell_customer=True) -> None:
    """Reserve the exchange stock, buy the label and move to `authorised` (the caller
    holds the locks)."""
    policy = return_request.policy
    for item in return_request.exchange_lines.select_related("line"):
        _exchange_reserve(return_request, item, actor=actor)
    return_request.ship_by = now + timedelta(days=policy.return_ship_by_days)
    return_request.authorised_at = now
    _label_buy(return_request, actor=actor)
    return_transition(
        return_request=return_request,
        to=Status.AUTHORISED,
        actor=actor,
        why=f"{why} Ship by {return_request.ship_by:%Y-%m-%d}.",
        data={"ship_by": return_request.ship_by.isoformat()},
        tell_customer=tell_customer,
    )


def _label_buy(return_request, *, actor) -> None:
    """Buy the prepaid label from the retailer's carrier (once: the same key buys it
    once). The sandbox carrier draws it here; see docs/returns.md for a networked one."""
    if return_request.tracking_number:
        return
    order = return_request.order
    customer = order.customer
    retailer = return_request.retailer
    warehouse = return_request.lines.select_related("line").first().line.warehouse
    label = carrier_for(retailer).buy_label(
        LabelRequest(
            retailer_name=retailer.name,
            return_id=return_request.pk,
            order=order.external_id,
            ship_by=return_request.ship_by,
            from_lines=tuple(
                text for text in (customer.name, customer.email, customer.phone) if text
            ),
            to_lines=(
                f"{retailer.name} Returns",
                f"Warehouse {warehouse}",
                f"RMA {return_request.pk}",
            ),
            items=tuple(
                f"{row.quantity} x {row.line.sku}"
                for row in return_request.lines.select_related("line")
            ),
            idempotency_key=f"return:{return_request.pk}:label",
        )
    )
    return_request.carrier = label.carrier
    return_request.tracking_number = label.tracking_number
    return_request.label_pdf = label.pdf
    order_event_record(
        order=order,
        kind=EventKind.RETURN_LABEL_BOUGHT,
        message=f"Return label bought from {label.carrier}: tracking number "
        f"{label.tracking_number}.",
        actor=actor,
        subject=return_request,
        data={"carrier": label.carrier, "tracking_number": label.tracking_number},
    )


def _exchange_reserve(return_request, item, *, actor) -> None:
    level = stock_level_for_update(
        retailer=return_request.retailer, sku=item.sku, warehouse_code=item.warehouse
    )
    if level.available < item.quantity:
        raise DomainError(
            ErrorCode.OUT_OF_STOCK,
            f"No {item.sku} available for the exchange (only {max(level.available, 0)}).",
            errors={"exchange_lines": [f"{item.sku}: out of stock."]},
        )
    moved = stock_move(
        retailer=return_request.retailer,
        sku=item.sku,
        warehouse_code=item.warehouse,
        kind=StockMovement.Kind.RESERVE,
        quantity=item.quantity,
        actor=actor,
        source=item,
        idempotency_key=f"returnexchangeline:{item.pk}:reserve",
    )
    if moved is not None:
        item.reserved_quantity = item.quantity
        item.save(update_fields=["reserved_quantity"])


def exchange_release(return_request, *, actor, why: str) -> None:
    """Give back whatever exchange stock the return still holds (expiry, cancel, close)."""
    for item in return_request.exchange_lines.filter(reserved_quantity__gt=0):
        stock_move(
            retailer=return_request.retailer,
            sku=item.sku,
            warehouse_code=item.warehouse,
            kind=StockMovement.Kind.RELEASE,
            quantity=item.reserved_quantity,
            actor=actor,
            source=item,
            idempotency_key=f"returnexchangeline:{item.pk}:release:{item.shipped_quantity}",
        )
        item.reserved_quantity = 0
        item.save(update_fields=["reserved_quantity"])


def return_authorise(*, return_request, actor: Actor, note: str = "") -> Return:
    """An agent (or the storefront) authorises a requested return; an upheld dispute
    authorises a declined one."""
    with transaction.atomic(), journal():
        return_request = return_locked(return_request)
        if return_request.status not in (Status.REQUESTED, Status.DECLINED):
            raise illegal(return_request, "authorised")
        return_request.decline_reason = ""
        _authorise(
            return_request,
            actor=actor,
            why=note or f"Authorised by {actor.label}.",
            now=timezone.now(),
        )
    return return_request


def return_decline(*, return_request, actor: Actor, reason: str) -> Return:
    """Refuse a requested return, saying why (the customer is told, and how to dispute)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            ErrorCode.INVALID, "Say why the return is declined.", errors={"reason": ["Required."]}
        )
    with transaction.atomic(), journal():
        return_request = return_locked(return_request)
        if return_request.status != Status.REQUESTED:
            raise illegal(return_request, "declined")
        return_request.decline_reason = reason
        return_transition(
            return_request=return_request,
            to=Status.DECLINED,
            actor=actor,
            why=f"Declined: {reason}",
            data={"reason": reason},
        )
    return return_request


def return_cancel(*, return_request, actor: Actor, why: str = "") -> Return:
    """The customer or storefront calls the return off before anything was sent back."""
    with transaction.atomic(), journal():
        return_request = return_locked(return_request)
        if return_request.status not in (Status.REQUESTED, Status.AUTHORISED):
            raise illegal(return_request, "cancelled")
        exchange_release(return_request, actor=actor, why="cancelled")
        return_transition(
            return_request=return_request,
            to=Status.CANCELLED,
            actor=actor,
            why=why or f"Cancelled by the {actor.kind.replace('_', ' ')}.",
        )
    return return_request

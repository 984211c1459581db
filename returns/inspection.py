"""Inspection: each received unit graded once, then the money and the stock of SPEC §8.

Per line, the units graded in this inspection (resellable, damaged, wrong item; received
units left ungraded are missing):
- resellable and damaged units are taken back: exchanged first (up to what the exchange
  lines ask for that line), the rest priced by §3's rule on what remains refundable of
  the line (`refunds.calculator.return_line_refund`), with the restocking fee on the
  resellable ones for a customer-choice reason; the label fee once per return;
- stock: resellable units are restocked at the receiving warehouse (else the line's),
  damaged ones recorded as `write_off` without touching on hand (they left it when they
  shipped); missing and wrong-item units move nothing and set `needs_attention`;
- the money owed now (what the return owes in all, net of fees and never below zero,
  less what earlier inspections already paid) goes out as refunds to the original
  payments, or as one store credit with the policy's bonus, in this transaction; the
  exchange units go on the exchange order `<order>-X<return id>` (total 0), whose stock
  the return reserved at authorisation.
"""

from django.db import transaction
from django.utils import timezone

from inventory.models import StockMovement
from inventory.services import stock_move
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import ZERO, format_amount
from kernel.timeline import EventKind, order_event_record
from notifications.services import event_emit
from orders.services import order_upsert
from refunds.calculator import allocate, with_bonus
from refunds.services import refunds_create
from refunds.store_credit.services import store_credit_create
from returns.models import Resolution, Status
from returns.pricing import fees_for, line_price, return_net
from returns.receiving import check_counts
from returns.selectors import units_refunded_by_returns
from returns.services import return_locked
from returns.settlement import return_settle
from returns.transitions import illegal, return_transition


def return_inspect(*, return_request, lines: list[dict], actor: Actor):
    """Grade the received units not yet graded: `lines` [{line, resellable, damaged,
    wrong_item}] (absent counts are 0). Received units left ungraded and units never
    received are `missing`. Only a `received` return is inspected, so two clerks
    inspecting at once grade each unit once (the second is `illegal_transition`)."""
    with transaction.atomic(), journal():
        return_request = return_locked(return_request)
        if return_request.status != Status.RECEIVED:
            raise illegal(return_request, "inspected")
        rows = {row.line.external_id: row for row in return_request.lines.select_related("line")}
        counted = [
            {
                "line": item["line"],
                "quantity": item.get("resellable", 0)
                + item.get("damaged", 0)
                + item.get("wrong_item", 0),
            }
            for item in lines
        ]
        check_counts(
            rows, counted, lambda row: row.received_quantity - row.inspected_quantity, "graded"
        )
        grades = {item["line"]: item for item in lines}
        _grade(return_request, rows, grades, actor=actor)
    return return_request


def _grade(return_request, rows, grades, *, actor) -> None:
    order = return_request.order
    currency = order.currency
    policy = return_request.policy
    fee_percent, label_fee = fees_for(return_request, policy)
    refunded_units = units_refunded_by_returns(order)
    exchange_room = _exchange_room(return_request)
    now = timezone.now()
    graded_now, exchanged_now, lines_gross, restocking = [], [], ZERO, ZERO
    missing_total, wrong_total = 0, 0
    for row in rows.values():
        line = row.line
        grade = grades.get(line.external_id, {})
        resellable, damaged = grade.get("resellable", 0), grade.get("damaged", 0)
        wrong = grade.get("wrong_item", 0)
        row.resellable += resellable
        row.damaged += damaged
        row.wrong_item += wrong
        row.inspected_quantity = row.received_quantity
        # Exchanged first, resellable units before damaged ones.
        exchange = min(resellable + damaged, exchange_room.get(line.pk, 0))
        exchange_room[line.pk] = exchange_room.get(line.pk, 0) - exchange
        refunded_resellable = resellable - min(exchange, resellable)
        refunded = resellable + damaged - exchange
        refundable = line.quantity - line.cancelled_quantity - refunded_units.get(line.pk, 0)
        price = line_price(
            line,
            refunded=refunded,
            resellable=refunded_resellable,
            refundable_units=refundable,
            fee_percent=fee_percent,
            currency=currency,
        )
        if row.refunded_quantity == 0 and row.exchanged_quantity == 0:
            # The estimate is replaced by what the graded units are worth.
            row.refund_amount, row.restocking_fee = ZERO, ZERO
        row.refund_amount += price.amount
        row.restocking_fee += price.restocking_fee
        row.refunded_quantity += refunded
        row.exchanged_quantity += exchange
        row.save()
        if price.amount:
            line.refunded_amount += price.amount
            line.save(update_fields=["refunded_amount"])
        _stock(return_request, row, resellable=resellable, damaged=damaged, actor=actor)
        if exchange:
            exchanged_now.append((line, exchange))
        graded_now.append(
            f"{line.sku}: {resellable} resellable, {damaged} damaged, {wrong} wrong item"
        )
        lines_gross += row.refund_amount
        restocking += row.restocking_fee
        missing_total += row.quantity - row.graded
        wrong_total += row.wrong_item

    previous_total = return_request.refund_total if return_request.inspected_at else ZERO
    return_request.restocking_fee = restocking
    return_request.label_fee = label_fee
    return_request.refund_total = return_net(
        lines_total=lines_gross, restocking_fee=restocking, label_fee=label_fee
    )
    owed = return_request.refund_total - previous_total
    return_request.inspected_at = now
    attention = []
    if missing_total:
        attention.append(f"{missing_total} unit(s) missing")
    if wrong_total:
        attention.append(f"{wrong_total} wrong item(s)")
    return_request.needs_attention = bool(attention)
    return_request.attention_reason = "; ".join(attention)
    summary = "; ".join(graded_now)
    return_transition(
        return_request=return_request,
        to=Status.INSPECTED,
        actor=actor,
        why=f"Inspected: {summary}. Owed now {format_amount(owed, currency)} {currency}"
        f" (restocking fee {format_amount(restocking, currency)}, label fee "
        f"{format_amount(label_fee, currency)})."
        + (f" Needs attention: {return_request.attention_reason}." if attention else ""),
        data={
            "owed": format_amount(owed, currency),
            "refund_total": format_amount(return_request.refund_total, currency),
            "restocking_fee": format_amount(restocking, currency),
            "label_fee": format_amount(label_fee, currency),
            "missing": missing_total,
            "wrong_item": wrong_total,
        },
    )
    if attention:
        order_event_record(
            order=order,
            kind=EventKind.RETURN_NEEDS_ATTENTION,
            message=f"{return_request.attention_reason}: nothing is refunded for them; "
            "an agent settles the return.",
            actor=actor,
            subject=return_request,
        )
    if exchanged_now:
        _exchange_order(return_request, exchanged_now, actor=actor)
    if owed > 0:
        _pay(return_request, owed, actor=actor)
    return_settle(return_request, actor=actor)


def _exchange_room(return_request) -> dict[int, int]:
    """Order line id -> exchange units still to be sent for it."""
    room = {}
    for item in return_request.exchange_lines.all():
        room[item.line_id] = room.get(item.line_id, 0) + item.quantity - item.shipped_quantity
    return room


def _stock(return_request, row, *, resellable, damaged, actor) -> None:
    line = row.line
    warehouse = return_request.receiving_warehouse or line.warehouse
    common = {
        "retailer": return_request.retailer,
        "sku": line.sku,
        "warehouse_code": warehouse,
        "actor": actor,
        "order": return_request.order,
        "source": row,
        "returned": True,
    }
    # One movement per grade per inspection: the key names the units graded so far.
    key = f"returnline:{row.pk}:{row.inspected_quantity}"
    stock_move(
        kind=StockMovement.Kind.RESTOCK,
        quantity=resellable,
        idempotency_key=f"{key}:restock",
        **common,
    )
    stock_move(
        kind=StockMovement.Kind.WRITE_OFF,
        quantity=damaged,
        idempotency_key=f"{key}:write_off",
        **common,
    )


def _pay(return_request, owed, *, actor) -> None:
    order = return_request.order
    if return_request.resolution == Resolution.STORE_CREDIT:
        percent = return_request.policy.store_credit_bonus_percent
        amount = with_bonus(owed, percent, order.currency)
        store_credit_create(
            source=return_request, amount=amount, bonus_amount=amount - owed, actor=actor
        )
        return
    try:
        allocations = allocate(list(order.payments.order_by("position", "id")), owed)
    except ValueError as exc:
        raise DomainError(
            ErrorCode.PAYMENTS_MISMATCH,
            f"The order's payments cannot take back {format_amount(owed, order.currency)}: {exc}.",
        ) from exc
    refunds_create(source=return_request, allocations=allocations, actor=actor)


def _exchange_order(return_request, exchanged, *, actor) -> None:
    """Put the exchanged units on the exchange order (created, or grown by a later
    parcel), moving their reservation from the return to the order's lines."""
    order = return_request.order
    items = list(return_request.exchange_lines.order_by("id"))
    for line, units in exchanged:
        for item in items:
            if item.line_id != line.pk or units == 0:
                continue
            take = min(units, item.quantity - item.shipped_quantity)
            if take <= 0:
                continue
            units -= take
            item.shipped_quantity += take
            release = min(take, item.reserved_quantity)
            if release:
                stock_move(
                    retailer=return_request.retailer,
                    sku=item.sku,
                    warehouse_code=item.warehouse,
                    kind=StockMovement.Kind.RELEASE,
                    quantity=release,
                    actor=actor,
                    source=item,
                    idempotency_key=f"returnexchangeline:{item.pk}:ship:{item.shipped_quantity}",
                )
                item.reserved_quantity -= release
            item.save(update_fields=["shipped_quantity", "reserved_quantity"])
    customer = order.customer
    external_id = f"{order.external_id}-X{return_request.pk}"
    data = {
        "placed_at": timezone.now(),
        "currency": order.currency,
        "customer": {
            "external_id": customer.external_id,
            "email": customer.email,
            "name": customer.name,
            "phone": customer.phone,
        },
        "fulfillment_status": "unfulfilled",
        "shipping": ZERO,
        "lines": [
            {
                "external_id": f"X{item.pk}",
                "sku": item.sku,
                "title": f"Exchange for {item.line.sku}",
                "quantity": item.shipped_quantity,
                "unit_price": ZERO,
                "discount": ZERO,
                "tax": ZERO,
                "final_sale": False,
                "warehouse": item.warehouse,
            }
            for item in return_request.exchange_lines.select_related("line").order_by("id")
            if item.shipped_quantity
        ],
        "payments": [],
    }
    exchange_order, _created = order_upsert(
        retailer=return_request.retailer, external_id=external_id, data=data, actor=actor
    )
    return_request.exchange_order = exchange_order
    return_request.save(update_fields=["exchange_order", "updated_at"])
    order_event_record(
        order=order,
        kind=EventKind.RETURN_EXCHANGE_CREATED,
        message=f"Exchange order {external_id} created: "
        + ", ".join(f"{line['quantity']} x {line['sku']}" for line in data["lines"])
        + " (no charge).",
        actor=actor,
        subject=return_request,
        data={"exchange_order": external_id},
    )
    event_emit(
        retailer=return_request.retailer,
        event_type="return.exchange_created",
        data={},
        order=order,
        subject=return_request,
    )

"""Refunds made outside Rescind (in a connected shop's own admin, SPEC §12), recorded
as succeeded so that Rescind never gives that money back a second time."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from kernel.actors import Actor
from kernel.journal import journal
from kernel.money import ZERO, format_amount, pro_rata
from kernel.timeline import EventKind, order_event_record
from notifications.services import event_emit
from orders.models import Order, Payment
from refunds.models import Refund


def _spread(money: Decimal, weights: list[tuple[object, Decimal]], currency: str):
    """`money` over the lines in proportion to their weights, to the cent: each share is
    rounded half up and the last line takes what is left, so the shares add up."""
    total = sum((w for _line, w in weights), start=ZERO)
    if total <= 0:
        return []
    shares, left = [], money
    for i, (line, weight) in enumerate(weights):
        if i == len(weights) - 1:
            share = left
        else:
            # pro_rata takes integers: weigh in the currency's minor units.
            share = pro_rata(money, int(weight * 1000), int(total * 1000), currency)
        shares.append((line, share))
        left -= share
    return shares


def refund_record_external(
    *,
    order: Order,
    payment: Payment,
    amount: Decimal,
    reference: str,
    line_weights: list[tuple[str, int, Decimal]],
    actor: Actor,
    note: str = "",
    occurred_at=None,
) -> Refund | None:
    """Record `amount` given back outside Rescind on `payment` (status `succeeded`,
    `gateway_reference` the outside refund's id), and on the lines it names.

    The money is `amount` as the outside system moved it, never its lines' arithmetic:
    it is spread over the named lines by their weights (`line_weights`: external line
    id, units, the line's own figure), each capped at what remains of the line, then
    onto shipping, so a later cancellation refunds only what is left. A refund with the
    same reference on the payment is recorded once: a repeat returns None.
    """
    with transaction.atomic(), journal():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if Refund.objects.filter(payment=payment, gateway_reference=reference).exists():
            return None
        currency = order.currency
        recorded = min(amount, payment.refundable)
        lost = amount - recorded
        if recorded <= 0:
            _flag(
                order,
                actor,
                f"Refund {reference} of {format_amount(amount, currency)} "
                f"{currency} made outside exceeds what the payment had left.",
            )
            return None
        payment.refunded_amount += recorded
        payment.save(update_fields=["refunded_amount"])
        refund = Refund.objects.create(
            retailer_id=order.retailer_id,
            payment=payment,
            amount=recorded,
            currency=currency,
            status=Refund.Status.SUCCEEDED,
            gateway_reference=reference,
            succeeded_at=occurred_at or timezone.now(),
            next_attempt_at=None,
            # Money that moved outside our gateway, as a supervisor's manual refund does:
            # no gateway call of ours stands behind it (ops.invariants counts on that).
            manual=True,
        )
        lines = {line.external_id: line for line in order.lines.select_for_update()}
        weights = [(lines[ext], w) for ext, _units, w in line_weights if ext in lines]
        spread, left = [], recorded
        for line, share in _spread(recorded, weights, currency):
            share = min(share, line.total - line.refunded_amount, left)
            if share > 0:
                line.refunded_amount += share
                line.save(update_fields=["refunded_amount"])
                spread.append({"line": line.external_id, "amount": format_amount(share, currency)})
                left -= share
        shipping = min(left, order.shipping - order.shipping_refunded)
        if shipping > 0:
            Order.objects.filter(pk=order.pk).update(
                shipping_refunded=order.shipping_refunded + shipping
            )
            order.shipping_refunded += shipping
            left -= shipping
        order_event_record(
            order=order,
            kind=EventKind.REFUND_RECORDED_EXTERNALLY,
            message=(
                f"A refund of {format_amount(recorded, currency)} {currency} made outside "
                f"Rescind (reference {reference}) is recorded on payment "
                f"{payment.external_id}, so it is never refunded again."
                + (f" Note: {note}" if note else "")
            ),
            actor=actor,
            subject=refund,
            to_state=Refund.Status.SUCCEEDED,
            data={
                "amount": format_amount(recorded, currency),
                "lines": spread,
                "shipping": format_amount(shipping, currency) if shipping > 0 else "0",
                "unplaced": format_amount(left, currency),
            },
        )
        if lost > 0:
            _flag(
                order,
                actor,
                f"Refund {reference} gave back {format_amount(amount, currency)} "
                f"{currency}, {format_amount(lost, currency)} more than the payment had left.",
            )
        # The retailer's systems hear of it; the customer was told by the shop.
        event_emit(
            retailer=order.retailer,
            event_type="refund.succeeded",
            data={},
            order=order,
            subject=refund,
            tell_customer=False,
        )
    return refund


def _flag(order, actor, reason: str) -> None:
    Order.objects.filter(pk=order.pk).update(needs_attention=True, attention_reason=reason[:300])
    order_event_record(
        order=order,
        kind=EventKind.ORDER_FIGURES_MISMATCH,
        message=reason + " Kept for a person to check.",
        actor=actor,
        subject=order,
    )

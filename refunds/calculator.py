"""The refund maths of SPEC §3, as pure functions over exact Decimals.

- Cancelling k of the r still-active units of a line refunds
  round_half_up(remaining_line_total * k / r), where remaining_line_total is the line
  total less what was already refunded on it; so a line cancelled in steps refunds its
  total exactly.
- Shipping comes back in full when nothing stays active on an unshipped order and the
  policy says so.
- A refund is split over the order's payments in the order they were given, each capped
  at what is still refundable on it.
"""

from dataclasses import dataclass
from decimal import Decimal

from kernel.money import ZERO, pro_rata, quantize


@dataclass(frozen=True)
class LineRefund:
    line: object
    quantity: int
    amount: Decimal


@dataclass(frozen=True)
class Allocation:
    payment: object
    amount: Decimal


def line_refund(line, quantity: int, currency: str) -> Decimal:
    """What cancelling `quantity` of the line's active units refunds."""
    active = line.quantity - line.cancelled_quantity
    if quantity <= 0 or quantity > active:
        raise ValueError(f"cannot cancel {quantity} of {active} active unit(s)")
    remaining_total = line.total - line.refunded_amount
    return pro_rata(remaining_total, quantity, active, currency)


def return_line_refund(line, quantity: int, refundable_units: int, currency: str) -> Decimal:
    """What taking back `quantity` of the line's `refundable_units` refunds (SPEC §8).

    §3's rule on what remains refundable of the line: `refundable_units` are the line's
    units neither cancelled nor already refunded by a return, and what remains of the
    line's total is its total less what was already given back for it. So returning a
    line in steps, or cancelling part and returning the rest, adds up to its total.
    """
    if quantity < 0 or quantity > refundable_units:
        raise ValueError(f"cannot take back {quantity} of {refundable_units} refundable unit(s)")
    if quantity == 0:
        return ZERO
    return pro_rata(line.total - line.refunded_amount, quantity, refundable_units, currency)


def percent_of(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """round_half_up(percent / 100 x amount) in the currency's minor unit."""
    return quantize(amount * percent / 100, currency)


def net_of_fees(amount: Decimal, *fees: Decimal) -> Decimal:
    """What is owed after fees: never below zero."""
    return max(ZERO, amount - sum(fees, start=ZERO))


def with_bonus(amount: Decimal, percent: Decimal, currency: str) -> Decimal:
    """A store credit's value: round_half_up(amount x (1 + percent / 100))."""
    return quantize(amount * (1 + percent / 100), currency)


def shipping_refund(order, lines_after_cancel_active: int, refund_shipping: bool) -> Decimal:
    """Shipping back in full when nothing stays active on an unshipped order."""
    if refund_shipping and lines_after_cancel_active == 0 and not order.is_shipped:
        return order.shipping - order.shipping_refunded
    return ZERO


def allocate(payments, amount: Decimal) -> list[Allocation]:
    """Split `amount` over `payments` in their given order, capped per payment.

    Raises ValueError if the payments cannot take it all: the order's refunds would
    exceed what was captured.
    """
    allocations, left = [], amount
    for payment in payments:
        if left <= 0:
            break
        take = min(left, payment.amount - payment.refunded_amount)
        if take > 0:
            allocations.append(Allocation(payment, take))
            left -= take
    if left > 0:
        raise ValueError(f"{left} more than the payments can take back")
    return allocations

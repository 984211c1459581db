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

from kernel.money import ZERO, pro_rata


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

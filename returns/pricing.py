"""The money of a return (SPEC §8 on §3), worked out from the order as it is now.

Pure functions over the return's lines: used for the estimate at creation and for what
is owed at each inspection, so the two can never disagree.
"""

from dataclasses import dataclass
from decimal import Decimal

from kernel.money import ZERO
from refunds.calculator import net_of_fees, percent_of, return_line_refund


@dataclass(frozen=True)
class LinePrice:
    amount: Decimal  # what the refunded units are worth (before fees)
    restocking_fee: Decimal


def line_price(
    line, *, refunded: int, resellable: int, refundable_units: int, fee_percent, currency
) -> LinePrice:
    """Price `refunded` units of `line` (`resellable` of them back in a resellable state)
    out of its `refundable_units`; `fee_percent` is the restocking fee, or 0 when the
    return pays no fees."""
    amount = return_line_refund(line, refunded, refundable_units, currency)
    fee = ZERO
    if fee_percent and resellable:
        # The refund of the line's resellable units is §3's rule applied to their count.
        resellable_refund = return_line_refund(line, resellable, refundable_units, currency)
        fee = percent_of(resellable_refund, fee_percent, currency)
    return LinePrice(amount=amount, restocking_fee=fee)


def return_net(*, lines_total: Decimal, restocking_fee: Decimal, label_fee: Decimal) -> Decimal:
    return net_of_fees(lines_total, restocking_fee, label_fee)


def pays_fees(return_request) -> bool:
    """Fees apply to customer-choice reasons only, and never to exchanges."""
    return return_request.is_customer_choice and return_request.resolution != "exchange"


def fees_for(return_request, policy) -> tuple[Decimal, Decimal]:
    """(restocking fee percent, label fee) this return pays."""
    if not pays_fees(return_request):
        return ZERO, ZERO
    return policy.restocking_fee_percent, policy.return_label_fee

"""What a request would cancel and refund, worked out from the order as it is now.

Used by submit, preview and approval alike, so the three can never disagree.
"""

from dataclasses import dataclass
from decimal import Decimal

from kernel.errors import DomainError, ErrorCode
from kernel.money import format_amount
from refunds.calculator import Allocation, LineRefund, allocate, line_refund, shipping_refund


@dataclass(frozen=True)
class Quote:
    order: object
    lines: list[LineRefund]
    shipping: Decimal
    allocations: list[Allocation]

    @property
    def lines_total(self) -> Decimal:
        return sum((lr.amount for lr in self.lines), start=Decimal(0))

    @property
    def total(self) -> Decimal:
        return self.lines_total + self.shipping


def quote_build(*, order, requested: list[dict] | None, refund_shipping: bool) -> Quote:
    """Resolve `requested` ([{line: external id, quantity}], or None for everything
    still active) against the order's lines and price it (SPEC §3).

    Raises `line_not_found`, `already_cancelled` or `quantity_exceeds_remaining`.
    """
    lines = list(order.lines.all())
    by_id = {line.external_id: line for line in lines}
    active_total = sum(line.active_quantity for line in lines)

    if requested is not None:
        missing = [i for i, r in enumerate(requested) if r["line"] not in by_id]
        if missing:
            raise DomainError(
                ErrorCode.LINE_NOT_FOUND,
                "No line "
                + ", ".join(repr(requested[i]["line"]) for i in missing)
                + f" on order {order.external_id}.",
                errors={f"lines[{i}].line": ["No such line on this order."] for i in missing},
            )
    if active_total == 0:
        raise DomainError(
            ErrorCode.ALREADY_CANCELLED,
            f"Every unit of order {order.external_id} is already cancelled.",
        )

    if requested is None:
        wanted = [(line, line.active_quantity) for line in lines if line.active_quantity]
    else:
        wanted = []
        over = {}
        for i, r in enumerate(requested):
            line = by_id[r["line"]]
            quantity = r.get("quantity") or line.active_quantity
            if quantity > line.active_quantity or line.active_quantity == 0:
                over[f"lines[{i}].quantity"] = [
                    f"Only {line.active_quantity} unit(s) of {line.external_id} are left to cancel."
                ]
            wanted.append((line, quantity))
        if over:
            raise DomainError(
                ErrorCode.QUANTITY_EXCEEDS_REMAINING,
                "More units requested than are left to cancel.",
                errors=over,
            )

    currency = order.currency
    line_refunds = [LineRefund(line, k, line_refund(line, k, currency)) for line, k in wanted]
    left_active = active_total - sum(k for _line, k in wanted)
    shipping = shipping_refund(order, left_active, refund_shipping)
    total = sum((lr.amount for lr in line_refunds), start=shipping)
    try:
        allocations = allocate(list(order.payments.all()), total)
    except ValueError as exc:
        raise DomainError(
            ErrorCode.PAYMENTS_MISMATCH,
            f"The order's payments cannot take back {format_amount(total, currency)}: {exc}.",
        ) from exc
    return Quote(order=order, lines=line_refunds, shipping=shipping, allocations=allocations)

"""Reads for returns, scoped to one retailer; and what is left to return on an order."""

from collections import defaultdict

from django.db.models import Prefetch

from kernel.errors import NotFound
from returns.models import OPEN, Return, ReturnExchangeLine, ReturnLine, Status


def returns_for_retailer(*, retailer):
    return (
        Return.objects.filter(retailer=retailer)
        .select_related("order", "exchange_order")
        .defer("label_pdf")
        .prefetch_related(
            Prefetch("lines", queryset=ReturnLine.objects.select_related("line")),
            "store_credits__customer",
        )
    )


def return_get(*, retailer, pk) -> Return:
    found = None
    if str(pk).isdigit():
        found = returns_for_retailer(retailer=retailer).filter(pk=int(pk)).first()
    if found is None:
        raise NotFound("No such return for this retailer.")
    return found


def return_for_tracking(*, retailer, tracking_number: str) -> Return:
    found = (
        Return.objects.filter(retailer=retailer, tracking_number=tracking_number)
        .defer("label_pdf")
        .first()
    )
    if found is None:
        raise NotFound(f"No return with tracking number {tracking_number!r} for this retailer.")
    return found


def units_held_by_returns(order, *, exclude=None) -> dict[int, int]:
    """Order line id -> units other returns hold: every unit of an open return, and the
    units a closed return took back (refunded, credited or exchanged). Missing and
    wrong-item units of a closed return never came back: they can be returned again."""
    rows = ReturnLine.objects.filter(return_request__order=order).select_related("return_request")
    if exclude is not None:
        rows = rows.exclude(return_request=exclude)
    held = defaultdict(int)
    for row in rows:
        status = row.return_request.status
        if status in OPEN:
            held[row.line_id] += row.quantity
        elif status == Status.CLOSED:
            held[row.line_id] += row.refunded_quantity + row.exchanged_quantity
    return held


def units_refunded_by_returns(order) -> dict[int, int]:
    """Order line id -> units whose value returns gave back (money or store credit)."""
    refunded = defaultdict(int)
    for line_id, units in ReturnLine.objects.filter(
        return_request__order=order, refunded_quantity__gt=0
    ).values_list("line_id", "refunded_quantity"):
        refunded[line_id] += units
    return refunded


def exchange_lines_of(return_request) -> list[ReturnExchangeLine]:
    return list(return_request.exchange_lines.select_related("line").order_by("id"))

"""Reads for refunds, always scoped to one retailer."""

from kernel.errors import NotFound
from refunds.models import Refund


def refunds_for_retailer(*, retailer):
    return (
        Refund.objects.filter(retailer=retailer)
        .select_related("payment__order")
        .order_by("created_at", "id")
    )


def refund_get(*, retailer, refund_id) -> Refund:
    refund = None
    if str(refund_id).isdigit():
        refund = refunds_for_retailer(retailer=retailer).filter(pk=int(refund_id)).first()
    if refund is None:
        raise NotFound("No such refund for this retailer.")
    return refund

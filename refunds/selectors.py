"""Reads for refunds, always scoped to one retailer."""

from kernel.errors import NotFound
from kernel.ids import object_id
from refunds.models import Refund


def refunds_for_retailer(*, retailer):
    return (
        Refund.objects.filter(retailer=retailer)
        .select_related("payment__order")
        .order_by("created_at", "id")
    )


def refund_get(*, retailer, refund_id) -> Refund:
    refund = None
    pk = object_id(refund_id)
    if pk is not None:
        refund = refunds_for_retailer(retailer=retailer).filter(pk=pk).first()
    if refund is None:
        raise NotFound("No such refund for this retailer.")
    return refund

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


def store_credits_for_retailer(*, retailer):
    from refunds.models import StoreCredit

    return (
        StoreCredit.objects.filter(retailer=retailer)
        .select_related("customer")
        .order_by("created_at", "id")
    )


def store_credit_get(*, retailer, store_credit_id):
    credit = None
    if str(store_credit_id).isdigit():
        credit = (
            store_credits_for_retailer(retailer=retailer).filter(pk=int(store_credit_id)).first()
        )
    if credit is None:
        raise NotFound("No such store credit for this retailer.")
    return credit

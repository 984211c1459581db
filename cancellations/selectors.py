"""Reads for cancellation requests, scoped to one retailer (API) or one staff member."""

from django.db.models import Prefetch

from cancellations.models import CancellationLine, CancellationRequest
from kernel.errors import NotFound


def cancellations_for_retailer(*, retailer):
    return (
        CancellationRequest.objects.filter(retailer=retailer)
        .select_related("order", "policy")
        .prefetch_related(
            Prefetch("lines", queryset=CancellationLine.objects.select_related("line")),
            "refunds__payment",
        )
    )


def cancellation_get(*, retailer, pk) -> CancellationRequest:
    cancellation = cancellations_for_retailer(retailer=retailer).filter(pk=pk).first()
    if cancellation is None:
        raise NotFound("No such cancellation request for this retailer.")
    return cancellation

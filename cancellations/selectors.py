"""Reads for cancellation requests, scoped to one retailer (API) or one staff member."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce

from cancellations.models import CancellationLine, CancellationRequest, Status
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


# An awaiting-customer request joins the queue once it has less than this left before it
# lapses: the customer has been quiet for a while and an agent may chase them.
CHASE_BEFORE_EXPIRY = timedelta(hours=24)


def chasing(now: datetime) -> Q:
    return Q(
        status=Status.AWAITING_CUSTOMER, confirmation_expires_at__lte=now + CHASE_BEFORE_EXPIRY
    )


def due_at():
    """When a case needs deciding: its SLA, or when an unconfirmed request lapses."""
    return Coalesce("sla_due_at", "confirmation_expires_at")


def needs_person(status: str, needs_attention: bool) -> bool:
    """Whether a request in `status` waits for a person (the queue's open cases)."""
    return status in (Status.IN_REVIEW, Status.ESCALATED, Status.AWAITING_CUSTOMER) or (
        needs_attention and status == Status.APPROVED
    )


def is_open(case: CancellationRequest) -> bool:
    """Still needs a person: undecided and not merely received, or a refund failed."""
    return needs_person(case.status, case.needs_attention)

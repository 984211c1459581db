"""Reads for cancellation requests, always scoped to the retailers the reader serves
(one for the API, a staff member's for the desk, all for a supervisor or a worker)."""

from datetime import datetime, timedelta

from django.db.models import Prefetch, Q
from django.db.models.functions import Coalesce

from cancellations.models import CancellationLine, CancellationRequest, Status
from kernel.errors import NotFound


def cancellations_for(*, retailer_ids=None):
    """The requests of `retailer_ids` (None: every retailer's)."""
    requests = CancellationRequest.objects.all()
    if retailer_ids is not None:
        requests = requests.filter(retailer_id__in=retailer_ids)
    return requests


def cancellation_get(*, pk, retailer_ids=None, for_update=False) -> CancellationRequest:
    """The request `pk` if it belongs to one of `retailer_ids` (None: any), with its
    order, customer, retailer, policy and holder; otherwise `NotFound`, the same answer
    whether it does not exist or is another retailer's (SPEC §1).

    `for_update` locks the request's own row only: FOR UPDATE on the joins would also
    lock the retailer's row, which every request of that retailer shares (and
    PostgreSQL refuses it on the nullable side of the policy join)."""
    requests = cancellations_for(retailer_ids=retailer_ids).select_related(
        "order", "order__customer", "retailer", "policy", "assigned_to"
    )
    if for_update:
        requests = requests.select_for_update(of=("self",))
    # One row at most, by primary key: no ORDER BY or LIMIT for first() to add.
    found = list(requests.filter(pk=pk).order_by())
    if not found:
        raise NotFound("No such cancellation request for this retailer.")
    return found[0]


def cancellations_for_api(*, retailer):
    """A storefront's requests with what their representation reads, in two queries."""
    return (
        cancellations_for(retailer_ids=[retailer.pk])
        .select_related("order", "policy")
        .prefetch_related(
            Prefetch("lines", queryset=CancellationLine.objects.select_related("line")),
            "refunds__payment",
        )
    )


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
    return status in (
        Status.IN_REVIEW,
        Status.ESCALATED,
        Status.AWAITING_CUSTOMER,
        Status.AWAITING_WAREHOUSE,
    ) or (needs_attention and status == Status.APPROVED)


def is_open(case: CancellationRequest) -> bool:
    """Still needs a person: undecided and not merely received, or a refund failed."""
    return needs_person(case.status, case.needs_attention)

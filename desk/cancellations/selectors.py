"""Reads for the cancellation request's screen: the case with everything it shows, in a
fixed number of queries whatever the size of the order or its history."""

from dataclasses import dataclass

from django.db.models import F, OuterRef, Prefetch, Subquery

from cancellations.models import CancellationLine, CancellationRequest, Status
from cancellations.quotes import quote_build
from cancellations.selectors import cancellations_for
from desk.access import Viewer
from kernel.errors import DomainError, NotFound
from orders.models import Order, OrderEvent, OrderLine, Payment
from refunds.models import Refund
from retailers.models import Policy
from retailers.services import policy_current

STATUS_LABELS = dict(Status.choices)
FULFILLMENT_LABELS = dict(Order._meta.get_field("fulfillment_status").flatchoices)


def case_load(viewer: Viewer, pk: int, *, refunds: bool = True) -> CancellationRequest:
    """The request, scoped to the viewer's retailers as `cancellation_get` scopes it,
    with everything the case screen shows prefetched, so the screen runs the same number
    of queries whatever the size of the order or its history; NotFound otherwise.
    Without `refunds`, `cancellation.refunds` is left to be read when needed.

    Each prefetch is ordered on its own table's columns: the models' default orderings
    start with the parent row ("request", "order"), which for a request's lines joins
    the requests table and costs more to compile than the query costs to run."""
    lookups = [
        Prefetch("order__lines", queryset=OrderLine.objects.order_by("position", "id")),
        Prefetch("lines", queryset=CancellationLine.objects.order_by("id")),
        Prefetch("order__payments", queryset=Payment.objects.order_by("position", "id")),
    ]
    if refunds:
        lookups.append(Prefetch("refunds", queryset=Refund.objects.select_related("payment")))
    # One row at most (by primary key): no ORDER BY/LIMIT for first() to compile.
    found = list(
        cancellations_for(retailer_ids=viewer.retailer_ids)
        .select_related(
            "retailer",
            "retailer__business_hours",
            "order",
            "order__customer",
            "policy",
            "assigned_to",
        )
        .prefetch_related(*lookups)
        .annotate(
            # The retailer's current policy, so a request decided under it needs no
            # second query for it (see case_policy).
            current_policy_id=Subquery(
                Policy.objects.filter(retailer_id=OuterRef("retailer_id"))
                .order_by("-version")
                .values("pk")[:1]
            )
        )
        .filter(pk=pk)
        .order_by()
    )
    if not found:
        raise NotFound("No such cancellation request.")
    cancellation = found[0]
    _link_request_lines(cancellation)
    return cancellation


def case_policy(cancellation: CancellationRequest) -> Policy:
    """The retailer's current policy: the request's own when it is the current one
    (read with the request by case_load), otherwise read."""
    current = getattr(cancellation, "current_policy_id", None)
    if current is not None and current == cancellation.policy_id:
        return cancellation.policy
    return policy_current(retailer=cancellation.retailer)


def _link_request_lines(cancellation: CancellationRequest) -> None:
    """Point each request line at its order line from the order's lines already read
    (the same rows: no second join or instances), in the order's line order."""
    order_lines = {line.pk: line for line in cancellation.order.lines.all()}
    requested = cancellation.lines.all()
    for request_line in requested:
        line = order_lines.get(request_line.line_id)
        if line is not None:
            request_line.line = line
    requested._result_cache.sort(key=lambda rl: (rl.line.position, rl.pk))


HISTORY_LIMIT = 10


def customer_history(cancellation: CancellationRequest) -> dict:
    """The customer's other orders and past requests at this retailer (latest first),
    as the columns the case screen shows (dicts: no model instances for a side panel)."""
    order = cancellation.order
    orders = list(
        Order.objects.filter(retailer_id=order.retailer_id, customer_id=order.customer_id)
        .exclude(pk=order.pk)
        .order_by("-placed_at")
        .values("pk", "external_id", "placed_at", "fulfillment_status", "total", "currency")[
            :HISTORY_LIMIT
        ]
    )
    for other in orders:
        other["fulfillment_label"] = FULFILLMENT_LABELS.get(
            other["fulfillment_status"], other["fulfillment_status"]
        )
    requests = list(
        CancellationRequest.objects.filter(
            retailer_id=order.retailer_id, order__customer_id=order.customer_id
        )
        .exclude(pk=cancellation.pk)
        .order_by("-created_at")
        .values("pk", "status", "created_at", order_external_id=F("order__external_id"))[
            :HISTORY_LIMIT
        ]
    )
    for past in requests:
        past["status_label"] = STATUS_LABELS.get(past["status"], past["status"])
    return {"orders": orders, "requests": requests}


def case_timeline(cancellation: CancellationRequest) -> list[OrderEvent]:
    """The whole order's timeline, newest last (each event names who did it)."""
    return list(
        OrderEvent.objects.filter(order_id=cancellation.order_id).order_by("created_at", "id")
    )


def routing_event(cancellation: CancellationRequest, timeline: list[OrderEvent]):
    """The rule's decision that sent this request to people (the latest one: a confirmed
    request is verified again)."""
    found = None
    for event in timeline:
        if (
            event.subject_type == "cancellationrequest"
            and event.subject_id == cancellation.pk
            and event.actor_kind == "rule"
        ):
            found = event
    return found


# --- the refund preview -----------------------------------------------------------------


@dataclass(frozen=True)
class RefundPreview:
    """What approving would refund now, per line and per payment, or why it cannot."""

    quote: object | None
    error: str
    limit: object
    above_limit: bool


def refund_preview(
    cancellation: CancellationRequest, *, policy, viewer: Viewer, requested=None
) -> RefundPreview:
    """Price `requested` ([{line, quantity}]; None: what the request asks) on the order as
    it is now, with the same quote the approval will use, writing nothing."""
    if requested is None:
        requested = [
            {"line": cl.line.external_id, "quantity": cl.quantity}
            for cl in cancellation.lines.all()
        ]
    limit = policy.agent_approval_limit
    try:
        quote = quote_build(
            order=cancellation.order,
            requested=requested,
            refund_shipping=policy.refund_shipping_on_full_cancel,
        )
    except DomainError as error:
        return RefundPreview(quote=None, error=error.detail, limit=limit, above_limit=False)
    above = quote.total > limit and not viewer.is_supervisor
    return RefundPreview(quote=quote, error="", limit=limit, above_limit=above)

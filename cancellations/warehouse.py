"""The warehouse hold (SPEC §12): a request on an order the warehouse is picking waits
in `awaiting_warehouse` until the warehouse says whether it stopped.

- stopped (`accepted`): `approved` with §4's effects, priced on the order as it is then;
- too late (refused: packed or handed to the carrier): `return_required`, its return
  created with it and authorised, its ship-by window counted from the refusal;
- no answer by `warehouse_due_at`: `in_review` for an agent, who may still record the
  warehouse's answer (a late one, or one given on the phone).

The answer comes from the storefront or warehouse system (`POST
/api/v1/cancellations/{id}/warehouse`), from the fulfilment adapter when the warehouse
answers at once, from the shop's webhooks (connectors), or from an agent.
"""

from django.db import transaction
from django.utils import timezone

from cancellations.holds import warehouse_hold_effects
from cancellations.models import CancellationRequest, Status
from cancellations.quotes import quote_build
from cancellations.services import _approve_effects, _locked, return_require_effects
from cancellations.transitions import cancellation_transition
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import format_amount
from kernel.timeline import EventKind, order_event_record
from orders.models import FulfillmentRequest
from retailers.business_hours import due_at as business_due_at
from retailers.services import policy_current
from returns.services import return_authorise

NO_ANSWER = "warehouse_no_answer"
ANSWERABLE = (Status.AWAITING_WAREHOUSE, Status.IN_REVIEW)


def _requested(cancellation) -> list[dict]:
    return [
        {"line": cl.line.external_id, "quantity": cl.quantity}
        for cl in cancellation.lines.select_related("line")
    ]


def cancellation_warehouse_answer(
    *, cancellation, accepted: bool, actor: Actor, message: str = ""
) -> CancellationRequest:
    """Record the warehouse's answer to the request to stop.

    Refused with `illegal_transition` unless the request awaits the warehouse, or went
    to an agent because the warehouse did not answer in time (a late answer still
    counts). An "accepted" for an order that has meanwhile shipped is taken as refused:
    no refund goes out for goods that left.
    """
    message = (message or "").strip()
    with transaction.atomic(), journal():
        cancellation, order = _locked(cancellation)
        late = cancellation.status == Status.IN_REVIEW and cancellation.decision_rule == NO_ANSWER
        if cancellation.status != Status.AWAITING_WAREHOUSE and not late:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"Request {cancellation.pk} is not waiting for the warehouse; it is "
                f"{cancellation.status}.",
                current_status=cancellation.status,
            )
        shipped = accepted and order.is_shipped
        stopped = accepted and not shipped
        said = f" The warehouse said: \u201c{message}\u201d" if message else ""
        order_event_record(
            order=order,
            kind=EventKind.CANCELLATION_WAREHOUSE_ANSWERED,
            message=(
                "The warehouse stopped the order."
                if stopped
                else "The warehouse could not stop the order."
            )
            + said,
            actor=actor,
            subject=cancellation,
            data={"accepted": accepted, "message": message, "late": late},
        )
        _stop_requests_answered(cancellation, accepted=stopped, message=message)
        policy = policy_current(retailer=cancellation.retailer)
        cancellation.policy = policy
        cancellation.decided_at = timezone.now()
        cancellation.sla_due_at = None
        if stopped:
            quote = quote_build(
                order=order,
                requested=_requested(cancellation),
                refund_shipping=policy.refund_shipping_on_full_cancel,
            )
            cancellation.decision_outcome = Status.APPROVED
            cancellation.decision_rule = "warehouse_stopped"
            cancellation.decision_explanation = "The warehouse stopped the order before it shipped."
            cancellation_transition(
                cancellation=cancellation,
                to=Status.APPROVED,
                actor=actor,
                why=f"{cancellation.decision_explanation} Refund "
                f"{format_amount(quote.total, order.currency)} {order.currency}.{said}",
                data={"rule": "warehouse_stopped", "policy_version": policy.version},
            )
            _approve_effects(cancellation, quote, actor=actor)
            return cancellation
        cancellation.decision_outcome = Status.RETURN_REQUIRED
        cancellation.decision_rule = "warehouse_refused"
        cancellation.decision_explanation = (
            "The order had already shipped when the warehouse answered."
            if shipped
            else "The warehouse had already packed the order or handed it to the carrier."
        ) + " It is refunded once the goods are back."
        cancellation_transition(
            cancellation=cancellation,
            to=Status.RETURN_REQUIRED,
            actor=actor,
            why=cancellation.decision_explanation + said,
            data={"rule": "warehouse_refused", "policy_version": policy.version},
        )
        return_require_effects(cancellation, actor=actor)
        created = cancellation.return_request
        if created.status == "requested":
            # The refusal decided it: the goods come back, so the return is authorised
            # whatever the store's auto-authorisation says, counted from now.
            return_authorise(
                return_request=created,
                actor=actor,
                note="Authorised: the warehouse could not stop the order.",
            )
    return cancellation


def _stop_requests_answered(cancellation, *, accepted: bool, message: str) -> None:
    FulfillmentRequest.objects.filter(
        cancellation=cancellation,
        kind=FulfillmentRequest.Kind.STOP,
        status__in=(FulfillmentRequest.Status.PENDING, FulfillmentRequest.Status.SUBMITTED),
    ).update(
        status=FulfillmentRequest.Status.ACCEPTED
        if accepted
        else FulfillmentRequest.Status.REJECTED,
        answer_message=message,
        next_attempt_at=None,
        updated_at=timezone.now(),
    )


def warehouse_answered_by_adapter(*, request, accepted: bool, message: str, actor: Actor) -> None:
    """A warehouse answered the stop request at once (orders.fulfillment): apply it, in
    the transaction that recorded it, unless the request has moved on meanwhile."""
    if request.cancellation_id is None:
        return
    cancellation = CancellationRequest.objects.filter(pk=request.cancellation_id).first()
    if cancellation is None or cancellation.status != Status.AWAITING_WAREHOUSE:
        return
    cancellation_warehouse_answer(
        cancellation=cancellation, accepted=accepted, message=message, actor=actor
    )


def cancellation_hold_for_warehouse(cancellation, quote, *, actor: Actor, explanation: str, policy):
    """A person approved a request on an order the warehouse is picking: the warehouse is
    asked to stop first (the caller holds the locks)."""
    now = timezone.now()
    cancellation.decision_outcome = Status.AWAITING_WAREHOUSE
    cancellation.decision_rule = "warehouse_hold"
    cancellation.decision_explanation = explanation
    cancellation.policy = policy
    cancellation.sla_due_at = None
    cancellation_transition(
        cancellation=cancellation,
        to=Status.AWAITING_WAREHOUSE,
        actor=actor,
        why=f"{explanation} The warehouse is picking the order: it is asked to stop first.",
        data={"rule": "warehouse_hold", "policy_version": policy.version},
    )
    warehouse_hold_effects(cancellation, quote, actor=actor, now=now)


def cancellations_warehouse_overdue(*, now=None) -> int:
    """Requests whose warehouse did not answer in time go to an agent. Returns how many."""
    now = now or timezone.now()
    due = CancellationRequest.objects.filter(
        status=Status.AWAITING_WAREHOUSE, warehouse_due_at__lt=now
    ).values_list("pk", flat=True)
    moved = 0
    for pk in list(due):
        with transaction.atomic(), journal():
            cancellation, order = _locked(CancellationRequest.objects.get(pk=pk))
            if cancellation.status != Status.AWAITING_WAREHOUSE:
                continue  # answered or withdrawn meanwhile
            policy = cancellation.policy
            hours = policy.warehouse_response_hours
            cancellation.decision_outcome = Status.IN_REVIEW
            cancellation.decision_rule = NO_ANSWER
            cancellation.decision_explanation = (
                f"The warehouse did not answer within {hours} hours: an agent should call it, "
                "record its answer, or decide."
            )
            cancellation.sla_due_at = business_due_at(order.retailer, now, policy.sla_hours)
            cancellation_transition(
                cancellation=cancellation,
                to=Status.IN_REVIEW,
                actor=Actor.worker("warehouse answer expiry"),
                why=cancellation.decision_explanation,
                data={"rule": NO_ANSWER},
            )
            moved += 1
    return moved

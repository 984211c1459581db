"""The request state machine (SPEC §4): one table, one transition function."""

from cancellations.models import Status
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.timeline import EventKind, order_event_record
from notifications.services import event_emit

DECISIONS = {
    Status.APPROVED,
    Status.AWAITING_CUSTOMER,
    Status.IN_REVIEW,
    Status.ESCALATED,
    Status.RETURN_REQUIRED,
    Status.REJECTED,
    Status.AWAITING_WAREHOUSE,
}

ALLOWED = {
    Status.RECEIVED: DECISIONS | {Status.WITHDRAWN},
    # Confirmed requests are verified again, which can land anywhere but here.
    Status.AWAITING_CUSTOMER: (DECISIONS - {Status.AWAITING_CUSTOMER}) | {Status.WITHDRAWN},
    Status.IN_REVIEW: {
        Status.APPROVED,
        Status.REJECTED,
        Status.ESCALATED,
        Status.RETURN_REQUIRED,
        Status.WITHDRAWN,
        # A person approved an order the warehouse is picking: it is asked to stop first.
        Status.AWAITING_WAREHOUSE,
    },
    Status.ESCALATED: {
        Status.APPROVED,
        Status.REJECTED,
        Status.WITHDRAWN,
        Status.AWAITING_WAREHOUSE,
    },
    # The warehouse's answer (SPEC §12): stopped, too late (the goods come back as a
    # return), or none in time (an agent takes over); or the customer withdraws.
    Status.AWAITING_WAREHOUSE: {
        Status.APPROVED,
        Status.RETURN_REQUIRED,
        Status.IN_REVIEW,
        Status.WITHDRAWN,
    },
    Status.APPROVED: {Status.COMPLETED},
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, ())


def cancellation_transition(
    *,
    cancellation,
    to: str,
    actor: Actor,
    why: str,
    data: dict | None = None,
    tell_customer: bool = True,
) -> None:
    """Move the (locked) request to `to`, or raise `illegal_transition`.

    Writes the timeline event and the outbox rows in the caller's transaction;
    `tell_customer` False sends the webhooks only (the customer heard it elsewhere).
    """
    from_status = cancellation.status
    if not can_transition(from_status, to):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"A request that is {from_status} cannot become {to}.",
            current_status=from_status,
        )
    cancellation.status = to
    cancellation.save()
    order_event_record(
        order=cancellation.order,
        kind=EventKind(f"cancellation.{to}"),
        message=why,
        actor=actor,
        subject=cancellation,
        from_state=from_status,
        to_state=to,
        data=data,
    )
    event_emit(
        retailer=cancellation.retailer,
        event_type=f"cancellation.{to}",
        data={"from": from_status, "to": to},
        order=cancellation.order,
        subject=cancellation,
        tell_customer=tell_customer,
    )

"""The refund state machine (SPEC §5, §9): one table, one transition function.

pending ──> succeeded            the gateway moved the money
   │  └──> failed ──> pending    declined or given up; a supervisor retries
   │          └────> succeeded   a late success heard, or paid outside the gateway
   ├──> held ──> pending         a chargeback on the payment is open, then won
   │      └───> cancelled        ... or lost: the bank already gave the money back
   └──> cancelled
"""

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.timeline import order_event_record
from refunds.models import Refund

Status = Refund.Status

ALLOWED = {
    Status.PENDING: {Status.SUCCEEDED, Status.FAILED, Status.HELD, Status.CANCELLED},
    Status.FAILED: {Status.PENDING, Status.SUCCEEDED},
    Status.HELD: {Status.PENDING, Status.CANCELLED},
    Status.SUCCEEDED: set(),
    Status.CANCELLED: set(),
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, ())


def refund_transition(
    *, refund: Refund, to: str, actor: Actor, kind: str, message: str, data: dict | None = None
) -> None:
    """Move the (locked) refund to `to`, save it with whatever else the caller set on it,
    and write the timeline event, in the caller's transaction; or raise
    `illegal_transition`."""
    from_status = refund.status
    if not can_transition(from_status, to):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"A refund that is {from_status} cannot become {to}.",
            current_status=from_status,
        )
    refund.status = to
    refund.save()
    order_event_record(
        order=refund.payment.order,
        kind=kind,
        message=message,
        actor=actor,
        subject=refund,
        from_state=from_status,
        to_state=to,
        data=data,
    )

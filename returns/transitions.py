"""The return state machine (SPEC §8): one table, one transition function.

requested ──> authorised ──> in_transit ──> received ──> inspected ──> closed
    │  │          │  │            │         ▲    │ ▲          │
    │  │          │  └──> received (no carrier scan)  └─┘ (a later parcel is received
    │  │          └──> expired / cancelled    │            and graded: received again)
    │  └──> cancelled                         └── another parcel before inspection
    └──> declined ──> authorised (an upheld dispute, SPEC §9)
in_transit ──> expired

`received` means "units are waiting to be graded", so a second parcel can arrive before
the inspection (received → received) or after it (inspected → received).
"""

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.timeline import EventKind, order_event_record
from notifications.events import EVENT_TYPES
from notifications.services import event_emit
from returns.models import Status

ALLOWED = {
    Status.REQUESTED: {Status.AUTHORISED, Status.DECLINED, Status.CANCELLED},
    Status.AUTHORISED: {Status.IN_TRANSIT, Status.RECEIVED, Status.EXPIRED, Status.CANCELLED},
    Status.IN_TRANSIT: {Status.RECEIVED, Status.EXPIRED},
    Status.RECEIVED: {Status.RECEIVED, Status.INSPECTED},
    Status.INSPECTED: {Status.RECEIVED, Status.CLOSED},
    Status.DECLINED: {Status.AUTHORISED},
}


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in ALLOWED.get(from_status, ())


def illegal(return_request, action: str) -> DomainError:
    return DomainError(
        ErrorCode.ILLEGAL_TRANSITION,
        f"A return that is {return_request.status} cannot be {action}.",
        current_status=return_request.status,
    )


def return_transition(
    *,
    return_request,
    to: str,
    actor: Actor,
    why: str,
    data: dict | None = None,
    tell_customer: bool = True,
) -> None:
    """Move the (locked) return to `to`, save it, and write the timeline event and the
    webhook (and customer message) in the caller's transaction; or raise
    `illegal_transition`."""
    from_status = return_request.status
    if not can_transition(from_status, to):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"A return that is {from_status} cannot become {to}.",
            current_status=from_status,
        )
    return_request.status = to
    return_request.save()
    order_event_record(
        order=return_request.order,
        kind=EventKind(f"return.{to}"),
        message=why,
        actor=actor,
        subject=return_request,
        from_state=from_status,
        to_state=to,
        data=data,
    )
    event_type = f"return.{to}"
    if event_type in EVENT_TYPES:
        event_emit(
            retailer=return_request.retailer,
            event_type=event_type,
            data={"from": from_status, "to": to},
            order=return_request.order,
            subject=return_request,
            tell_customer=tell_customer,
        )

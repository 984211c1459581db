"""Who works which request: claim, take the next one, release, reassign.

The mechanics are every case kind's (`retailers.assignment`); the rules here are the
requests': only open requests are worked, and escalations are for supervisors. Tenancy
(which retailers a person serves) is checked by the caller (the desk's access helper).
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from cancellations.models import CancellationRequest, Status
from cancellations.selectors import cancellations_for, chasing, due_at, is_open
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.timeline import EventKind
from retailers.assignment import (
    CaseEvents,
    case_claim,
    case_claim_first,
    case_reassign,
    case_release,
)

EVENTS = CaseEvents(
    claimed=EventKind.CANCELLATION_CLAIMED,
    released=EventKind.CANCELLATION_RELEASED,
    reassigned=EventKind.CANCELLATION_REASSIGNED,
)


def workable(actor: Actor, now: datetime) -> Q:
    """The requests a person can take to work: in review, customers to chase, and for
    supervisors escalations and failed refunds too."""
    condition = Q(status=Status.IN_REVIEW) | chasing(now)
    if actor.is_supervisor:
        condition |= Q(status=Status.ESCALATED) | Q(status=Status.APPROVED, needs_attention=True)
    return condition


def _refuse_if_closed(cancellation) -> None:
    if not is_open(cancellation):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"Request {cancellation.pk} is {cancellation.get_status_display().lower()}: "
            "there is nothing left to work on it.",
            current_status=cancellation.status,
        )


def _may_take(actor: Actor):
    def check(cancellation) -> None:
        _refuse_if_closed(cancellation)
        if cancellation.status == Status.ESCALATED and not actor.is_supervisor:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED, "Only a supervisor takes an escalated request."
            )

    return check


def cancellation_claim(*, cancellation, actor: Actor) -> CancellationRequest:
    """Take an unassigned open request. Claiming one's own again changes nothing."""
    return case_claim(
        case=cancellation, actor=actor, events=EVENTS, may_take=_may_take(actor), noun="request"
    )


def cancellation_claim_next(
    *, actor: Actor, retailer_ids=None, now: datetime | None = None
) -> CancellationRequest | None:
    """Claim the unassigned request that is due first among those `actor` may work, or
    return None when there is none."""
    now = now or timezone.now()
    candidates = (
        cancellations_for(retailer_ids=retailer_ids)
        .filter(workable(actor, now))
        .annotate(due_at=due_at())
        .order_by("due_at", "pk")
    )
    return case_claim_first(candidates=candidates, actor=actor, events=EVENTS)


def cancellation_release(*, cancellation, actor: Actor) -> CancellationRequest:
    """Give a request back to the queue. Only its holder or a supervisor can."""
    return case_release(case=cancellation, actor=actor, events=EVENTS, noun="request")


def cancellation_reassign(*, cancellation, actor: Actor, to_user) -> CancellationRequest:
    """A supervisor gives the request to someone who serves its retailer (None: unassign);
    an escalation only to a supervisor."""
    escalated = cancellation.status == Status.ESCALATED
    return case_reassign(
        case=cancellation,
        actor=actor,
        to_user=to_user,
        events=EVENTS,
        may_take=_refuse_if_closed,
        supervisors_only="An escalated request goes to a supervisor." if escalated else "",
    )

"""Who works which case: claim, take the next one, release, reassign.

Assignment is not a decision, so it does not go through the state machine, but it is
still written on the order's timeline: an auditor can see who held a case and when.
Tenancy (which retailers a person serves) is checked by the caller with
`cancellation_for_viewer`; these functions check roles and states.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cancellations.models import CancellationRequest, Status
from cancellations.selectors import chasing, due_at, is_open
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.timeline import EventKind, order_event_record
from retailers.models import StaffMember

# How many candidates `cancellation_claim_next` tries when others win the race for them.
NEXT_CASE_ATTEMPTS = 5


def _workable(actor: Actor, now: datetime) -> Q:
    """The cases a person can take to decide: in review, customers to chase, and for
    supervisors escalations and failed refunds too."""
    condition = Q(status=Status.IN_REVIEW) | chasing(now)
    if actor.is_supervisor:
        condition |= Q(status=Status.ESCALATED) | Q(status=Status.APPROVED, needs_attention=True)
    return condition


def _record(cancellation, *, kind: str, message: str, actor: Actor, data=None) -> None:
    order_event_record(
        order=cancellation.order,
        kind=kind,
        message=message,
        actor=actor,
        subject=cancellation,
        data=data,
    )


def _refuse_if_closed(cancellation) -> None:
    if not is_open(cancellation):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"Request {cancellation.pk} is {cancellation.get_status_display().lower()}: "
            "there is nothing left to work on it.",
            current_status=cancellation.status,
        )


def cancellation_claim(*, cancellation, actor: Actor) -> CancellationRequest:
    """Take an unassigned open case. Claiming one's own case again changes nothing.

    The conditional UPDATE is the arbiter: of two people claiming at once, exactly one
    row update succeeds and the other is told who has the case.
    """
    user = actor.user
    with transaction.atomic():
        current = CancellationRequest.objects.select_related("order", "assigned_to").get(
            pk=cancellation.pk
        )
        _refuse_if_closed(current)
        if current.status == Status.ESCALATED and not actor.is_supervisor:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED, "Only a supervisor takes an escalated request."
            )
        claimed = CancellationRequest.objects.filter(
            pk=current.pk, assigned_to__isnull=True, status=current.status
        ).update(assigned_to=user, updated_at=timezone.now())
        if not claimed:
            current = CancellationRequest.objects.select_related("order", "assigned_to").get(
                pk=current.pk
            )
            if current.assigned_to_id == user.pk:
                return current
            if current.assigned_to_id is None:  # decided or moved on meanwhile
                raise DomainError(
                    ErrorCode.ILLEGAL_TRANSITION,
                    f"Request {current.pk} changed while you were claiming it; look again.",
                    current_status=current.status,
                )
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"Request {current.pk} is already being worked by "
                f"{current.assigned_to.get_username()}.",
                assigned_to=current.assigned_to.get_username(),
            )
        current.assigned_to = user
        _record(
            current,
            kind=EventKind.CANCELLATION_CLAIMED,
            message=f"{actor.label} took the case.",
            actor=actor,
        )
    return current


def cancellation_claim_next(
    *, actor: Actor, retailer_ids=None, now: datetime | None = None
) -> CancellationRequest | None:
    """Claim the unassigned case that is due first among those `actor` may work, or
    return None when there is none.

    On PostgreSQL the candidate row is locked with SKIP LOCKED, so agents pressing "next"
    at the same moment each get a different case without waiting on one another; the
    conditional UPDATE then makes the claim safe on every database (SQLite serialises
    writers instead).
    """
    now = now or timezone.now()
    candidates = (
        CancellationRequest.objects.filter(_workable(actor, now), assigned_to__isnull=True)
        .annotate(due_at=due_at())
        .order_by("due_at", "pk")
    )
    if retailer_ids is not None:
        candidates = candidates.filter(retailer_id__in=retailer_ids)
    skipped = []
    for _attempt in range(NEXT_CASE_ATTEMPTS):
        with transaction.atomic():
            candidate = (
                candidates.exclude(pk__in=skipped)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("order")
                .first()
            )
            if candidate is None:
                return None
            claimed = CancellationRequest.objects.filter(
                pk=candidate.pk, assigned_to__isnull=True
            ).update(assigned_to=actor.user, updated_at=timezone.now())
            if claimed:
                candidate.assigned_to = actor.user
                _record(
                    candidate,
                    kind=EventKind.CANCELLATION_CLAIMED,
                    message=f"{actor.label} took the case from the queue.",
                    actor=actor,
                )
                return candidate
        skipped.append(candidate.pk)
    return None


def cancellation_release(*, cancellation, actor: Actor) -> CancellationRequest:
    """Give a case back to the queue. Only its holder or a supervisor can."""
    with transaction.atomic():
        current = (
            CancellationRequest.objects.select_for_update(of=("self",))
            .select_related("order", "assigned_to")
            .get(pk=cancellation.pk)
        )
        if current.assigned_to_id is None:
            return current
        holder = current.assigned_to.get_username()
        if current.assigned_to_id != actor.user.pk and not actor.is_supervisor:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"Request {current.pk} is held by {holder}; only they or a supervisor can "
                "release it.",
            )
        current.assigned_to = None
        current.save(update_fields=["assigned_to", "updated_at"])
        message = f"{actor.label} put the case back in the queue"
        message += "." if holder == actor.label else f" (it was held by {holder})."
        _record(current, kind=EventKind.CANCELLATION_RELEASED, message=message, actor=actor)
    return current


def cancellation_reassign(*, cancellation, actor: Actor, to_user) -> CancellationRequest:
    """A supervisor gives the case to someone who serves its retailer (None: unassign)."""
    if not actor.is_supervisor:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "Only a supervisor reassigns cases.")
    if to_user is None:
        return cancellation_release(cancellation=cancellation, actor=actor)
    member = StaffMember.objects.filter(user=to_user, user__is_active=True).first()
    serves = member is not None and (
        member.is_supervisor
        or (
            member.role == StaffMember.Role.AGENT
            and member.retailers.filter(pk=cancellation.retailer_id).exists()
        )
    )
    if not serves:
        raise DomainError(
            ErrorCode.INVALID,
            f"{to_user.get_username()} does not work cases of this retailer.",
            errors={"to": ["Pick an agent of this retailer or a supervisor."]},
        )
    if cancellation.status == Status.ESCALATED and member.role != StaffMember.Role.SUPERVISOR:
        raise DomainError(
            ErrorCode.INVALID,
            "An escalated request goes to a supervisor.",
            errors={"to": ["Pick a supervisor."]},
        )
    with transaction.atomic():
        current = (
            CancellationRequest.objects.select_for_update(of=("self",))
            .select_related("order", "assigned_to")
            .get(pk=cancellation.pk)
        )
        _refuse_if_closed(current)
        if current.assigned_to_id == to_user.pk:
            return current
        before = current.assigned_to.get_username() if current.assigned_to_id else None
        current.assigned_to = to_user
        current.save(update_fields=["assigned_to", "updated_at"])
        target = to_user.get_username()
        _record(
            current,
            kind=EventKind.CANCELLATION_REASSIGNED,
            message=(
                f"{actor.label} gave the case to {target}"
                + (f" (it was held by {before})." if before else ".")
            ),
            actor=actor,
            data={"from": before, "to": target},
        )
    return current

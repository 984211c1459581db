"""Who works which case: claim, take the next one, release, reassign, for every kind of
case (a cancellation request, a return, a dispute, a chargeback).

A case is a row of a domain's model with `retailer_id`, `order` (for the timeline) and
`assigned_to` (the user working it). Each domain wraps these with its own rules (which
states are open, who may take what) in its services; the desk calls the domain's.

Assignment is not a decision, so it does not go through a state machine, but it is
written on the order's timeline: an auditor can see who held a case and when. The
conditional UPDATE on `assigned_to` is the arbiter everywhere: of two people claiming
at once, exactly one row update succeeds and the other is told who has the case.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.timeline import EventKind, order_event_record
from retailers.models import StaffMember

# How many candidates `case_claim_first` tries when others win the race for them.
NEXT_CASE_ATTEMPTS = 5


@dataclass(frozen=True)
class CaseEvents:
    """The timeline kinds a case's model writes for its assignment."""

    claimed: EventKind
    released: EventKind
    reassigned: EventKind


def _record(case, *, kind, message: str, actor: Actor, data=None) -> None:
    order_event_record(
        order=case.order, kind=kind, message=message, actor=actor, subject=case, data=data
    )


def _fresh(case, *, lock: bool):
    rows = type(case).objects.select_related("order", "assigned_to")
    if lock:
        rows = rows.select_for_update(of=("self",))
    return rows.get(pk=case.pk)


def case_held_by_another(case, actor: Actor) -> bool:
    """Someone else holds the case and the actor may not overrule them (a supervisor may)."""
    holder = case.assigned_to_id
    return (
        holder is not None
        and holder != getattr(actor.user, "pk", None)
        and not (actor.is_supervisor)
    )


def case_refuse_if_held(case, actor: Actor, *, noun: str = "case") -> None:
    """Refuse to act on a case someone else is working (SPEC: agents do not decide each
    other's cases; a supervisor may). Call it on the locked row."""
    if case_held_by_another(case, actor):
        holder = case.assigned_to.get_username()
        raise DomainError(
            ErrorCode.HELD_BY_ANOTHER,
            f"{holder} is working this {noun}; ask them, or a supervisor to reassign it.",
            assigned_to=holder,
        )


def case_claim(
    *, case, actor: Actor, events: CaseEvents, may_take: Callable[[object], None], noun="case"
):
    """Take an unassigned case; `may_take(current)` raises when the actor may not (a
    closed case, an escalation for an agent). Claiming one's own case again changes
    nothing."""
    user = actor.user
    with transaction.atomic():
        current = _fresh(case, lock=False)
        may_take(current)
        model = type(case)
        claimed = model.objects.filter(
            pk=current.pk, assigned_to__isnull=True, status=current.status
        ).update(assigned_to=user, updated_at=timezone.now())
        if not claimed:
            current = _fresh(case, lock=False)
            if current.assigned_to_id == user.pk:
                return current
            if current.assigned_to_id is None:  # decided or moved on meanwhile
                raise DomainError(
                    ErrorCode.ILLEGAL_TRANSITION,
                    f"{noun.capitalize()} {current.pk} changed while you were claiming it; "
                    "look again.",
                    current_status=current.status,
                )
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"{noun.capitalize()} {current.pk} is already being worked by "
                f"{current.assigned_to.get_username()}.",
                assigned_to=current.assigned_to.get_username(),
            )
        current.assigned_to = user
        _record(current, kind=events.claimed, message=f"{actor.label} took the case.", actor=actor)
    return current


def case_claim_first(*, candidates, actor: Actor, events: CaseEvents):
    """Claim the first unassigned case of `candidates` (a queryset in the order to take
    them), or return None when there is none.

    On PostgreSQL the candidate row is locked with SKIP LOCKED, so people pressing "next"
    at the same moment each get a different case without waiting on one another; the
    conditional UPDATE then makes the claim safe on every database (SQLite serialises
    writers instead).
    """
    model = candidates.model
    candidates = candidates.filter(assigned_to__isnull=True)
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
            claimed = model.objects.filter(pk=candidate.pk, assigned_to__isnull=True).update(
                assigned_to=actor.user, updated_at=timezone.now()
            )
            if claimed:
                candidate.assigned_to = actor.user
                _record(
                    candidate,
                    kind=events.claimed,
                    message=f"{actor.label} took the case from the queue.",
                    actor=actor,
                )
                return candidate
        skipped.append(candidate.pk)
    return None


def case_release(*, case, actor: Actor, events: CaseEvents, noun: str = "case"):
    """Give a case back to the queue. Only its holder or a supervisor can."""
    with transaction.atomic():
        current = _fresh(case, lock=True)
        if current.assigned_to_id is None:
            return current
        holder = current.assigned_to.get_username()
        if current.assigned_to_id != actor.user.pk and not actor.is_supervisor:
            raise DomainError(
                ErrorCode.PERMISSION_DENIED,
                f"{noun.capitalize()} {current.pk} is held by {holder}; only they or a "
                "supervisor can release it.",
            )
        current.assigned_to = None
        current.save(update_fields=["assigned_to", "updated_at"])
        message = f"{actor.label} put the case back in the queue"
        message += "." if holder == actor.label else f" (it was held by {holder})."
        _record(current, kind=events.released, message=message, actor=actor)
    return current


def staff_serving(retailer_id: int, *, supervisors_only: bool = False) -> Q:
    """The staff a case of this retailer may be given to: its agents and every supervisor
    (only supervisors when `supervisors_only`)."""
    condition = Q(role=StaffMember.Role.SUPERVISOR)
    if not supervisors_only:
        condition |= Q(role=StaffMember.Role.AGENT, retailers__pk=retailer_id)
    return condition


def assignees_for(retailer_id: int, *, supervisors_only: bool = False) -> list:
    """Who a case of this retailer may be given to, by username."""
    members = (
        StaffMember.objects.filter(
            staff_serving(retailer_id, supervisors_only=supervisors_only), user__is_active=True
        )
        .select_related("user")
        .distinct()
        .order_by("user__username")
    )
    return [member.user for member in members]


def case_reassign(
    *,
    case,
    actor: Actor,
    to_user,
    events: CaseEvents,
    may_take: Callable[[object], None],
    supervisors_only: str = "",
):
    """A supervisor gives the case to someone who serves its retailer (None: unassign).
    `supervisors_only`: why only a supervisor may work this case (an escalation), said to
    whoever picks anyone else; empty when anyone serving the retailer may."""
    if not actor.is_supervisor:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "Only a supervisor reassigns cases.")
    if to_user is None:
        return case_release(case=case, actor=actor, events=events)
    eligible = StaffMember.objects.filter(
        staff_serving(case.retailer_id), user=to_user, user__is_active=True
    )
    member = eligible.first()
    if member is None:
        raise DomainError(
            ErrorCode.INVALID,
            f"{to_user.get_username()} does not work cases of this retailer.",
            errors={"to": ["Pick an agent of this retailer or a supervisor."]},
        )
    if supervisors_only and not member.is_supervisor:
        raise DomainError(
            ErrorCode.INVALID, supervisors_only, errors={"to": ["Pick a supervisor."]}
        )
    with transaction.atomic():
        current = _fresh(case, lock=True)
        may_take(current)
        if current.assigned_to_id == to_user.pk:
            return current
        before = current.assigned_to.get_username() if current.assigned_to_id else None
        current.assigned_to = to_user
        current.save(update_fields=["assigned_to", "updated_at"])
        target = to_user.get_username()
        _record(
            current,
            kind=events.reassigned,
            message=(
                f"{actor.label} gave the case to {target}"
                + (f" (it was held by {before})." if before else ".")
            ),
            actor=actor,
            data={"from": before, "to": target},
        )
    return current

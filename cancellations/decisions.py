"""Decisions people make on a request: approve (possibly fewer units), reject, escalate,
require a return, and internal notes. Agents decide `in_review` requests up to the
policy's `agent_approval_limit`; escalated requests are for supervisors."""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from cancellations.models import CancellationLine, Status
from cancellations.quotes import quote_build
from cancellations.services import _approve_effects, _locked, return_require_effects
from cancellations.transitions import cancellation_transition
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import format_amount
from kernel.timeline import EventKind, order_event_record
from notifications.services import event_emit
from retailers.assignment import case_refuse_if_held
from retailers.business_hours import due_at as business_due_at
from retailers.services import policy_current

REJECTION_REASONS = {
    "outside_policy": "it falls outside the store's cancellation policy",
    "already_fulfilled": "the order is already being fulfilled",
    "suspected_abuse": "it could not be verified",
    "final_sale": "it includes final-sale items",
    "customer_request": "the customer asked us to keep the order",
    "other": "of the reason given below",
}


def _check_person_may_decide(cancellation, actor: Actor) -> None:
    if cancellation.status not in (Status.IN_REVIEW, Status.ESCALATED):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"Only requests in review or escalated are decided by people; this one is "
            f"{cancellation.status}.",
            current_status=cancellation.status,
        )
    if cancellation.status == Status.ESCALATED and not actor.is_supervisor:
        raise DomainError(
            ErrorCode.PERMISSION_DENIED, "Only a supervisor decides an escalated request."
        )
    case_refuse_if_held(cancellation, actor)


def _record_decision(cancellation, *, outcome, actor: Actor, explanation: str, policy) -> None:
    cancellation.decision_outcome = outcome
    cancellation.decision_rule = "supervisor_decision" if actor.is_supervisor else "agent_decision"
    cancellation.decision_explanation = explanation
    cancellation.policy = policy
    cancellation.decided_at = timezone.now()


def cancellation_approve(
    *, cancellation, actor: Actor, lines=None, note: str = "", within_agent_limit: bool = False
):
    """Approve, optionally for fewer units (`lines`: [{line, quantity}] by external id).

    Re-prices the request on the order as it is now. Above the agent approval limit an
    agent is refused (`above_approval_limit`) and should escalate instead; so is anyone,
    supervisors included, with `within_agent_limit` (approvals in bulk).
    """
    with transaction.atomic(), journal():
        cancellation, order = _locked(cancellation)
        _check_person_may_decide(cancellation, actor)
        policy = policy_current(retailer=cancellation.retailer)
        requested = lines or [
            {"line": cl.line.external_id, "quantity": cl.quantity}
            for cl in cancellation.lines.select_related("line")
        ]
        quote = quote_build(
            order=order, requested=requested, refund_shipping=policy.refund_shipping_on_full_cancel
        )
        currency = order.currency
        limit = policy.agent_approval_limit
        if quote.total > limit and (within_agent_limit or not actor.is_supervisor):
            raise DomainError(
                ErrorCode.ABOVE_APPROVAL_LIMIT,
                f"A refund of {format_amount(quote.total, currency)} {currency} is above the "
                f"agent approval limit of {format_amount(limit, currency)}:"
                " escalate it to a supervisor.",
                refund_total=format_amount(quote.total, currency),
                limit=format_amount(limit, currency),
                currency=currency,
            )
        if lines:
            cancellation.lines.all().delete()
            CancellationLine.objects.bulk_create(
                CancellationLine(
                    request=cancellation,
                    line=lr.line,
                    quantity=lr.quantity,
                    refund_amount=lr.amount,
                )
                for lr in quote.lines
            )
            order_event_record(
                order=order,
                kind=EventKind.CANCELLATION_LINES_CHANGED,
                message="Units to cancel changed before approval: "
                + ", ".join(f"{lr.quantity} x {lr.line.sku}" for lr in quote.lines)
                + ".",
                actor=actor,
                subject=cancellation,
            )
        explanation = note or f"Approved by {actor.label}."
        if order.at_warehouse:
            from cancellations.warehouse import cancellation_hold_for_warehouse

            cancellation_hold_for_warehouse(
                cancellation, quote, actor=actor, explanation=explanation, policy=policy
            )
            return cancellation
        _record_decision(
            cancellation,
            outcome=Status.APPROVED,
            actor=actor,
            explanation=explanation,
            policy=policy,
        )
        cancellation_transition(
            cancellation=cancellation,
            to=Status.APPROVED,
            actor=actor,
            why=f"{explanation} Refund {format_amount(quote.total, currency)} {currency}.",
        )
        _approve_effects(cancellation, quote, actor=actor)
    return cancellation


@dataclass(frozen=True)
class BulkOutcome:
    cancellation: object
    approved: bool
    why: str  # why it was not approved, in words that follow "#<id> "; "" when it was


def cancellations_approve_within_limit(
    *, cancellations, actor: Actor, note: str = "Approved in bulk."
) -> list[BulkOutcome]:
    """Approve each request that refunds no more than its retailer's agent approval
    limit, priced on the order as it is now (never on a stored total, which a changed
    order makes stale). Bulk approval is for the small, clear-cut cases: anything above
    is left for a person to open, whoever runs it. Each request is approved on its own,
    through `cancellation_approve`: one refused changes nothing of the others."""
    outcomes = []
    for cancellation in cancellations:
        if cancellation.status not in (Status.IN_REVIEW, Status.ESCALATED):
            why = f"is {cancellation.get_status_display().lower()}"
            outcomes.append(BulkOutcome(cancellation, False, why))
            continue
        try:
            cancellation_approve(
                cancellation=cancellation, actor=actor, note=note, within_agent_limit=True
            )
        except DomainError as error:
            if error.code == ErrorCode.ABOVE_APPROVAL_LIMIT:
                extra = error.extra
                why = (
                    f"refunds {extra['refund_total']} {extra['currency']}, above the limit of "
                    f"{extra['limit']}"
                )
            else:
                why = f"— {error.detail}"
            outcomes.append(BulkOutcome(cancellation, False, why))
        else:
            outcomes.append(BulkOutcome(cancellation, True, ""))
    return outcomes


def cancellation_reject(*, cancellation, actor: Actor, reason_code: str, message: str = ""):
    """Reject with a reason code; `message` is what the customer is told."""
    if reason_code not in REJECTION_REASONS:
        raise DomainError(
            ErrorCode.INVALID,
            f"Unknown rejection reason {reason_code!r}.",
            errors={"reason_code": [f"One of {', '.join(REJECTION_REASONS)}."]},
        )
    with transaction.atomic(), journal():
        cancellation, _order = _locked(cancellation)
        _check_person_may_decide(cancellation, actor)
        explanation = message or f"Rejected because {REJECTION_REASONS[reason_code]}."
        _record_decision(
            cancellation,
            outcome=Status.REJECTED,
            actor=actor,
            explanation=explanation,
            policy=policy_current(retailer=cancellation.retailer),
        )
        cancellation_transition(
            cancellation=cancellation,
            to=Status.REJECTED,
            actor=actor,
            why=explanation,
            data={"reason_code": reason_code},
        )
    return cancellation


def cancellation_escalate(*, cancellation, actor: Actor, note: str):
    """Hand an in-review request to a supervisor, with the agent's note."""
    with transaction.atomic(), journal():
        cancellation, _order = _locked(cancellation)
        if cancellation.status != Status.IN_REVIEW:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"Only a request in review can be escalated; this one is {cancellation.status}.",
                current_status=cancellation.status,
            )
        case_refuse_if_held(cancellation, actor)
        policy = policy_current(retailer=cancellation.retailer)
        cancellation.decision_outcome = Status.ESCALATED
        cancellation.decision_rule = "agent_escalation"
        cancellation.decision_explanation = note
        cancellation.policy = policy
        cancellation.assigned_to = None
        cancellation.sla_due_at = business_due_at(
            cancellation.order.retailer, timezone.now(), policy.sla_hours
        )
        cancellation_transition(
            cancellation=cancellation,
            to=Status.ESCALATED,
            actor=actor,
            why=f"Escalated to a supervisor: {note}",
        )
    return cancellation


def cancellation_require_return(*, cancellation, actor: Actor, note: str = ""):
    """The goods must come back first: the request hands over to a return, created with it."""
    with transaction.atomic(), journal():
        cancellation, _order = _locked(cancellation)
        _check_person_may_decide(cancellation, actor)
        explanation = note or "The goods must be returned before a refund."
        _record_decision(
            cancellation,
            outcome=Status.RETURN_REQUIRED,
            actor=actor,
            explanation=explanation,
            policy=policy_current(retailer=cancellation.retailer),
        )
        cancellation_transition(
            cancellation=cancellation, to=Status.RETURN_REQUIRED, actor=actor, why=explanation
        )
        return_require_effects(cancellation, actor=actor)
    return cancellation


def cancellation_add_note(*, cancellation, actor: Actor, text: str) -> None:
    """An internal note on the timeline; customers never see it."""
    if not text.strip():
        raise DomainError(ErrorCode.INVALID, "A note needs text.", errors={"text": ["Required."]})
    order_event_record(
        order=cancellation.order,
        kind=EventKind.CANCELLATION_NOTE,
        message=text.strip(),
        actor=actor,
        subject=cancellation,
        data={"internal": True},
    )


def cancellation_message_customer(
    *, cancellation, actor: Actor, subject: str, body: str, macro_name: str | None = None
) -> None:
    """Send the customer a message written (or picked from a macro) by an agent.

    `cancellation.agent_message` makes notifications send the agent's words as they are
    (an essential message, in the retailer's branding), and tells the retailer's
    webhooks. It is written in the same transaction as the timeline event that records
    it, so it is sent once that is committed and never for a change that rolled back.
    """
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise DomainError(
            ErrorCode.INVALID,
            "A message to the customer needs a subject and a text.",
            errors={
                name: ["Required."]
                for name, value in (("subject", subject), ("body", body))
                if not value
            },
        )
    order = cancellation.order
    with transaction.atomic():
        order_event_record(
            order=order,
            kind=EventKind.CANCELLATION_CUSTOMER_CONTACTED,
            message=f"Message to the customer: \u201c{subject}\u201d.",
            actor=actor,
            subject=cancellation,
            data={"subject": subject, "body": body, "macro": macro_name},
        )
        event_emit(
            retailer=cancellation.retailer,
            event_type="cancellation.agent_message",
            data={"subject": subject, "body": body},
            order=order,
            subject=cancellation,
        )

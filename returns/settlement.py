"""Closing a return: when what it owes has gone out (refunds succeeded, store credit
issued), or when an agent settles one that needs attention. Refunds and store credit
report back here (`refunds.sources`, registered in ReturnsConfig.ready)."""

from django.db import transaction
from django.utils import timezone

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import ZERO, format_amount, quantize
from kernel.timeline import EventKind, order_event_record
from refunds.calculator import allocate
from refunds.models import Refund, StoreCredit
from refunds.services import refunds_create
from refunds.store_credit.services import store_credit_create
from returns.models import Resolution, Return, Status
from returns.services import exchange_release, return_locked
from returns.transitions import illegal, return_transition

# --- closing and settlement ---------------------------------------------------------------


def return_settle(return_request, *, actor: Actor) -> None:
    """Close the (locked) return when nothing it owes is outstanding: every refund
    succeeded and every store credit issued, and no unit needs a person. A refund or
    credit that failed for good flags the return for the queue instead."""
    if return_request.status != Status.INSPECTED:
        return
    refunds = list(Refund.objects.filter(return_request=return_request))
    credits = list(StoreCredit.objects.filter(return_request=return_request))
    failed = [r for r in refunds if r.status == Refund.Status.FAILED] + [
        c for c in credits if c.status == StoreCredit.Status.FAILED
    ]
    if failed and not return_request.needs_attention:
        return_request.needs_attention = True
        what = "refund" if isinstance(failed[0], Refund) else "store credit"
        return_request.attention_reason = (
            f"The {what} of {format_amount(failed[0].amount, failed[0].currency)} failed "
            f"({failed[0].failure_code or 'error'})."
        )
        return_request.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
        order_event_record(
            order=return_request.order,
            kind=EventKind.RETURN_NEEDS_ATTENTION,
            message=return_request.attention_reason + " Back in the queue for a person.",
            actor=actor,
            subject=return_request,
        )
        return
    if return_request.needs_attention:
        return
    settled = all(r.status in (Refund.Status.SUCCEEDED, Refund.Status.CANCELLED) for r in refunds)
    settled = settled and all(c.status == StoreCredit.Status.ISSUED for c in credits)
    if not settled:
        return
    exchange_release(return_request, actor=actor, why="closed")
    currency = return_request.order.currency
    return_request.closed_at = timezone.now()
    owed = format_amount(return_request.refund_total, currency)
    how = {
        Resolution.REFUND: f"{owed} {currency} refunded",
        Resolution.STORE_CREDIT: "store credit issued",
        Resolution.EXCHANGE: "exchange sent",
    }[return_request.resolution]
    return_transition(
        return_request=return_request,
        to=Status.CLOSED,
        actor=actor,
        why=f"Return complete: {how}."
        if refunds or credits or return_request.exchange_order_id
        else "Return complete: nothing was owed.",
    )


def return_refund_settled(*, refund, actor: Actor) -> None:
    """Told in the transaction that changed one of the return's refunds (refunds.sources)."""
    return_request = (
        Return.objects.select_for_update(of=("self",))
        .select_related("retailer", "order", "policy")
        .get(pk=refund.return_request_id)
    )
    return_settle(return_request, actor=actor)


def return_store_credit_settled(*, store_credit, actor: Actor) -> None:
    return_request = (
        Return.objects.select_for_update(of=("self",))
        .select_related("retailer", "order", "policy")
        .get(pk=store_credit.return_request_id)
    )
    return_settle(return_request, actor=actor)


def return_close(*, return_request, actor: Actor, note: str, goodwill=None) -> Return:
    """An agent settles a return that needs attention (missing or wrong items, a failed
    refund): the note says what was decided; `goodwill` (an amount, optional) is paid
    back the return's way (refund, or store credit without bonus), at most what is
    still refundable on the order. The return closes once what it owes is settled."""
    note = (note or "").strip()
    if not note:
        raise DomainError(
            ErrorCode.INVALID, "Say how the return was settled.", errors={"note": ["Required."]}
        )
    with transaction.atomic(), journal():
        return_request = return_locked(return_request)
        if return_request.status != Status.INSPECTED:
            raise illegal(return_request, "closed")
        if goodwill:
            _goodwill_pay(return_request, amount=goodwill, actor=actor)
        return_request.needs_attention = False
        return_request.attention_reason = ""
        return_request.save(update_fields=["needs_attention", "attention_reason", "updated_at"])
        order_event_record(
            order=return_request.order,
            kind=EventKind.RETURN_NEEDS_ATTENTION,
            message=f"{actor.label} settled the return: {note}",
            actor=actor,
            subject=return_request,
            data={"goodwill": str(goodwill) if goodwill else None},
        )
        return_settle(return_request, actor=actor)
    return return_request


def _goodwill_pay(return_request, *, amount, actor) -> None:
    """A goodwill amount an agent grants when closing (SPEC §9's partially upheld
    dispute, where one is due): the return's way, at most what is still refundable."""
    order = return_request.order
    amount = quantize(amount, order.currency)
    refundable = sum((p.amount - p.refunded_amount for p in order.payments.all()), start=ZERO)
    if amount <= 0 or amount > refundable:
        raise DomainError(
            ErrorCode.INVALID,
            f"Goodwill must be above zero and at most {format_amount(refundable, order.currency)}.",
            errors={"goodwill": ["Out of range."]},
        )
    if return_request.resolution == Resolution.STORE_CREDIT:
        store_credit_create(source=return_request, amount=amount, actor=actor)
    else:
        refunds_create(
            source=return_request,
            allocations=allocate(list(order.payments.order_by("position", "id")), amount),
            actor=actor,
        )

"""Writes for cancellation requests. The API, the agent screens, admin, tasks and the
customer pages all call these; none of them changes a request any other way."""

from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.holds import warehouse_hold_effects, warehouse_resume
from cancellations.models import (
    UNDECIDED,
    CancellationLine,
    CancellationRequest,
    RefundMethod,
    Status,
)
from cancellations.quotes import Quote, quote_build
from cancellations.rules import Context, Decision, verify
from cancellations.selectors import cancellation_get
from cancellations.transitions import cancellation_transition
from inventory.services import line_stock_release
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import format_amount
from kernel.timeline import EventKind, order_event_record
from notifications.services import event_emit
from orders.models import Order
from refunds.services import refunds_create
from refunds.store_credit.services import store_credit_create
from retailers.assignment import case_refuse_if_held
from retailers.business_hours import due_at as business_due_at
from retailers.services import policy_current
from returns.services import return_create_for_cancellation

ABUSE_LOOKBACK = timedelta(days=30)


@dataclass(frozen=True)
class Plan:
    """What a submission would do: the priced quote and the rules' decision."""

    quote: Quote
    decision: Decision
    policy: object


def _order_for_update(*, retailer, external_id: str) -> Order:
    # of=: FOR UPDATE on the join would also lock the retailer's row, one row every
    # submission of that retailer shares, and serialise them all (commit-time foreign
    # key checks on it wait too). The customer stays locked with the order.
    # The customer's message preference comes along (decisions tell the customer).
    order = (
        Order.objects.select_for_update(of=("self", "customer"))
        .select_related(
            "retailer", "retailer__business_hours", "customer", "customer__message_preference"
        )
        .filter(retailer=retailer, external_id=external_id)
        .first()
    )
    if order is None:
        raise DomainError(
            ErrorCode.ORDER_NOT_FOUND,
            f"No order {external_id!r} for this retailer.",
            errors={"order": ["No such order."]},
        )
    return order


def _refuse_if_open(order) -> None:
    open_request = (
        CancellationRequest.objects.filter(order=order, status__in=UNDECIDED)
        .values_list("pk", flat=True)
        .first()
    )
    if open_request is not None:
        raise DomainError(
            ErrorCode.OPEN_REQUEST_EXISTS,
            f"Order {order.external_id} already has an undecided request ({open_request}).",
            request=open_request,
        )


def _recent_cancellations(order, *, now, exclude=None) -> int:
    qs = CancellationRequest.objects.filter(
        retailer_id=order.retailer_id,
        order__customer_id=order.customer_id,
        created_at__gte=now - ABUSE_LOOKBACK,
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    return qs.count()


def _plan(*, order, requested, channel, policy, now, exclude=None, confirmed=False) -> Plan:
    quote = quote_build(
        order=order, requested=requested, refund_shipping=policy.refund_shipping_on_full_cancel
    )
    decision = verify(
        Context(
            order=order,
            policy=policy,
            quote=quote,
            channel=channel,
            now=now,
            recent_cancellations=_recent_cancellations(order, now=now, exclude=exclude),
            customer_confirmed=confirmed,
        )
    )
    return Plan(quote=quote, decision=decision, policy=policy)


def cancellation_preview(*, retailer, order: str, lines=None, channel="storefront") -> Plan:
    """What `cancellation_submit` would decide and refund now, writing nothing."""
    with transaction.atomic():
        order_obj = _order_for_update(retailer=retailer, external_id=order)
        _refuse_if_open(order_obj)
        return _plan(
            order=order_obj,
            requested=lines,
            channel=channel,
            policy=policy_current(retailer=retailer),
            now=timezone.now(),
        )


def cancellation_submit(
    *,
    retailer,
    order: str,
    reason: str,
    channel: str = "storefront",
    lines: list[dict] | None = None,
    note: str = "",
    refund_method: str = RefundMethod.ORIGINAL_PAYMENT,
    actor: Actor,
) -> CancellationRequest:
    """Record a request, verify it against the retailer's policy and act on the decision.

    The order row is locked first, so two submissions for one order are decided one
    after the other: the second sees the first (`open_request_exists`) or what it
    cancelled (`already_cancelled`, `quantity_exceeds_remaining`). The partial unique
    constraint on undecided requests is the backstop if anything skips the lock.
    """
    try:
        with transaction.atomic(), journal():
            return _submit(
                retailer=retailer,
                external_id=order,
                reason=reason,
                channel=channel,
                requested=lines,
                note=note,
                refund_method=refund_method,
                actor=actor,
            )
    except IntegrityError as exc:
        if "one_undecided_request_per_order" not in str(exc):
            raise
        with transaction.atomic():
            _refuse_if_open(Order.objects.get(retailer=retailer, external_id=order))
        raise


def _submit(*, retailer, external_id, reason, channel, requested, note, refund_method, actor):
    order = _order_for_update(retailer=retailer, external_id=external_id)
    _refuse_if_open(order)
    now = timezone.now()
    plan = _plan(
        order=order,
        requested=requested,
        channel=channel,
        policy=policy_current(retailer=retailer),
        now=now,
    )
    cancellation = CancellationRequest.objects.create(
        retailer=retailer,
        order=order,
        reason=reason,
        channel=channel,
        note=note,
        refund_method=refund_method,
        refund_total=plan.quote.total,
        shipping_refund=plan.quote.shipping,
        policy=plan.policy,
        created_by=actor.label,
    )
    lines = CancellationLine.objects.bulk_create(
        CancellationLine(
            request=cancellation, line=lr.line, quantity=lr.quantity, refund_amount=lr.amount
        )
        for lr in plan.quote.lines
    )
    # Everything that reads this request's lines or refunds next in this transaction (the
    # approval, the webhook payloads, the API response) gets the rows just written rather
    # than reading them back, in the order the database would give them.
    lines.sort(key=lambda cl: (cl.line.position, cl.pk))
    cancellation._prefetched_objects_cache = {"lines": lines, "refunds": []}
    units = sum(lr.quantity for lr in plan.quote.lines)
    order_event_record(
        order=order,
        kind=EventKind.CANCELLATION_RECEIVED,
        message=(
            f"Cancellation requested through {channel} ({reason.replace('_', ' ')}): "
            f"{units} unit(s), refund {format_amount(plan.quote.total, order.currency)} "
            f"{order.currency}."
        ),
        actor=actor,
        subject=cancellation,
        to_state=Status.RECEIVED,
        data={
            "lines": [
                {"line": lr.line.external_id, "quantity": lr.quantity} for lr in plan.quote.lines
            ]
        },
    )
    event_emit(
        retailer=retailer,
        event_type="cancellation.created",
        data={},
        order=order,
        subject=cancellation,
    )
    _decide(cancellation, plan.decision, plan.quote, now=now)
    return cancellation


def _decide(cancellation, decision: Decision, quote: Quote, *, now) -> None:
    """Apply a rule's decision: record it, move the request, act on approval."""
    policy = cancellation.policy
    cancellation.decision_outcome = decision.outcome
    cancellation.decision_rule = decision.rule
    cancellation.decision_explanation = decision.explanation
    if decision.outcome in (Status.APPROVED, Status.REJECTED, Status.RETURN_REQUIRED):
        cancellation.decided_at = now
    if decision.outcome in (Status.IN_REVIEW, Status.ESCALATED):
        cancellation.sla_due_at = business_due_at(
            cancellation.order.retailer, now, policy.sla_hours
        )
    if decision.outcome == Status.AWAITING_CUSTOMER:
        cancellation.confirmation_expires_at = now + timedelta(
            hours=policy.customer_confirmation_hours
        )
    cancellation_transition(
        cancellation=cancellation,
        to=decision.outcome,
        actor=Actor.rule(decision.rule),
        why=decision.explanation,
        data={"rule": decision.rule, "policy_version": policy.version},
    )
    if decision.outcome == Status.APPROVED:
        _approve_effects(cancellation, quote, actor=Actor.rule(decision.rule))
    elif decision.outcome == Status.RETURN_REQUIRED:
        return_require_effects(cancellation, actor=Actor.rule(decision.rule))
    elif decision.outcome == Status.AWAITING_WAREHOUSE:
        warehouse_hold_effects(cancellation, quote, actor=Actor.rule(decision.rule), now=now)


def return_require_effects(cancellation, *, actor: Actor) -> None:
    """The request hands over to a return, created in the same transaction (SPEC §4)."""
    created = return_create_for_cancellation(cancellation=cancellation, actor=actor)
    cancellation.return_request = created


def _approve_effects(cancellation, quote: Quote, *, actor: Actor) -> None:
    """Cancel the units, release their stock, and create the refunds, all in the
    caller's transaction; the refunds execute on workers after commit."""
    order = quote.order
    by_line = {cl.line_id: cl for cl in cancellation.lines.all()}
    for lr in quote.lines:
        line = lr.line
        cancellation_line = by_line[line.pk]
        if cancellation_line.refund_amount != lr.amount:  # the order changed since submit
            cancellation_line.refund_amount = lr.amount
            cancellation_line.save(update_fields=["refund_amount"])
        if not order.is_shipped:
            line_stock_release(
                line=line,
                quantity=lr.quantity,
                source=cancellation_line,
                actor=actor,
                save=False,
            )
        line.cancelled_quantity += lr.quantity
        line.refunded_amount += lr.amount
        line.save(update_fields=["cancelled_quantity", "refunded_amount", "reserved_quantity"])
    if quote.shipping:
        order.shipping_refunded += quote.shipping
        order.save(update_fields=["shipping_refunded", "updated_at"])
    if (cancellation.refund_total, cancellation.shipping_refund) != (quote.total, quote.shipping):
        cancellation.refund_total = quote.total
        cancellation.shipping_refund = quote.shipping
        cancellation.save(update_fields=["refund_total", "shipping_refund", "updated_at"])
    refunds, credit = [], None
    if cancellation.refund_method == RefundMethod.STORE_CREDIT and quote.total > 0:
        # No payment gets this money back: the customer gets a code instead (no bonus:
        # that is for returns only, SPEC §10).
        credit = store_credit_create(source=cancellation, amount=quote.total, actor=actor)
    elif cancellation.refund_method != RefundMethod.STORE_CREDIT:
        refunds = refunds_create(source=cancellation, allocations=quote.allocations, actor=actor)
    if "refunds" in getattr(cancellation, "_prefetched_objects_cache", {}):
        cancellation._prefetched_objects_cache["refunds"] = refunds
    if not refunds and credit is None:
        cancellation_transition(
            cancellation=cancellation,
            to=Status.COMPLETED,
            actor=Actor.system(),
            why="Nothing was owed, so the cancellation is complete.",
        )


def _locked(cancellation) -> tuple[CancellationRequest, Order]:
    """Lock order then request, always in that order (as submit does) to avoid deadlocks."""
    order = (
        Order.objects.select_for_update(of=("self", "customer"))  # never the retailer's row
        .select_related("retailer", "retailer__business_hours", "customer")
        .get(pk=cancellation.order_id)
    )
    locked = cancellation_get(
        pk=cancellation.pk, retailer_ids=[cancellation.retailer_id], for_update=True
    )
    locked.order = order
    return locked, order


def cancellation_withdraw(
    *, cancellation, actor: Actor, why: str = "", tell_warehouse: bool = True
) -> CancellationRequest:
    """The customer or storefront takes the request back; only before a decision. A
    warehouse asked to stop is told to go on (`tell_warehouse`, unless the order was
    cancelled elsewhere and it must not)."""
    with transaction.atomic(), journal():
        cancellation, _order = _locked(cancellation)
        case_refuse_if_held(cancellation, actor)
        cancellation_transition(
            cancellation=cancellation,
            to=Status.WITHDRAWN,
            actor=actor,
            why=why or f"Withdrawn by the {actor.kind.replace('_', ' ')}.",
        )
        if tell_warehouse:
            warehouse_resume(cancellation, actor=actor)
    return cancellation


def cancellation_confirm(*, cancellation, actor: Actor) -> CancellationRequest:
    """The customer confirms: the request is verified again, without asking twice."""
    with transaction.atomic(), journal():
        cancellation, order = _locked(cancellation)
        now = timezone.now()
        if cancellation.status != Status.AWAITING_CUSTOMER:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"Only a request awaiting the customer can be confirmed; this one is "
                f"{cancellation.status}.",
                current_status=cancellation.status,
            )
        if cancellation.confirmation_expires_at and cancellation.confirmation_expires_at < now:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                "The time to confirm this request has run out.",
                current_status=cancellation.status,
            )
        order_event_record(
            order=order,
            kind=EventKind.CANCELLATION_CONFIRMED,
            message="The customer confirmed the cancellation; checking it again.",
            actor=actor,
            subject=cancellation,
        )
        requested = [
            {"line": cl.line.external_id, "quantity": cl.quantity}
            for cl in cancellation.lines.select_related("line")
        ]
        policy = policy_current(retailer=cancellation.retailer)
        plan = _plan(
            order=order,
            requested=requested,
            channel=cancellation.channel,
            policy=policy,
            now=now,
            exclude=cancellation,
            confirmed=True,
        )
        cancellation.policy = policy
        cancellation.refund_total = plan.quote.total
        cancellation.shipping_refund = plan.quote.shipping
        _decide(cancellation, plan.decision, plan.quote, now=now)
    return cancellation


def cancellation_expire_confirmations(*, now=None) -> int:
    """Withdraw requests whose customer did not confirm in time. Returns how many."""
    now = now or timezone.now()
    due = CancellationRequest.objects.filter(
        status=Status.AWAITING_CUSTOMER, confirmation_expires_at__lt=now
    ).values_list("pk", flat=True)
    expired = 0
    for pk in due.iterator():
        with transaction.atomic(), journal():
            cancellation = CancellationRequest.objects.get(pk=pk)
            cancellation, _order = _locked(cancellation)
            if cancellation.status != Status.AWAITING_CUSTOMER:
                continue  # confirmed or withdrawn meanwhile
            cancellation_transition(
                cancellation=cancellation,
                to=Status.WITHDRAWN,
                actor=Actor.worker("confirmation expiry"),
                why=(
                    "The customer did not confirm within "
                    f"{cancellation.policy.customer_confirmation_hours} hours."
                ),
            )
            expired += 1
    return expired


def cancellation_refund_settled(*, refund, actor: Actor) -> None:
    """Told in the transaction that changed one of the request's refunds (the refunds
    app calls it: `refunds.sources`).

    All refunds succeeded: the request is completed. One failed for good: the request
    stays approved, is flagged as needing attention and goes back to the queue.
    """
    cancellation = cancellation_get(
        pk=refund.cancellation_id, retailer_ids=[refund.retailer_id], for_update=True
    )
    if cancellation.status != Status.APPROVED:
        return
    refunds = list(cancellation.refunds.select_related("payment"))
    failed = [r for r in refunds if r.status == "failed"]
    currency = cancellation.order.currency
    if refunds and all(r.status == "succeeded" for r in refunds):
        cancellation.needs_attention = False
        cancellation.attention_reason = ""
        cancellation_transition(
            cancellation=cancellation,
            to=Status.COMPLETED,
            actor=actor,
            why=(
                f"All refunds succeeded: {format_amount(cancellation.refund_total, currency)} "
                f"{currency} returned."
            ),
        )
    elif failed and not cancellation.needs_attention:
        refund = failed[0]
        cancellation.needs_attention = True
        cancellation.attention_reason = (
            f"Refund of {format_amount(refund.amount, currency)} to {refund.payment.method} "
            f"failed ({refund.failure_code or 'error'})."
        )
        cancellation.sla_due_at = timezone.now()
        cancellation.save()
        order_event_record(
            order=cancellation.order,
            kind=EventKind.CANCELLATION_NEEDS_ATTENTION,
            message=cancellation.attention_reason + " Back in the queue for a person.",
            actor=actor,
            subject=cancellation,
        )


def cancellation_store_credit_settled(*, store_credit, actor: Actor) -> None:
    """Told in the transaction that changed the request's store credit (refunds.sources):
    issued, the request is completed; failed for good, it goes back to the queue."""
    cancellation = cancellation_get(
        pk=store_credit.cancellation_id, retailer_ids=[store_credit.retailer_id], for_update=True
    )
    if cancellation.status != Status.APPROVED:
        return
    currency = cancellation.order.currency
    if store_credit.status == "issued":
        cancellation.needs_attention = False
        cancellation.attention_reason = ""
        cancellation_transition(
            cancellation=cancellation,
            to=Status.COMPLETED,
            actor=actor,
            why=(
                f"Store credit of {format_amount(store_credit.amount, currency)} {currency} "
                f"issued (code {store_credit.code})."
            ),
        )
    elif store_credit.status == "failed" and not cancellation.needs_attention:
        cancellation.needs_attention = True
        cancellation.attention_reason = (
            f"Store credit of {format_amount(store_credit.amount, currency)} failed "
            f"({store_credit.failure_code or 'error'})."
        )
        cancellation.sla_due_at = timezone.now()
        cancellation.save()
        order_event_record(
            order=cancellation.order,
            kind=EventKind.CANCELLATION_NEEDS_ATTENTION,
            message=cancellation.attention_reason + " Back in the queue for a person.",
            actor=actor,
            subject=cancellation,
        )

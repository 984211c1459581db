"""Writes for refunds: creation at approval, exactly-once execution, supervisor fixes.

Exactly once, whatever is retried, duplicated or restarted, rests on three guards:
1. An attempt is claimed in a short transaction on the locked row (pending and due),
   which holds `next_attempt_at` ahead for as long as a gateway call can take, so a
   duplicate message arriving meanwhile finds it not due and does nothing.
2. Every attempt of a refund sends the same idempotency key, so when a worker dies
   after the gateway acted but before we heard, the next attempt is answered with the
   earlier success instead of moving money again.
3. The outcome is applied in a second transaction on the locked row, only while the
   refund is still pending (a success is never lost, a stale failure never wins).
The gateway itself is called between the two transactions, never inside one.
"""

import logging
import random
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal
from kernel.money import format_amount
from kernel.timeline import EventKind, order_event_record
from notifications.outbox import outbox_work_on_commit
from notifications.services import event_emit
from orders.models import Payment
from refunds.gateways import GatewayResult, gateway_for
from refunds.models import Refund, new_idempotency_key
from refunds.sources import refund_source_field, refund_source_settle
from refunds.transitions import refund_transition

logger = logging.getLogger(__name__)

WORKER = Actor.worker("refund worker")
GATEWAY_UNAVAILABLE = "gateway_unavailable"

# Tunable in settings; these defaults give up after about an hour of transient errors.
DEFAULTS = {
    "REFUND_MAX_ATTEMPTS": 8,
    "REFUND_RETRY_BASE_SECONDS": 30,
    "REFUND_RETRY_CAP_SECONDS": 3600,
    # Added to the gateway's timeout: clock skew between workers, time to commit.
    "REFUND_ATTEMPT_LEASE_MARGIN_SECONDS": 5,
    # The sweep re-sends a pending refund overdue by this long and not sent since.
    "REFUND_SWEEP_AFTER_SECONDS": 120,
    "REFUND_SWEEP_BATCH": 500,
}


def _setting(name: str):
    return getattr(settings, name, DEFAULTS[name])


def _describe(refund: Refund) -> str:
    payment = refund.payment
    return (
        f"refund of {format_amount(refund.amount, refund.currency)} {refund.currency} "
        f"to the {payment.method} payment {payment.external_id}"
    )


# The after-commit work that executes refunds (its runner is registered by refunds.tasks).
REFUND_WORK = "refund_ids"


def refund_enqueue_on_commit(refund_id: int) -> None:
    """Execute the refund once this transaction commits.

    All the refunds one transaction writes (an approval of a split-tender order writes
    one per payment) go to a worker in the one task that also sends the transaction's
    messages and webhooks, after them.
    """
    outbox_work_on_commit(REFUND_WORK, [refund_id])


def refunds_create(*, source, allocations, actor: Actor) -> list[Refund]:
    """Create one pending refund per allocation for `source` (a cancellation request,
    return or dispute: a registered refund source), inside the caller's transaction.

    `allocations` come from `refunds.calculator.allocate`. Each payment's
    `refunded_amount` grows by its share (the database refuses more than was
    captured). Workers are asked to execute the refunds once the transaction commits,
    so a rolled-back approval sends nothing.
    """
    order = source.order
    source_field = refund_source_field(source)
    now = timezone.now()
    refunds = []
    # No savepoint: nothing here is retried in place, so a failure rolls back the caller's
    # transaction with it (two round trips fewer on every approval).
    with transaction.atomic(savepoint=False):
        for allocation in allocations:
            if allocation.amount <= 0:
                raise ValueError(f"refund amount must be positive, not {allocation.amount}")
            # Lock and add in Decimal, not with F(): SQLite would evaluate F() arithmetic
            # in floating point and 10.1 + 35.27 would overshoot a captured 45.37.
            payment = (
                Payment.objects.select_for_update()
                .filter(pk=allocation.payment.pk, order_id=order.pk)
                .first()
            )
            if payment is None:
                raise ValueError(
                    f"payment {allocation.payment.pk} is not a payment of order {order.pk}"
                )
            payment.refunded_amount += allocation.amount
            payment.save(update_fields=["refunded_amount"])
            refund = Refund.objects.create(
                retailer_id=order.retailer_id,
                payment=payment,
                **{source_field: source},
                amount=allocation.amount,
                currency=order.currency,
                attempt_limit=_setting("REFUND_MAX_ATTEMPTS"),
                next_attempt_at=now,
                last_enqueued_at=now,
            )
            order_event_record(
                order=order,
                kind=EventKind.REFUND_CREATED,
                message=f"The {_describe(refund)} was created; it goes to the payment "
                "gateway next.",
                actor=actor,
                subject=refund,
                to_state=Refund.Status.PENDING,
                data={"amount": format_amount(refund.amount, refund.currency)},
            )
            refund_enqueue_on_commit(refund.pk)
            refunds.append(refund)
    return refunds


def _refund_locked(refund_id) -> Refund | None:
    # Everything settling it reads (the order's customer and the retailer's branding
    # for the message, the order for the timeline) comes in this one statement; only
    # the refund's row is locked.
    return (
        Refund.objects.select_for_update(of=("self",))
        .select_related("payment__order__customer", "retailer__branding")
        .filter(pk=refund_id)
        .first()
    )


def _lease(gateway) -> timedelta:
    return timedelta(
        seconds=gateway.timeout_seconds + _setting("REFUND_ATTEMPT_LEASE_MARGIN_SECONDS")
    )


def _backoff_seconds(attempt: int) -> float:
    """Exponential, capped, with jitter so refunds that failed together spread out."""
    ceiling = min(
        _setting("REFUND_RETRY_CAP_SECONDS"),
        _setting("REFUND_RETRY_BASE_SECONDS") * 2 ** (attempt - 1),
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def refund_execute(*, refund_id: int) -> float | None:
    """Make one gateway attempt for a pending, due refund and record what happened.

    Safe to run any number of times, concurrently: a refund that is not pending or not
    due is left alone. Returns the seconds until the next attempt after a transient
    failure (the task retries then), or None when there is nothing more to do now.
    """
    claim = _attempt_claim(refund_id)
    if claim is None:
        return None
    refund, gateway = claim
    # Outside any transaction: holding row locks across a network call would stall
    # every other writer for as long as the gateway takes.
    result = gateway.refund(
        payment_reference=refund.payment.reference,
        amount=refund.amount,
        currency=refund.currency,
        idempotency_key=refund.idempotency_key,
        refund_id=refund.pk,
    )
    return _attempt_record(refund_id, attempt=refund.attempts, result=result)


def _attempt_claim(refund_id):
    with transaction.atomic():
        # What the attempt needs (the retailer's gateway, the payment's reference), not
        # what settling it does: the order, customer and branding are read at the record.
        refund = (
            Refund.objects.select_for_update(of=("self",))
            .select_related("payment", "retailer")
            .filter(pk=refund_id)
            .first()
        )
        if refund is None or refund.status != Refund.Status.PENDING:
            return None
        now = timezone.now()
        if refund.next_attempt_at is not None and refund.next_attempt_at > now:
            return None  # backing off, or another worker's attempt is in flight
        if refund.attempts >= refund.attempt_limit:
            # The last attempts never reported back (workers died mid-call).
            _refund_fail(
                refund,
                code=GATEWAY_UNAVAILABLE,
                message=f"No answer from the gateway after {refund.attempts} attempt(s).",
                now=now,
            )
            return None
        gateway = gateway_for(refund.retailer)
        refund.attempts += 1
        refund.last_attempt_at = now
        refund.next_attempt_at = now + _lease(gateway)
        refund.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at", "updated_at"])
    return refund, gateway


def _attempt_record(refund_id, *, attempt: int, result: GatewayResult) -> float | None:
    with transaction.atomic(), journal():
        refund = _refund_locked(refund_id)
        now = timezone.now()
        if refund is None or refund.status == Refund.Status.SUCCEEDED:
            return None  # a concurrent attempt already recorded the success
        if result.succeeded:
            # Even after we gave up (failed), a success means money moved: record it.
            _refund_succeed(refund, reference=result.reference, now=now)
            return None
        if refund.status != Refund.Status.PENDING or refund.attempts != attempt:
            return None  # a newer attempt (or a supervisor) decides now
        if result.outcome == "declined":
            _refund_fail(
                refund,
                code=result.failure_code or "declined",
                message=result.message or "Declined by the gateway.",
                now=now,
            )
            return None
        if refund.attempts >= refund.attempt_limit:
            _refund_fail(
                refund,
                code=GATEWAY_UNAVAILABLE,
                message=f"Gave up after {refund.attempts} attempts; last error: "
                f"{result.message or result.failure_code}",
                now=now,
            )
            return None
        delay = _backoff_seconds(refund.attempts)
        refund.next_attempt_at = now + timedelta(seconds=delay)
        refund.failure_message = result.message
        refund.save(update_fields=["next_attempt_at", "failure_message", "updated_at"])
        order_event_record(
            order=refund.payment.order,
            kind=EventKind.REFUND_ATTEMPT_FAILED,
            message=f"Attempt {refund.attempts} of the {_describe(refund)} failed at the "
            f"gateway ({result.failure_code or 'error'}: {result.message}); it is tried again "
            f"in about {round(delay)} seconds.",
            actor=WORKER,
            subject=refund,
            data={"attempt": refund.attempts, "failure_code": result.failure_code},
        )
    return delay


def _refund_succeed(refund: Refund, *, reference: str, now, actor: Actor = WORKER, note=""):
    previous = refund.status
    refund.gateway_reference = reference
    refund.succeeded_at = now
    refund.next_attempt_at = None
    refund.failure_code = ""
    refund.failure_message = ""
    if refund.manual:
        message = (
            f"{actor.label} recorded the {_describe(refund)} as refunded outside the gateway "
            f"(reference {reference})."
        )
        if note:
            message += f" Note: {note}"
    else:
        message = (
            f"The {_describe(refund)} succeeded at the gateway after {refund.attempts} "
            f"attempt(s) (reference {reference})."
        )
        if previous == Refund.Status.FAILED:
            message += " The gateway confirmed it after we had given up on it."
    refund_transition(
        refund=refund,
        to=Refund.Status.SUCCEEDED,
        actor=actor,
        kind=(EventKind.REFUND_RECORDED_MANUALLY if refund.manual else EventKind.REFUND_SUCCEEDED),
        message=message,
        data={"gateway_reference": reference, "attempts": refund.attempts},
    )
    _refund_announce(refund, "refund.succeeded", actor=actor)


def _refund_fail(refund: Refund, *, code: str, message: str, now, actor: Actor = WORKER):
    refund.failure_code = code
    refund.failure_message = message
    refund.next_attempt_at = None
    refund_transition(
        refund=refund,
        to=Refund.Status.FAILED,
        actor=actor,
        kind=EventKind.REFUND_FAILED,
        message=f"The {_describe(refund)} failed for good after {refund.attempts} attempt(s) "
        f"({code}: {message}). A supervisor can retry it or record a manual refund.",
        data={"failure_code": code, "attempts": refund.attempts},
    )
    _refund_announce(refund, "refund.failed", actor=actor)


def _refund_announce(refund: Refund, event_type: str, *, actor: Actor) -> None:
    """Tell the customer and webhooks, and let the refund's source settle, in this
    transaction."""
    event_emit(
        retailer=refund.retailer,
        event_type=event_type,
        data={},
        order=refund.payment.order,
        subject=refund,
    )
    refund_source_settle(refund, actor=actor)


def _require_supervisor(actor: Actor, what: str) -> None:
    if not actor.is_supervisor:
        raise DomainError(ErrorCode.PERMISSION_DENIED, f"Only a supervisor can {what}.")


def _require_failed(refund: Refund, what: str) -> None:
    if refund.status != Refund.Status.FAILED:
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"Only a failed refund can be {what}; refund {refund.pk} is {refund.status}.",
            current_status=refund.status,
        )


def refund_retry(*, refund: Refund, actor: Actor) -> Refund:
    """A supervisor sends a failed refund to the gateway again (failed → pending).

    After a decline the old key can only ever be declined again and definitively moved
    no money, so the retry gets a new idempotency key. After `gateway_unavailable` the
    outcome of the last attempts is unknown: the key is kept, so if one of them did
    go through the gateway answers with that success instead of paying twice.
    """
    _require_supervisor(actor, "retry a refund")
    with transaction.atomic(), journal():
        refund = _refund_locked(refund.pk)
        _require_failed(refund, "retried")
        now = timezone.now()
        previous_code = refund.failure_code
        new_key = previous_code != GATEWAY_UNAVAILABLE
        if new_key:
            refund.idempotency_key = new_idempotency_key()
        refund.failure_code = ""
        refund.failure_message = ""
        refund.attempt_limit = refund.attempts + _setting("REFUND_MAX_ATTEMPTS")
        refund.next_attempt_at = now
        refund.last_enqueued_at = now
        refund_transition(
            refund=refund,
            to=Refund.Status.PENDING,
            actor=actor,
            kind=EventKind.REFUND_RETRIED,
            message=f"{actor.label} retried the {_describe(refund)} after it failed "
            f"({previous_code}); it goes to the gateway again "
            + ("with a new idempotency key." if new_key else "with the same idempotency key."),
            data={"previous_failure_code": previous_code, "new_idempotency_key": new_key},
        )
        refund_source_settle(refund, actor=actor)
        refund_enqueue_on_commit(refund.pk)
    return refund


def refund_record_manual(*, refund: Refund, reference: str, actor: Actor, note: str = "") -> Refund:
    """A supervisor records that a failed refund was paid outside the gateway
    (failed → succeeded, `manual`), with the reference of that payment."""
    _require_supervisor(actor, "record a manual refund")
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(
            ErrorCode.INVALID,
            "Give the reference of the manual refund.",
            errors={"reference": ["This field is required."]},
        )
    with transaction.atomic(), journal():
        refund = _refund_locked(refund.pk)
        _require_failed(refund, "recorded as refunded manually")
        refund.manual = True
        _refund_succeed(
            refund, reference=reference, now=timezone.now(), actor=actor, note=note.strip()
        )
    return refund


def refunds_due_again(*, now=None) -> list[int]:
    """Pending refunds that should have run by now and were not sent lately, marked as
    sent now (the caller hands them to workers: `refunds.tasks.refunds_sweep`).

    Covers a message lost by the broker, a broker that was down at commit time, and a
    worker killed mid-attempt (its claim runs out). Re-sending is harmless: a refund
    that is not due or not pending is left alone by `refund_execute`.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=_setting("REFUND_SWEEP_AFTER_SECONDS"))
    ids = list(
        Refund.objects.filter(status=Refund.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=stale))
        .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=stale))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[: _setting("REFUND_SWEEP_BATCH")]
    )
    if ids:
        Refund.objects.filter(pk__in=ids).update(last_enqueued_at=now)
    return ids

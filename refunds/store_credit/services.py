"""Writes for store credit: created in the change that owes it, issued exactly once.

Issuing follows the refund's three guards (refunds/services.py): an attempt claimed on
the locked row (pending and due, the lease held ahead for as long as a call can take),
the same idempotency key on every attempt, and the outcome recorded on the locked row
only while the credit is still pending. The issuer is called between the two
transactions, never inside one. Backoff, attempt limits and the sweep use the refund
settings (`REFUND_MAX_ATTEMPTS`, `REFUND_RETRY_*`, `REFUND_SWEEP_*`).
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.money import format_amount
from kernel.timeline import EventKind, order_event_record
from notifications.outbox import outbox_work_on_commit
from notifications.services import event_emit
from refunds.models import StoreCredit, new_store_credit_key
from refunds.services import GATEWAY_UNAVAILABLE, WORKER, _backoff_seconds, _lease, _setting
from refunds.sources import store_credit_source_field, store_credit_source_settle
from refunds.store_credit.issuers import IssueResult, issuer_for

Status = StoreCredit.Status

# The one transition table of a store credit.
ALLOWED = {
    Status.PENDING: {Status.ISSUED, Status.FAILED},
    Status.FAILED: {Status.PENDING, Status.ISSUED},
    Status.ISSUED: set(),
}

STORE_CREDIT_WORK = "store_credit_ids"


def store_credit_transition(
    *, store_credit: StoreCredit, to: str, actor: Actor, kind, message: str, data=None
) -> None:
    """Move the (locked) credit to `to`, save it and write the timeline event."""
    from_status = store_credit.status
    if to not in ALLOWED.get(from_status, ()):
        raise DomainError(
            ErrorCode.ILLEGAL_TRANSITION,
            f"A store credit that is {from_status} cannot become {to}.",
            current_status=from_status,
        )
    store_credit.status = to
    store_credit.save()
    order_event_record(
        order=store_credit.order,
        kind=kind,
        message=message,
        actor=actor,
        subject=store_credit,
        from_state=from_status,
        to_state=to,
        data=data,
    )


def _describe(credit: StoreCredit) -> str:
    return f"store credit of {format_amount(credit.amount, credit.currency)} {credit.currency}"


def store_credit_create(
    *, source, amount: Decimal, actor: Actor, bonus_amount: Decimal = Decimal(0)
) -> StoreCredit:
    """A pending store credit of `amount` (bonus included) for `source` (a registered
    store-credit source with an `order`), issued by a worker once this transaction
    commits. Call it inside the transaction that owes it."""
    if amount <= 0:
        raise ValueError(f"store credit amount must be positive, not {amount}")
    order = source.order
    now = timezone.now()
    credit = StoreCredit.objects.create(
        retailer_id=order.retailer_id,
        customer_id=order.customer_id,
        order=order,
        **{store_credit_source_field(source): source},
        amount=amount,
        bonus_amount=bonus_amount,
        currency=order.currency,
        attempt_limit=_setting("REFUND_MAX_ATTEMPTS"),
        next_attempt_at=now,
        last_enqueued_at=now,
    )
    bonus = (
        f" (a bonus of {format_amount(bonus_amount, order.currency)} included)"
        if bonus_amount
        else ""
    )
    order_event_record(
        order=order,
        kind=EventKind.STORE_CREDIT_CREATED,
        message=f"A {_describe(credit)}{bonus} was created; it goes to the issuer next.",
        actor=actor,
        subject=credit,
        to_state=Status.PENDING,
        data={"amount": format_amount(amount, order.currency)},
    )
    outbox_work_on_commit(STORE_CREDIT_WORK, [credit.pk])
    return credit


def _locked(credit_id, related=("order__customer", "retailer__branding", "customer")):
    return (
        StoreCredit.objects.select_for_update(of=("self",))
        .select_related(*related)
        .filter(pk=credit_id)
        .first()
    )


def store_credit_execute(*, store_credit_id: int) -> float | None:
    """Make one issuer attempt for a pending, due credit and record what happened.

    Safe to run any number of times, concurrently. Returns the seconds until the next
    attempt after a transient failure, or None when there is nothing more to do now.
    """
    claim = _attempt_claim(store_credit_id)
    if claim is None:
        return None
    credit, issuer = claim
    result = issuer.issue(
        customer_reference=credit.customer.external_id,
        amount=credit.amount,
        currency=credit.currency,
        idempotency_key=credit.idempotency_key,
    )
    return _attempt_record(store_credit_id, attempt=credit.attempts, result=result)


def _attempt_claim(credit_id):
    with transaction.atomic():
        credit = _locked(credit_id, related=("retailer", "customer"))
        if credit is None or credit.status != Status.PENDING:
            return None
        now = timezone.now()
        if credit.next_attempt_at is not None and credit.next_attempt_at > now:
            return None
        if credit.attempts >= credit.attempt_limit:
            credit = _locked(credit_id)
            _fail(credit, code=GATEWAY_UNAVAILABLE, message="No answer from the issuer.", now=now)
            return None
        issuer = issuer_for(credit.retailer)
        credit.attempts += 1
        credit.last_attempt_at = now
        credit.next_attempt_at = now + _lease(issuer)
        credit.save(update_fields=["attempts", "last_attempt_at", "next_attempt_at", "updated_at"])
    return credit, issuer


def _attempt_record(credit_id, *, attempt: int, result: IssueResult) -> float | None:
    with transaction.atomic():
        credit = _locked(credit_id)
        now = timezone.now()
        if credit is None or credit.status == Status.ISSUED:
            return None
        if result.succeeded:
            _issue(credit, code=result.code, now=now)
            return None
        if credit.status != Status.PENDING or credit.attempts != attempt:
            return None
        if result.outcome == "declined":
            _fail(credit, code=result.failure_code or "declined", message=result.message, now=now)
            return None
        if credit.attempts >= credit.attempt_limit:
            _fail(
                credit,
                code=GATEWAY_UNAVAILABLE,
                message=f"Gave up after {credit.attempts} attempts: {result.message}",
                now=now,
            )
            return None
        delay = _backoff_seconds(credit.attempts)
        credit.next_attempt_at = now + timedelta(seconds=delay)
        credit.failure_message = result.message
        credit.save(update_fields=["next_attempt_at", "failure_message", "updated_at"])
        order_event_record(
            order=credit.order,
            kind=EventKind.STORE_CREDIT_ATTEMPT_FAILED,
            message=f"Attempt {credit.attempts} to issue the {_describe(credit)} failed "
            f"({result.failure_code or 'error'}: {result.message}); it is tried again in "
            f"about {round(delay)} seconds.",
            actor=WORKER,
            subject=credit,
            data={"attempt": credit.attempts, "failure_code": result.failure_code},
        )
    return delay


def _issue(credit: StoreCredit, *, code: str, now, actor: Actor = WORKER) -> None:
    credit.code = code
    credit.issued_at = now
    credit.next_attempt_at = None
    credit.failure_code = ""
    credit.failure_message = ""
    store_credit_transition(
        store_credit=credit,
        to=Status.ISSUED,
        actor=actor,
        kind=EventKind.STORE_CREDIT_ISSUED,
        message=f"The {_describe(credit)} was issued after {credit.attempts} attempt(s) "
        f"(code {code}).",
        data={"code": code, "attempts": credit.attempts},
    )
    _announce(credit, "store_credit.issued", actor=actor)


def _fail(credit: StoreCredit, *, code: str, message: str, now, actor: Actor = WORKER) -> None:
    credit.failure_code = code
    credit.failure_message = message
    credit.next_attempt_at = None
    store_credit_transition(
        store_credit=credit,
        to=Status.FAILED,
        actor=actor,
        kind=EventKind.STORE_CREDIT_FAILED,
        message=f"The {_describe(credit)} failed for good after {credit.attempts} attempt(s) "
        f"({code}: {message}). A supervisor can retry it.",
        data={"failure_code": code, "attempts": credit.attempts},
    )
    _announce(credit, "store_credit.failed", actor=actor)


def _announce(credit: StoreCredit, event_type: str, *, actor: Actor) -> None:
    event_emit(
        retailer=credit.retailer, event_type=event_type, data={}, order=credit.order, subject=credit
    )
    store_credit_source_settle(credit, actor=actor)


def store_credit_retry(*, store_credit: StoreCredit, actor: Actor) -> StoreCredit:
    """A supervisor sends a failed credit to the issuer again (failed → pending).

    As for a refund: after a decline a new key (nothing was issued), after
    `gateway_unavailable` the same key (an attempt may have gone through).
    """
    if not actor.is_supervisor:
        raise DomainError(ErrorCode.PERMISSION_DENIED, "Only a supervisor can retry store credit.")
    with transaction.atomic():
        credit = _locked(store_credit.pk)
        if credit.status != Status.FAILED:
            raise DomainError(
                ErrorCode.ILLEGAL_TRANSITION,
                f"Only failed store credit can be retried; this one is {credit.status}.",
                current_status=credit.status,
            )
        now = timezone.now()
        previous = credit.failure_code
        if previous != GATEWAY_UNAVAILABLE:
            credit.idempotency_key = new_store_credit_key()
        credit.failure_code = ""
        credit.failure_message = ""
        credit.attempt_limit = credit.attempts + _setting("REFUND_MAX_ATTEMPTS")
        credit.next_attempt_at = now
        credit.last_enqueued_at = now
        store_credit_transition(
            store_credit=credit,
            to=Status.PENDING,
            actor=actor,
            kind=EventKind.STORE_CREDIT_RETRIED,
            message=f"{actor.label} retried the {_describe(credit)} after it failed ({previous}).",
            data={"previous_failure_code": previous},
        )
        store_credit_source_settle(credit, actor=actor)
        outbox_work_on_commit(STORE_CREDIT_WORK, [credit.pk])
    return credit


def store_credits_due_again(*, now=None) -> list[int]:
    """Pending credits that should have been issued by now and were not sent lately,
    marked as sent now (the caller hands them to workers). Covers a lost message, a
    broker down at commit time and a worker killed mid-attempt."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=_setting("REFUND_SWEEP_AFTER_SECONDS"))
    ids = list(
        StoreCredit.objects.filter(status=Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=stale))
        .filter(Q(last_enqueued_at__isnull=True) | Q(last_enqueued_at__lte=stale))
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[: _setting("REFUND_SWEEP_BATCH")]
    )
    if ids:
        StoreCredit.objects.filter(pk__in=ids).update(last_enqueued_at=now)
    return ids

"""Asking the warehouse to stop or go on, exactly like the outbox sends a webhook:
a row written in the deciding transaction, claimed in a short transaction, the adapter
called outside any transaction, the outcome recorded in another. A warehouse answering
at once (`accepted`, `rejected`) is passed to whoever registered for answers (the
cancellations app: `fulfillment_answer_register`), in the recording transaction.
"""

import logging
import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from kernel.actors import Actor
from kernel.journal import journal
from kernel.timeline import EventKind, order_event_record
from notifications.outbox import outbox_work_on_commit
from orders.fulfillment import StopRequest, fulfillment_for
from orders.models import FulfillmentRequest

log = logging.getLogger(__name__)

WORK = "fulfillment_request_ids"
WORKER = Actor.worker("fulfilment worker")
MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600
LEASE = timedelta(minutes=2)

Status = FulfillmentRequest.Status

_answer_handler: Callable[..., None] | None = None


def fulfillment_answer_register(handler: Callable[..., None]) -> None:
    """`handler(*, request, accepted, message, actor)` hears a warehouse's immediate answer
    to a stop request, in the transaction that records it."""
    global _answer_handler
    _answer_handler = handler


def fulfillment_request_create(
    *, order, kind: str, lines: list[dict], message: str, actor: Actor, cancellation=None
) -> FulfillmentRequest:
    """Write the request in the caller's transaction; a worker sends it after commit."""
    earlier = None
    if kind == FulfillmentRequest.Kind.RESUME and cancellation is not None:
        earlier = (
            FulfillmentRequest.objects.filter(
                cancellation=cancellation, kind=FulfillmentRequest.Kind.STOP
            )
            .order_by("-pk")
            .first()
        )
    request = FulfillmentRequest.objects.create(
        retailer_id=order.retailer_id,
        order=order,
        cancellation=cancellation,
        kind=kind,
        adapter=order.retailer.fulfillment,
        lines=lines,
        message=message,
        references=list(earlier.references) if earlier else [],
        next_attempt_at=timezone.now(),
    )
    order_event_record(
        order=order,
        kind=EventKind.FULFILLMENT_STOP_REQUESTED
        if kind == FulfillmentRequest.Kind.STOP
        else EventKind.FULFILLMENT_RESUME_SENT,
        message=(
            "The warehouse is asked to stop: "
            + ", ".join(f"{line['quantity']} x {line['sku']}" for line in lines)
            + "."
            if kind == FulfillmentRequest.Kind.STOP
            else "The warehouse is told to go on: the cancellation was withdrawn."
        ),
        actor=actor,
        subject=request,
        data={"adapter": request.adapter, "lines": lines},
    )
    outbox_work_on_commit(WORK, [request.pk])
    return request


def _claim(request_id):
    now = timezone.now()
    with transaction.atomic():
        request = (
            FulfillmentRequest.objects.select_for_update(of=("self",))
            .select_related("order", "retailer")
            .filter(pk=request_id)
            .first()
        )
        if request is None or request.status != Status.PENDING:
            return None
        if request.next_attempt_at and request.next_attempt_at > now:
            return None
        if request.claimed_at and request.claimed_at > now - LEASE:
            return None  # another worker is on it
        request.attempts += 1
        request.claimed_at = now
        request.save(update_fields=["attempts", "claimed_at", "updated_at"])
        return request


def fulfillment_request_send(*, request_id: int) -> None:
    """One attempt to tell the warehouse; safe to run twice or concurrently."""
    request = _claim(request_id)
    if request is None:
        return
    adapter = fulfillment_for(request.retailer)
    stop = StopRequest(
        retailer=request.retailer,
        order_external_id=request.order.external_id,
        lines=tuple(request.lines),
        message=request.message,
        warehouse=(request.lines[0].get("warehouse", "") if request.lines else ""),
        request_key=f"rescind-fulfillment-{request.pk}",
        references=tuple(request.references),
    )
    if request.kind == FulfillmentRequest.Kind.STOP:
        result = adapter.stop(stop)
    else:
        result = adapter.resume(stop)
    _record(request.pk, attempt=request.attempts, result=result)


def _record(request_id, *, attempt, result) -> None:
    with transaction.atomic(), journal():
        request = (
            FulfillmentRequest.objects.select_for_update(of=("self",))
            .select_related("order", "retailer")
            .get(pk=request_id)
        )
        if request.status != Status.PENDING or request.attempts != attempt:
            return
        request.claimed_at = None
        if result.references:
            request.references = list(result.references)
        if result.outcome == "transient" and request.attempts < MAX_ATTEMPTS:
            delay = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (request.attempts - 1))
            request.next_attempt_at = timezone.now() + timedelta(
                seconds=delay / 2 + random.uniform(0, delay / 2)
            )
            request.last_error = result.message
            request.save()
            return
        if result.outcome in ("transient", "failed"):
            request.status = Status.FAILED
            request.last_error = result.message
            request.next_attempt_at = None
            request.save()
            order_event_record(
                order=request.order,
                kind=EventKind.FULFILLMENT_REQUEST_FAILED,
                message=f"The warehouse could not be told ({result.message}); a person should "
                "call it.",
                actor=WORKER,
                subject=request,
                data={"attempts": request.attempts},
            )
            return
        request.status = {
            "submitted": Status.SUBMITTED,
            "accepted": Status.ACCEPTED,
            "rejected": Status.REJECTED,
        }[result.outcome]
        request.answer_message = result.message
        request.next_attempt_at = None
        request.save()
        if request.kind == FulfillmentRequest.Kind.STOP:
            order_event_record(
                order=request.order,
                kind=EventKind.FULFILLMENT_STOP_SENT,
                message={
                    "submitted": "The warehouse was asked to stop; its answer comes later.",
                    "accepted": "The warehouse stopped the order at once.",
                    "rejected": "The warehouse could not stop the order.",
                }[result.outcome]
                + (f" ({result.message})" if result.message else ""),
                actor=WORKER,
                subject=request,
                data={"references": request.references},
            )
            if result.outcome in ("accepted", "rejected") and _answer_handler is not None:
                _answer_handler(
                    request=request,
                    accepted=result.outcome == "accepted",
                    message=result.message,
                    actor=Actor.worker(f"{request.adapter} warehouse"),
                )


def fulfillment_requests_send(request_ids) -> None:
    """Send several requests one after the other (the after-commit work)."""
    for request_id in request_ids:
        try:
            fulfillment_request_send(request_id=request_id)
        except Exception:
            log.exception("fulfilment request %s failed; left to the sweep", request_id)


def fulfillment_requests_due(*, now=None) -> list[int]:
    now = now or timezone.now()
    return list(
        FulfillmentRequest.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:200]
    )


def fulfillment_request_by_reference(*, retailer, reference: str) -> FulfillmentRequest | None:
    """The latest stop request that named this warehouse reference (a Shopify fulfilment
    order id), for the warehouse's webhook answering it."""
    for request in FulfillmentRequest.objects.filter(
        retailer=retailer, kind=FulfillmentRequest.Kind.STOP
    ).order_by("-pk")[:500]:
        if reference in (request.references or []):
            return request
    return None

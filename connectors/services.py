"""Shopify deliveries: stored at once by the endpoint, applied once by workers.

Exactly once, whatever Shopify repeats:
1. Receiving: one row per delivery, whatever arrives (the same event id, else the same
   webhook id, is refused by unique constraints: ten copies at once leave one row).
2. Applying: the row is locked, checked pending, applied and marked in one
   transaction; a second worker waits on the lock and then finds it applied. Nothing
   in applying calls Shopify: it only writes our own rows.
3. Ordering: every delivery about one order first locks that order's version row
   (`ShopifyOrderVersion`), and an `orders/*` body older (`updated_at`) than the one
   applied is marked `stale` instead of applied.
A failure rolls the attempt back and is retried with backoff; a body that cannot be read
stays `unparseable` (or `failed` after the last attempt) for a person, in admin.
"""

import json
import logging
import random
from datetime import timedelta

from django.db import IntegrityError, OperationalError, transaction
from django.utils import timezone

from connectors.models import ShopifyDelivery
from connectors.shopify import topics
from kernel.errors import DomainError
from kernel.journal import after_commit

log = logging.getLogger(__name__)

DELIVERY_WORK = "shopify_delivery_ids"
TOPICS = topics.HANDLERS
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_CAP_SECONDS = 3600

Status = ShopifyDelivery.Status


def delivery_receive(
    *, connection, topic, webhook_id, event_id="", api_version="", triggered_at="", body: bytes
) -> tuple[ShopifyDelivery, bool]:
    """Store a verified delivery, once. Returns (delivery, created); a copy of one seen
    before returns the first with created False and changes nothing."""
    retailer = connection.retailer
    dedupe_key = f"event:{event_id}" if event_id else f"webhook:{webhook_id}"
    status, outcome = Status.PENDING, ""
    try:
        json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        status, outcome = Status.UNPARSEABLE, f"The body is not JSON ({error})."
    try:
        with transaction.atomic():
            delivery = ShopifyDelivery.objects.create(
                retailer=retailer,
                shop_domain=connection.shop_domain,
                topic=topic,
                webhook_id=webhook_id[:100],
                event_id=event_id[:100],
                dedupe_key=dedupe_key[:120],
                api_version=api_version[:16],
                triggered_at=triggered_at[:64],
                body=body,
                status=status,
                outcome=outcome,
                next_attempt_at=timezone.now() if status == Status.PENDING else None,
                processed_at=None if status == Status.PENDING else timezone.now(),
            )
    except IntegrityError:
        first = (
            ShopifyDelivery.objects.filter(retailer=retailer, dedupe_key=dedupe_key).first()
            or ShopifyDelivery.objects.filter(retailer=retailer, webhook_id=webhook_id).first()
        )
        if first is None:  # the other insert has not committed: it will, or it failed
            raise
        return first, False
    if status == Status.PENDING:
        after_commit(**{DELIVERY_WORK: [delivery.pk]})
    return delivery, True


def _backoff(attempts: int) -> timedelta:
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** (attempts - 1))
    return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))


def delivery_process(*, delivery_id: int) -> str | None:
    """Apply one delivery if it is pending and due; returns its status after, or None
    when there was nothing to do. Safe to run any number of times, concurrently."""
    try:
        with transaction.atomic():
            delivery = (
                ShopifyDelivery.objects.select_for_update(of=("self",))
                .select_related("retailer")
                .filter(pk=delivery_id)
                .first()
            )
            if delivery is None or delivery.status != Status.PENDING:
                return None
            if delivery.next_attempt_at and delivery.next_attempt_at > timezone.now():
                return None
            delivery.attempts += 1
            try:
                payload = json.loads(bytes(delivery.body))
            except (ValueError, UnicodeDecodeError) as error:
                result = topics.Result(Status.UNPARSEABLE, f"The body is not JSON ({error}).")
            else:
                try:
                    result = TOPICS[delivery.topic](delivery, payload)
                except topics.Unusable as error:
                    result = topics.Result(error.status, str(error))
                except DomainError as error:
                    # Our rules refused what Shopify says (a line with cancelled units
                    # removed...): nothing changes by itself, so a person looks.
                    result = topics.Result(Status.FAILED, f"{error.code}: {error.detail}")
            delivery.status = result.status
            delivery.outcome = result.outcome
            delivery.resource_id = result.resource_id or delivery.resource_id
            delivery.order_external_id = result.order or delivery.order_external_id
            delivery.processed_at = timezone.now()
            delivery.next_attempt_at = None
            delivery.save()
            return delivery.status
    except (topics.NotYet, OperationalError, IntegrityError) as error:
        return _retry_later(delivery_id, error)
    except Exception as error:
        log.exception("shopify delivery %s failed", delivery_id)
        return _retry_later(delivery_id, error)


def _retry_later(delivery_id: int, error: Exception) -> str | None:
    """The attempt rolled back: count it and try again later (or give up, for a person)."""
    with transaction.atomic():
        delivery = (
            ShopifyDelivery.objects.select_for_update(of=("self",)).filter(pk=delivery_id).first()
        )
        if delivery is None or delivery.status != Status.PENDING:
            return None
        delivery.attempts += 1
        delivery.outcome = f"{type(error).__name__}: {error}"[:2000]
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Status.FAILED
            delivery.next_attempt_at = None
            delivery.processed_at = timezone.now()
        else:
            delivery.next_attempt_at = timezone.now() + _backoff(delivery.attempts)
        delivery.save()
        return delivery.status


def deliveries_process(delivery_ids) -> None:
    """Apply several deliveries one after the other (the after-commit work, the sweep)."""
    for delivery_id in delivery_ids:
        delivery_process(delivery_id=delivery_id)


def deliveries_due(*, now=None, limit: int = 200) -> list[int]:
    now = now or timezone.now()
    return list(
        ShopifyDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def delivery_retry(*, delivery) -> None:
    """A person sends a failed or unparseable delivery through again (admin)."""
    ShopifyDelivery.objects.filter(
        pk=delivery.pk, status__in=(Status.FAILED, Status.UNPARSEABLE, Status.STALE)
    ).update(status=Status.PENDING, next_attempt_at=timezone.now(), attempts=0)

"""Telling customers and retailers' systems: the one entry point other apps call.

`event_emit` writes outbox rows inside the caller's transaction; `notifications.sending`
sends them from workers. Endpoint registration, redelivery and opt-outs live here too.
"""

import secrets
import uuid
from email.utils import formataddr, parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from config.errors import DomainError, ErrorCode
from notifications.context import branding_context
from notifications.events import (
    CALLER_WORDED,
    CUSTOMER_MESSAGES,
    EVENT_TYPES,
    SUPERSEDES_RECEIVED,
)
from notifications.models import (
    Channel,
    CustomerPreference,
    EndpointHealth,
    Notification,
    WebhookDelivery,
)
from notifications.outbox import outbox_publish_on_commit
from notifications.payloads import event_body, event_data, jsonable
from notifications.webhook_client import AddressRefused, resolve_target
from retailers.models import WebhookEndpoint

MAX_ENDPOINTS_PER_RETAILER = 16


def event_emit(*, retailer, event_type: str, data: dict, order=None, subject=None) -> None:
    """Record that `event_type` happened, inside the caller's transaction.

    Writes the outbox rows for it: one webhook delivery per active endpoint of the
    retailer that wants the event, and the customer message(s) the event calls for.
    They are handed to workers on commit, so a rolled-back change sends nothing.

    Event types: cancellation.created, cancellation.awaiting_customer,
    cancellation.approved, cancellation.rejected, cancellation.escalated,
    cancellation.in_review, cancellation.return_required, cancellation.withdrawn,
    cancellation.completed, refund.succeeded, refund.failed, inventory.adjusted.
    `subject` is the CancellationRequest, Refund or StockLevel the event is about.
    """
    if order is None:
        order = _order_of(subject)
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = event_body(
        event_id=event_id,
        event_type=event_type,
        created_at=now,
        data=event_data(subject=subject, data=data),
    )
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(retailer=retailer, is_active=True)
        if endpoint.wants(event_type)
    ]
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            retailer=retailer,
            endpoint=endpoint,
            order=order,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )
    notification = _customer_message_write(
        retailer=retailer,
        event_type=event_type,
        order=order,
        subject=subject,
        data=jsonable(data or {}),
        event_id=event_id,
    )
    outbox_publish_on_commit(
        notification_ids=[notification.pk] if notification else [],
        delivery_ids=[delivery.pk for delivery in deliveries],
    )


def _order_of(subject):
    if subject is None:
        return None
    for path in ("order", "cancellation.order", "payment.order"):
        value = subject
        for name in path.split("."):
            value = getattr(value, name, None)
        if value is not None:
            return value
    return None


def _dedupe_key(event_type: str, subject, order, channel: str) -> str:
    if subject is None:
        subject_key = f"order:{order.pk}"
    else:
        subject_key = f"{subject._meta.model_name}:{subject.pk}"
        # A refund retried by a supervisor gets a new idempotency key: its outcome is
        # news again, while a replay of the same attempt is not.
        attempt = getattr(subject, "idempotency_key", "")
        if attempt:
            subject_key += f":{attempt}"
    return f"{event_type}:{subject_key}:{channel}"[:200]


def _recipient(customer) -> tuple[str, str] | None:
    if customer.email:
        return Channel.EMAIL, customer.email
    if customer.phone:
        return Channel.SMS, customer.phone
    return None


def _sender(retailer) -> str:
    brand = branding_context(retailer)
    _name, default_address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((brand["name"], brand["sender_email"] or default_address))


def _customer_message_write(
    *, retailer, event_type, order, subject, data, event_id
) -> Notification | None:
    message = CUSTOMER_MESSAGES.get(event_type)
    if message is None or order is None:
        return None
    customer = order.customer
    target = _recipient(customer)
    if target is None:
        return None
    channel, recipient = target
    dedupe_key = _dedupe_key(event_type, subject, order, channel)
    if event_type in CALLER_WORDED:
        dedupe_key = f"{event_type}:{event_id}:{channel}"
    if Notification.objects.filter(dedupe_key=dedupe_key).exists():
        return None  # this event was already told: never two messages for one event

    status, why = Notification.Status.PENDING, ""
    if not message.essential and _opted_out(customer):
        status, why = Notification.Status.SUPPRESSED, "The customer opted out of this message."

    if event_type in SUPERSEDES_RECEIVED and subject is not None:
        _received_message_supersede(subject)
    try:
        with transaction.atomic():
            return Notification.objects.create(
                retailer=retailer,
                order=order,
                customer=customer,
                event_type=event_type,
                channel=channel,
                recipient=recipient,
                language=customer.language or "en",
                sender=_sender(retailer) if channel == Channel.EMAIL else "",
                essential=message.essential,
                status=status,
                last_error=why,
                dedupe_key=dedupe_key,
                subject_type=subject._meta.model_name if subject is not None else "order",
                subject_id=subject.pk if subject is not None else order.pk,
                data=data,
            )
    except IntegrityError:
        return None  # a concurrent emit of the same event won the dedupe key


def _opted_out(customer) -> bool:
    # Through the one-to-one accessor, cached on the customer instance: a change that
    # tells the customer several things reads the preference once.
    try:
        return customer.message_preference.opted_out
    except CustomerPreference.DoesNotExist:
        return False


def _received_message_supersede(subject) -> None:
    # A request decided the moment it arrives would otherwise tell the customer twice
    # in the same minute ("received", then "approved"); the decision says it all. A
    # "received" message already sent, or being sent, is left alone.
    # Found by its dedupe key, which the unique index answers. "Not sent, failed or
    # suppressed" rather than "pending": a condition implying status = 'pending' lets the
    # planner pick the partial index of pending messages, which with stale statistics
    # and an outbox backlog means filtering every pending row (35 ms at 100k).
    keys = [
        _dedupe_key("cancellation.created", subject, None, channel) for channel in Channel.values
    ]
    settled = [status for status in Notification.Status.values if status != "pending"]
    Notification.objects.filter(
        dedupe_key__in=keys,
        event_type="cancellation.created",
        subject_type=subject._meta.model_name,
        subject_id=subject.pk,
        claimed_at__isnull=True,
    ).exclude(status__in=settled).update(
        status=Notification.Status.SUPPRESSED,
        last_error="Superseded by the decision message sent in the same change.",
        updated_at=timezone.now(),
    )


# --- Webhook endpoints -------------------------------------------------------------------


def webhook_url_check(url: str) -> None:
    """Refuse a URL whose host resolves to an address webhooks may not target."""
    try:
        resolve_target(url)
    except AddressRefused as exc:
        raise DomainError(
            ErrorCode.INVALID, f"The webhook URL is not allowed: {exc}", errors={"url": [str(exc)]}
        ) from exc


def webhook_endpoint_create(*, retailer, url: str, events=()) -> WebhookEndpoint:
    """Register an endpoint with a new signing secret (returned once, to show once)."""
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise DomainError(
            ErrorCode.INVALID,
            f"Unknown event type(s): {', '.join(unknown)}.",
            errors={"events": [f"Unknown event type: {name}." for name in unknown]},
        )
    webhook_url_check(url)
    with transaction.atomic():
        count = WebhookEndpoint.objects.filter(retailer=retailer).count()
        if count >= MAX_ENDPOINTS_PER_RETAILER:
            raise DomainError(
                ErrorCode.INVALID,
                f"A retailer may have at most {MAX_ENDPOINTS_PER_RETAILER} webhook endpoints.",
                errors={"url": ["Too many endpoints; delete one first."]},
            )
        endpoint = WebhookEndpoint.objects.create(
            retailer=retailer,
            url=url,
            secret="whsec_" + secrets.token_urlsafe(32),
            events=sorted(set(events)),
        )
        EndpointHealth.objects.create(endpoint=endpoint)
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Stop sending to an endpoint; its undelivered events go with it."""
    endpoint.delete()


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> None:
    """Switch a disabled endpoint back on with clean failure counters."""
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True, disabled_reason="")
        EndpointHealth.objects.update_or_create(
            endpoint=endpoint,
            defaults={"consecutive_failures": 0, "failing_since": None, "disabled_at": None},
        )


def webhook_redeliver(*, delivery: WebhookDelivery) -> bool:
    """Send a delivery again (same event id, so receivers can tell it is a repeat).

    Returns False when its endpoint is switched off: enable the endpoint first.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .get(pk=delivery.pk)
        )
        if not delivery.endpoint.is_active:
            return False
        delivery.status = WebhookDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.claimed_at = None
        delivery.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at"])
        outbox_publish_on_commit(delivery_ids=[delivery.pk])
    return True


def customer_preference_set(*, customer, opted_out: bool, note: str = "") -> CustomerPreference:
    """Opt a customer out of (or back into) non-essential messages."""
    preference, _ = CustomerPreference.objects.update_or_create(
        customer=customer, defaults={"opted_out": opted_out, "note": note}
    )
    return preference


def notification_retry(*, notification: Notification) -> bool:
    """Send a failed message again (admin). Returns False when it was not failed."""
    with transaction.atomic():
        updated = Notification.objects.filter(
            pk=notification.pk, status=Notification.Status.FAILED
        ).update(
            status=Notification.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claimed_at=None,
            updated_at=timezone.now(),
        )
        if updated:
            outbox_publish_on_commit(notification_ids=[notification.pk])
    return bool(updated)

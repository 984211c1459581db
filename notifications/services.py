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

from kernel.errors import DomainError, ErrorCode
from kernel.journal import journal_append, journal_current
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


def event_emit(
    *, retailer, event_type: str, data: dict, order=None, subject=None, tell_customer=True
) -> None:
    """Record that `event_type` happened, inside the caller's transaction.

    Writes the outbox rows for it: one webhook delivery per active endpoint of the
    retailer that wants the event, and the customer message(s) the event calls for.
    They are handed to workers on commit, so a rolled-back change sends nothing. Inside
    a journal (kernel.journal) the rows of every event of the change are written
    together when it ends, and the retailer's endpoints are read once.

    Event types: cancellation.created, cancellation.awaiting_customer,
    cancellation.approved, cancellation.rejected, cancellation.escalated,
    cancellation.in_review, cancellation.return_required, cancellation.withdrawn,
    cancellation.completed, refund.succeeded, refund.failed, inventory.adjusted.
    `subject` is the object the event is about (a registered subject). `tell_customer`
    False sends the webhooks only: another message of the same change says it all.
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
    for endpoint in _active_endpoints(retailer):
        if endpoint.wants(event_type):
            journal_append(
                _outbox_write,
                WebhookDelivery(
                    retailer=retailer,
                    endpoint=endpoint,
                    order=order,
                    event_id=event_id,
                    event_type=event_type,
                    payload=payload,
                    next_attempt_at=now,
                ),
            )
    if not tell_customer:
        return
    notification = _customer_message(
        retailer=retailer,
        event_type=event_type,
        order=order,
        subject=subject,
        data=jsonable(data or {}),
        event_id=event_id,
    )
    if notification is not None:
        journal_append(_outbox_write, notification)


def _active_endpoints(retailer) -> list[WebhookEndpoint]:
    def read():
        return list(WebhookEndpoint.objects.filter(retailer=retailer, is_active=True))

    current = journal_current()
    return read() if current is None else current.memo(("webhook endpoints", retailer.pk), read)


def _outbox_write(rows: list) -> None:
    """Insert the deliveries and messages of a change and hand them to workers on commit."""
    deliveries = [row for row in rows if isinstance(row, WebhookDelivery)]
    messages = [row for row in rows if isinstance(row, Notification)]
    WebhookDelivery.objects.bulk_create(deliveries)
    try:
        if messages:
            with transaction.atomic():
                Notification.objects.bulk_create(messages)
    except IntegrityError:
        # A concurrent change told one of these events first (the dedupe key is unique):
        # keep the others, one at a time.
        messages = [message for message in messages if _message_insert(message)]
    outbox_publish_on_commit(
        notification_ids=[message.pk for message in messages],
        delivery_ids=[delivery.pk for delivery in deliveries],
    )


def _message_insert(message: Notification) -> bool:
    try:
        with transaction.atomic():
            message.save(force_insert=True)
    except IntegrityError:
        return False
    return True


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


def _customer_message(
    *, retailer, event_type, order, subject, data, event_id
) -> Notification | None:
    """The (unsaved) message `event_type` calls for, or None: none is due, or it was
    already told (never two messages for one event)."""
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
    current = journal_current()
    pending = current.rows(_outbox_write) if current is not None else []
    if any(getattr(row, "dedupe_key", None) == dedupe_key for row in pending):
        return None
    if event_type in SUPERSEDES_RECEIVED and subject is not None:
        _received_message_supersede(subject, pending)
    # An event an earlier change already told is dropped when the rows are written: the
    # dedupe key is unique (see _outbox_write).

    status, why = Notification.Status.PENDING, ""
    if not message.essential and _opted_out(customer):
        status, why = Notification.Status.SUPPRESSED, "The customer opted out of this message."
    return Notification(
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


def _opted_out(customer) -> bool:
    # Through the one-to-one accessor, cached on the customer instance: a change that
    # tells the customer several things reads the preference once.
    try:
        return customer.message_preference.opted_out
    except CustomerPreference.DoesNotExist:
        return False


def _received_message_supersede(subject, pending: list) -> None:
    # A request decided the moment it arrives would otherwise tell the customer twice
    # in the same minute ("received", then "approved"); the decision says it all. A
    # "received" message already sent, or being sent, is left alone. Written in this
    # same change (a journal's pending rows), it is simply never written.
    keys = {
        _dedupe_key("cancellation.created", subject, None, channel) for channel in Channel.values
    }
    unwritten = [row for row in pending if getattr(row, "dedupe_key", None) in keys]
    if unwritten:
        for row in unwritten:
            pending.remove(row)
        return
    # Found by its dedupe key, which the unique index answers. "Not sent, failed or
    # suppressed" rather than "pending": a condition implying status = 'pending' lets the
    # planner pick the partial index of pending messages, which with stale statistics
    # and an outbox backlog means filtering every pending row (35 ms at 100k).
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

"""Sending outbox rows, exactly once: claim in one short transaction, send outside any
transaction, record the result in another.

A row is claimed by locking it, checking it is still pending and due and not held by
another worker, and stamping `claimed_at`. A task delivered twice finds the row claimed
or already sent and does nothing. A worker that dies mid-send leaves a stale claim; after
the claim's lease (`claim_lease`) the sweep may try again (e-mail carries a stable
Message-ID and webhooks a stable event id, so the rare repeat can be recognised
downstream).
"""

import logging
import random
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from kernel.actors import Actor
from kernel.timeline import EventKind, order_event_record
from notifications import webhook_client
from notifications.channels import PermanentFailure, TransientFailure, channel_send
from notifications.context import branding_context, message_context
from notifications.events import ENDPOINT_DISABLED
from notifications.links import preferences_url
from notifications.models import (
    Channel,
    EndpointHealth,
    Notification,
    WebhookAttempt,
    WebhookDelivery,
)
from notifications.outbox import outbox_publish_on_commit
from notifications.payloads import body_bytes
from notifications.rendering import message_render
from notifications.subjects import subject_for

log = logging.getLogger(__name__)


def claim_lease() -> timedelta:
    """How long a worker's claim on a row holds before the sweep may send it again: longer
    than any send can take (SMTP and webhook timeouts are seconds), short enough that a
    row whose worker died is not late for long. OUTBOX_CLAIM_LEASE_SECONDS (600)."""
    return timedelta(seconds=settings.OUTBOX_CLAIM_LEASE_SECONDS)


# Seconds to wait after the n-th failed attempt of a customer message.
MESSAGE_BACKOFF = (60, 300, 1800, 7200)
# Webhooks: 8 attempts spread over about 27 hours (at least 24 even with jitter).
WEBHOOK_BACKOFF = (60, 300, 1800, 7200, 18000, 36000, 36000)
WORKER = Actor.worker("notifications")


def _setting(name, default):
    return getattr(settings, name, default)


def webhook_retry_delay(attempts: int) -> timedelta | None:
    """The wait after `attempts` failed attempts, or None when it is time to give up."""
    if attempts > len(WEBHOOK_BACKOFF):
        return None
    base = WEBHOOK_BACKOFF[attempts - 1]
    return timedelta(seconds=base * random.uniform(0.9, 1.1))  # jitter spreads a stampede


def _claim(model, pk, prepare=None, related=(), fields=None):
    """Lock the row, and claim it when pending, due and not held; else None.

    `prepare(row)` runs under the lock before the claim is saved (it may fill fields).
    `related` are read in the same statement (only the row itself is locked); `fields`
    are the ones the claim and `prepare` may change (all when None).
    """
    now = timezone.now()
    with transaction.atomic():
        rows = model.objects.select_for_update(of=("self",))
        if related:
            rows = rows.select_related(*related)
        row = rows.filter(pk=pk).first()
        if row is None or row.status != model.Status.PENDING or row.next_attempt_at > now:
            return None
        if row.claimed_at and row.claimed_at > now - claim_lease():
            return None  # another worker is sending it right now
        row.attempts += 1
        row.claimed_at = now
        if prepare is not None:
            prepare(row)
        row.save(update_fields=fields)
        return row


def _subject_load(notification):
    registered = subject_for(notification.subject_type)
    if registered is None or notification.subject_id is None:
        return None
    rows = apps.get_model(registered.model).objects.filter(pk=notification.subject_id)
    if registered.related:
        rows = rows.select_related(*registered.related)
    subject = rows.first()
    # The message's order is the subject's order: read once, not once per path to it.
    order = notification.order if notification.order_id else None
    if subject is not None and order is not None:
        related = {path.split("__")[0] for path in registered.related}
        holders = [subject, *(_cached(subject, name) for name in sorted(related))]
        for holder in holders:
            if holder is not None and getattr(holder, "order_id", None) == order.pk:
                holder.order = order
    return subject


def _cached(instance, name):
    """A related object already loaded on `instance` (by select_related), else None."""
    try:
        return instance._state.fields_cache.get(name)
    except AttributeError:
        return None


def _render(notification) -> None:
    """Render a customer message from its subject as it stands now, once.

    Rendering waits for the send (not the event) so that a message reflects the whole
    change that committed: an approval names the refunds created after the approval
    step of the same transaction. Retries send the very text rendered the first time.
    """
    if notification.body_text:
        return
    subject = _subject_load(notification)
    language = notification.language or "en"
    context = message_context(
        event_type=notification.event_type,
        retailer=notification.retailer,
        order=notification.order,
        customer=notification.customer,
        subject=subject,
        language=language,
    )
    context["message"] = {
        "subject": str(notification.data.get("subject", "")),
        "body": str(notification.data.get("body", "")),
    }
    if notification.customer_id and not notification.essential:
        context["preferences_url"] = preferences_url(notification.customer)
    rendered = message_render(
        retailer=notification.retailer,
        event_type=notification.event_type,
        channel=notification.channel,
        language=language,
        context=context,
    )
    notification.subject = rendered.subject[:300]
    notification.body_text = rendered.text
    notification.body_html = rendered.html
    notification.language = rendered.language


# --- customer (and retailer) messages ----------------------------------------------------

# Read with the claim: everything rendering and sending a message asks of its row.
MESSAGE_RELATED = ("retailer__branding", "order", "customer")
# What claiming and rendering a message change (the rest, its JSON data above all, is
# not written again).
MESSAGE_CLAIMED = (
    "attempts",
    "claimed_at",
    "subject",
    "body_text",
    "body_html",
    "language",
    "status",
    "last_error",
    "updated_at",
)


def notification_send(*, notification_id: int) -> str:
    """Send one message if it is still pending; returns what happened.

    "sent", "retry" (a transient failure, next attempt scheduled), "failed" (for good),
    or "skipped" (already sent, not yet due, or held by another worker).
    """
    render_error = []

    def prepare(notification):
        try:
            _render(notification)
        except Exception as exc:  # a bug or a broken template: record it, do not loop
            log.exception("rendering notification %s failed", notification.pk)
            render_error.append(f"Rendering failed: {exc.__class__.__name__}: {exc}")
            notification.status = Notification.Status.FAILED
            notification.last_error = render_error[0]
            notification.claimed_at = None

    notification = _claim(
        Notification, notification_id, prepare, related=MESSAGE_RELATED, fields=MESSAGE_CLAIMED
    )
    if notification is None:
        return "skipped"
    if render_error:
        return "failed"
    error, permanent = "", False
    try:
        channel_send(notification)
    except PermanentFailure as exc:
        error, permanent = str(exc), True
    except TransientFailure as exc:
        error = str(exc)
    except Exception as exc:  # an unknown adapter error: treat as transient, keep the trace
        log.exception("sending notification %s failed", notification_id)
        error = f"{exc.__class__.__name__}: {exc}"

    now = timezone.now()
    changes = {"claimed_at": None, "updated_at": now}
    if not error:
        changes.update(status=Notification.Status.SENT, sent_at=now, last_error="")
        outcome = "sent"
    elif permanent or notification.attempts > len(MESSAGE_BACKOFF):
        changes.update(status=Notification.Status.FAILED, last_error=error)
        outcome = "failed"
    else:
        wait = MESSAGE_BACKOFF[notification.attempts - 1]
        changes.update(next_attempt_at=now + timedelta(seconds=wait), last_error=error)
        outcome = "retry"
    with transaction.atomic():
        # Our claim holds the row (nobody else changes a claimed message), so the result
        # is written by id in one statement; none updated: its order was deleted while
        # we were sending.
        if not Notification.objects.filter(pk=notification_id).update(**changes):
            return "skipped"
        for name, value in changes.items():
            setattr(notification, name, value)
        if outcome != "retry" and notification.order_id:
            _timeline_record(notification, outcome)
    return outcome


def _timeline_record(notification, outcome: str) -> None:
    medium = "E-mail" if notification.channel == Channel.EMAIL else "SMS"
    if outcome == "sent":
        message = f"{medium} “{notification.subject}” sent to {notification.recipient}."
    else:
        message = (
            f"{medium} “{notification.subject}” to {notification.recipient} could not be sent "
            f"after {notification.attempts} attempt(s): {notification.last_error}"
        )
    order_event_record(
        order=notification.order,
        kind=EventKind(f"notification.{outcome}"),
        message=message,
        actor=WORKER,
        subject=notification,
        data={"event_type": notification.event_type, "attempts": notification.attempts},
    )


# --- batches -----------------------------------------------------------------------------


def outbox_send(*, notification_ids=(), delivery_ids=()) -> dict:
    """Send several rows one after the other; returns how many ended how.

    Rows already gone (a rolled-back savepoint, a deleted order), already sent or held
    by another worker are skipped. Messages are claimed, sent and recorded one by one;
    webhook deliveries are claimed together, then posted and recorded one by one. A
    batch cut short leaves the rest pending (or claimed until their lease runs out) for
    the sweep, and a row that fails unexpectedly does not stop the others.
    """
    outcomes: dict[str, int] = {}
    results = []
    if delivery_ids:
        try:
            results += webhooks_deliver(delivery_ids=delivery_ids)
        except Exception:  # the claim itself failed (the database): nothing was claimed
            log.exception("delivering %s failed; the sweep will try again", delivery_ids)
            results.append("error")
    for pk in notification_ids:
        try:
            results.append(notification_send(notification_id=pk))
        except Exception:
            log.exception("sending notification %s failed; the sweep will try again", pk)
            results.append("error")
    for outcome in results:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- webhooks ----------------------------------------------------------------------------


def webhook_deliver(*, delivery_id: int) -> str:
    """POST one delivery if still pending; returns "delivered", "retry", "failed" or "skipped"."""
    return webhooks_deliver(delivery_ids=[delivery_id])[0]


def webhooks_deliver(*, delivery_ids) -> list[str]:
    """POST several deliveries one after the other; returns each one's outcome, in order.

    They are claimed together (one lock, one update), then each is posted and its
    result recorded on its own, so a batch cut short leaves the rest claimed until
    their lease runs out, when the sweep sends them.
    """
    claimed = _deliveries_claim(delivery_ids)
    outcomes = []
    for pk in delivery_ids:
        if pk not in claimed:
            outcomes.append("skipped")
            continue
        try:
            outcomes.append(_delivery_send(claimed.pop(pk)))
        except Exception:  # a bug: the row stays claimed, the sweep retries it after the lease
            log.exception("delivering webhook %s failed", pk)
            outcomes.append("error")
    return outcomes


def _deliveries_claim(delivery_ids) -> dict[int, WebhookDelivery]:
    """Lock the deliveries and claim those pending, due and not held by another worker."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk__in=list(delivery_ids))
            .order_by("pk")  # one lock order: two batches never wait on each other in a ring
        )
        due = [
            row
            for row in rows
            if row.status == WebhookDelivery.Status.PENDING
            and row.next_attempt_at <= now
            and not (row.claimed_at and row.claimed_at > now - claim_lease())
        ]
        if due:
            WebhookDelivery.objects.filter(pk__in=[row.pk for row in due]).update(
                attempts=F("attempts") + 1, claimed_at=now, updated_at=now
            )
        for row in due:
            row.attempts += 1
            row.claimed_at = now
    return {row.pk: row for row in due}


def _delivery_send(delivery) -> str:
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        with transaction.atomic():
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=WebhookDelivery.Status.FAILED,
                claimed_at=None,
                last_error="The endpoint is switched off.",
                updated_at=timezone.now(),
            )
        return "failed"

    body = body_bytes(delivery.payload)
    result = webhook_client.post(
        url=endpoint.url,
        body=body,
        headers={
            "Rescind-Signature": webhook_client.signature_header(endpoint.secret, body),
            "Rescind-Event-Id": str(delivery.event_id),
            "Rescind-Event-Type": delivery.event_type,
            "Rescind-Delivery-Attempt": str(delivery.attempts),
        },
    )

    now = timezone.now()
    changes = {
        "claimed_at": None,
        "response_status": result.status,
        "latency_ms": result.latency_ms,
        "last_error": result.error,
        "updated_at": now,
    }
    if result.ok:
        changes.update(status=WebhookDelivery.Status.DELIVERED, delivered_at=now)
        outcome = "delivered"
    else:
        wait = webhook_retry_delay(delivery.attempts)
        if wait is None:
            changes["status"] = WebhookDelivery.Status.FAILED
            outcome = "failed"
        else:
            changes["next_attempt_at"] = now + wait
            outcome = "retry"
    with transaction.atomic():
        # Our claim holds the row: the result is written by id in one statement. None
        # updated: the endpoint (and its deliveries) was deleted while we were posting.
        if not WebhookDelivery.objects.filter(pk=delivery.pk).update(**changes):
            return "skipped"
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            url=endpoint.url,
            response_status=result.status,
            latency_ms=result.latency_ms,
            error=result.error,
            response_excerpt=result.excerpt,
            succeeded=result.ok,
        )
        _endpoint_health_record(endpoint=endpoint, ok=result.ok, error=result.error, now=now)
    return outcome


def _health_for_update(endpoint) -> EndpointHealth:
    health = EndpointHealth.objects.select_for_update().filter(endpoint=endpoint).first()
    if health is not None:
        return health
    try:
        with transaction.atomic():
            EndpointHealth.objects.get_or_create(endpoint=endpoint)
    except IntegrityError:
        pass  # created by a concurrent worker a moment ago
    return EndpointHealth.objects.select_for_update().get(endpoint=endpoint)


def _endpoint_health_record(*, endpoint, ok: bool, error: str, now) -> None:
    """Count failures in a row; switch the endpoint off after sustained failure."""
    if ok:
        # One statement on the usual path (the UPDATE locks the row itself); the row is
        # created first only for an endpoint that never had one.
        updated = EndpointHealth.objects.filter(endpoint=endpoint).update(
            consecutive_failures=0, failing_since=None, last_success_at=now
        )
        if not updated:
            health = _health_for_update(endpoint)
            health.consecutive_failures = 0
            health.failing_since = None
            health.last_success_at = now
            health.save()
        return
    health = _health_for_update(endpoint)
    health.consecutive_failures += 1
    health.failing_since = health.failing_since or now
    health.last_failure_at = now
    hours = _setting("WEBHOOKS_DISABLE_AFTER_HOURS", 24)
    limit = _setting("WEBHOOKS_DISABLE_AFTER_FAILURES", 500)
    failing_for = now - health.failing_since
    sustained = failing_for >= timedelta(hours=hours) and health.consecutive_failures >= 3
    if sustained or health.consecutive_failures >= limit:
        if sustained:
            reason = (
                f"every delivery failed for {failing_for.total_seconds() / 3600:.0f} hours "
                f"({health.consecutive_failures} attempts in a row)."
            )
        else:
            reason = f"{health.consecutive_failures} delivery attempts in a row failed."
        health.disabled_at = now
        health.save()
        _endpoint_disable(endpoint=endpoint, reason=reason, last_error=error, now=now)
    else:
        health.save()


def _endpoint_disable(*, endpoint, reason: str, last_error: str, now) -> None:
    type(endpoint).objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_reason=reason[:200]
    )
    endpoint.is_active, endpoint.disabled_reason = False, reason[:200]
    WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDelivery.Status.PENDING).update(
        status=WebhookDelivery.Status.FAILED,
        last_error="The endpoint was switched off after sustained failure.",
        updated_at=now,
    )
    log.warning("webhook endpoint %s disabled: %s", endpoint.pk, reason)
    notice = _retailer_notice_write(endpoint=endpoint, last_error=last_error, now=now)
    if notice is not None:
        outbox_publish_on_commit(notification_ids=[notice.pk])


def _retailer_notice_write(*, endpoint, last_error: str, now) -> Notification | None:
    retailer = endpoint.retailer
    brand = branding_context(retailer)
    if not brand["contact_email"]:
        log.warning("retailer %s has no contact e-mail to tell", retailer.slug)
        return None
    context = {
        "brand": brand,
        "endpoint": {
            "url": endpoint.url,
            "disabled_reason": endpoint.disabled_reason,
            "last_error": last_error,
        },
    }
    rendered = message_render(
        retailer=retailer,
        event_type=ENDPOINT_DISABLED,
        channel=Channel.EMAIL,
        language="en",
        context=context,
    )
    return Notification.objects.create(
        retailer=retailer,
        event_type=ENDPOINT_DISABLED,
        channel=Channel.EMAIL,
        recipient=brand["contact_email"],
        subject=rendered.subject[:300],
        body_text=rendered.text,
        body_html=rendered.html,
        sender=settings.DEFAULT_FROM_EMAIL,
        essential=True,
        dedupe_key=f"{ENDPOINT_DISABLED}:{endpoint.pk}:{now.isoformat()}"[:200],
        subject_type="webhookendpoint",
        subject_id=endpoint.pk,
    )

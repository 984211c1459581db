"""Webhook delivery to a real HTTP server on 127.0.0.1: signatures, retries, backoff,
disabling, redirects and SSRF refusal."""

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from cancellations.models import CancellationRequest
from notifications import sending, tasks
from notifications.models import EndpointHealth, WebhookAttempt, WebhookDelivery
from notifications.sending import WEBHOOK_BACKOFF
from notifications.services import event_emit, webhook_endpoint_create, webhook_redeliver
from notifications.webhook_client import AddressRefused, resolve_target

pytestmark = pytest.mark.django_db


def verify(secret: str, header: str, raw_body: bytes, tolerance: int = 300) -> bool:
    """How a retailer checks `Rescind-Signature`, written from the spec alone."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + raw_body, hashlib.sha256
    ).hexdigest()
    return abs(time.time() - timestamp) <= tolerance and hmac.compare_digest(expected, fields["v1"])


@pytest.fixture
def cancellation(make_order):
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    WebhookDelivery.objects.all().delete()  # the order's own stock event is not under test
    return CancellationRequest.objects.create(
        retailer=order.retailer, order=order, reason="changed_mind"
    )


@pytest.fixture
def emit(cancellation, django_capture_on_commit_callbacks):
    """Emit `cancellation.created` and return its (still pending) delivery rows."""

    def fire(event_type="cancellation.created"):
        with django_capture_on_commit_callbacks(execute=False):
            event_emit(
                retailer=cancellation.retailer,
                event_type=event_type,
                data={},
                subject=cancellation,
            )
        return list(WebhookDelivery.objects.filter(event_type=event_type).order_by("-id"))

    return fire


def _due(delivery):
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


def test_every_change_is_posted_signed_with_the_spec_body(
    endpoint, receiver, make_order, submit, django_capture_on_commit_callbacks
):
    # Given an endpoint for every event, and an order
    make_order(lines=(("l1", "TEE", 2, "24.00"),), shipping="5.00")
    receiver.requests.clear()

    # When the storefront cancels it and it is approved and refunded
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_id = submit(channel="storefront").json()["id"]

    # Then each event arrived once, with a signature an independent check accepts
    types = [json.loads(r["body"])["type"] for r in receiver.requests]
    for expected in (
        "cancellation.created",
        "cancellation.approved",
        "inventory.adjusted",
        "refund.succeeded",
        "cancellation.completed",
    ):
        assert types.count(expected) == 1, types
    for request in receiver.requests:
        assert verify(endpoint.secret, request["headers"]["Rescind-Signature"], request["body"])
        assert request["headers"]["Content-Type"] == "application/json"
    approved = next(
        json.loads(r["body"]) for r in receiver.requests if b"cancellation.approved" in r["body"]
    )
    assert set(approved) == {"id", "type", "created_at", "data"}
    data = approved["data"]
    assert data["id"] == cancellation_id
    assert data["order"] == "ord-1"
    assert (data["status"], data["reason"], data["channel"]) == (
        "approved",
        "changed_mind",
        "storefront",
    )
    assert (data["refund_total"], data["currency"]) == ("53.00", "USD")
    assert data["decision"]["rule"] == "auto_approved"
    assert data["decision"]["policy_version"] == 1
    refund = next(
        json.loads(r["body"])["data"] for r in receiver.requests if b"refund.succeeded" in r["body"]
    )
    assert refund["payment"] == "p1"
    assert (refund["amount"], refund["status"], refund["cancellation"]) == (
        "53.00",
        "succeeded",
        cancellation_id,
    )
    stock = next(
        json.loads(r["body"])["data"]
        for r in receiver.requests
        if b"inventory.adjusted" in r["body"]
    )
    assert stock["sku"] == "TEE"
    assert stock["movement"] == {"kind": "release", "quantity": 2}
    assert stock["reserved"] == 0

    # And every delivery is recorded delivered with its attempt log
    delivered = WebhookDelivery.objects.filter(status="delivered", endpoint=endpoint)
    assert delivered.count() == len(receiver.requests)
    attempt = WebhookAttempt.objects.filter(delivery__in=delivered).first()
    assert attempt.response_status == 200
    assert attempt.latency_ms is not None


def test_a_tampered_body_fails_the_signature_check(endpoint, receiver, emit):
    [delivery] = emit()
    sending.webhook_deliver(delivery_id=delivery.pk)
    [request] = receiver.requests
    header = request["headers"]["Rescind-Signature"]
    assert verify(endpoint.secret, header, request["body"])
    assert not verify(endpoint.secret, header, request["body"].replace(b"created", b"approved"))
    assert not verify("whsec_wrong", header, request["body"])


def test_an_endpoint_gets_only_the_events_it_asked_for(retailer, receiver, emit):
    webhook_endpoint_create(retailer=retailer, url=receiver.url, events=["refund.succeeded"])
    assert emit("cancellation.created") == []
    assert len(emit("refund.succeeded")) == 1


def test_a_duplicate_task_posts_once(endpoint, receiver, emit):
    [delivery] = emit()
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "delivered"
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_server_errors_are_retried_with_backoff_until_delivered(endpoint, receiver, emit):
    # Given a receiver that fails twice, then recovers
    receiver.responses = [(500, {}), (503, {})]
    [delivery] = emit()

    # When the first attempt fails: the next waits about a minute
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "retry"
    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 50 <= wait <= 66
    assert (delivery.status, delivery.response_status, delivery.last_error) == (
        "pending",
        500,
        "HTTP 500",
    )
    assert tasks.sweep_pending_webhooks() == 0  # not due yet

    # And the second waits about five minutes
    _due(delivery)
    assert tasks.sweep_pending_webhooks() == 1
    delivery.refresh_from_db()
    wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
    assert 265 <= wait <= 330

    # When it is due again, the receiver answers 200
    _due(delivery)
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "delivered"

    # Then the same event (same id, same bytes) arrived three times, each attempt logged
    bodies = {r["body"] for r in receiver.requests}
    assert len(receiver.requests) == 3 and len(bodies) == 1
    assert {r["headers"]["Rescind-Event-Id"] for r in receiver.requests} == {str(delivery.event_id)}
    assert [r["headers"]["Rescind-Delivery-Attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert list(delivery.log.values_list("response_status", flat=True)) == [500, 503, 200]
    health = EndpointHealth.objects.get(endpoint=endpoint)
    assert (health.consecutive_failures, health.failing_since) == (0, None)


def test_retries_are_spread_over_more_than_a_day_then_given_up(endpoint, receiver, emit):
    # Given a receiver that always fails
    receiver.default = (500, {})
    [delivery] = emit()

    # When every attempt is made as soon as it is due
    waits = []
    for _ in range(len(WEBHOOK_BACKOFF) + 1):
        _due(delivery)
        outcome = sending.webhook_deliver(delivery_id=delivery.pk)
        delivery.refresh_from_db()
        if outcome == "retry":
            waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())

    # Then the waits follow the schedule (give or take the 10% jitter), add up to more
    # than 24 hours, and it gives up after the last one
    assert len(waits) == len(WEBHOOK_BACKOFF) == 7
    for wait, planned in zip(waits, WEBHOOK_BACKOFF, strict=True):
        assert planned * 0.9 - 5 <= wait <= planned * 1.1
    assert tuple(sorted(WEBHOOK_BACKOFF)) == WEBHOOK_BACKOFF
    assert sum(waits) > 24 * 3600
    assert (delivery.status, delivery.attempts) == ("failed", 8)
    assert len(receiver.requests) == 8


def test_an_endpoint_failing_for_a_day_is_switched_off_and_the_retailer_told(
    endpoint, receiver, emit, branding, django_capture_on_commit_callbacks
):
    # Given an endpoint whose deliveries have all failed for 25 hours
    receiver.default = (500, {})
    EndpointHealth.objects.filter(endpoint=endpoint).update(
        consecutive_failures=6, failing_since=timezone.now() - timedelta(hours=25)
    )
    [first] = emit()
    [second] = emit("cancellation.approved")

    # When one more attempt fails
    with django_capture_on_commit_callbacks(execute=True):
        sending.webhook_deliver(delivery_id=first.pk)

    # Then the endpoint is off, with a reason, and its waiting deliveries are failed
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert "every delivery failed for 25 hours (7 attempts in a row)" in endpoint.disabled_reason
    second.refresh_from_db()
    assert second.status == "failed"
    assert sending.webhook_deliver(delivery_id=second.pk) == "skipped"
    assert len(receiver.requests) == 1

    # And the retailer's contact got an e-mail saying what to do
    [notice] = mail.outbox
    assert notice.to == ["ops@acme.example"]
    assert receiver.url in notice.subject
    assert "HTTP 500" in notice.body
    assert "switch it back on" in notice.body


@override_settings(WEBHOOKS_DISABLE_AFTER_FAILURES=3)
def test_an_endpoint_is_switched_off_after_n_failures_in_a_row(endpoint, receiver, emit):
    receiver.default = (500, {})
    deliveries = [emit()[0] for _ in range(3)]
    for delivery in deliveries:
        sending.webhook_deliver(delivery_id=delivery.pk)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_reason == "3 delivery attempts in a row failed."
    emit()
    assert WebhookDelivery.objects.count() == 3  # a switched-off endpoint gets no new ones


def test_redirects_are_not_followed(endpoint, receiver, emit):
    receiver.responses = [(302, {"Location": receiver.url.replace("/hooks/", "/elsewhere/")})]
    [delivery] = emit()

    assert sending.webhook_deliver(delivery_id=delivery.pk) == "retry"

    assert [r["path"] for r in receiver.requests] == ["/hooks/rescind"]
    delivery.refresh_from_db()
    assert delivery.response_status == 302
    assert "redirect" in delivery.last_error and "not followed" in delivery.last_error


@override_settings(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=False)
def test_private_targets_are_refused_without_a_connection(endpoint, receiver, emit):
    # Given an endpoint on loopback, and a deployment that does not allow private targets
    [delivery] = emit()

    # When the delivery is attempted
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "retry"

    # Then nothing reached the server and the attempt says why
    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_status is None
    assert "refused" in attempt.error and "127.0.0.1" in attempt.error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://172.16.0.9/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[fe80::1]/hook",
        "http://0.0.0.0/hook",
        "http://224.0.0.1/hook",
        "http://100.64.0.1/hook",
        "ftp://93.184.215.14/hook",
    ],
)
def test_ssrf_targets_are_refused_when_private_addresses_are_off(url):
    with pytest.raises(AddressRefused):
        resolve_target(url, allow_private=False)


def test_a_public_address_is_allowed():
    assert resolve_target("https://93.184.215.14/hook", allow_private=False) == "93.184.215.14"


def test_manual_redelivery_sends_the_same_event_again(
    endpoint, receiver, emit, django_capture_on_commit_callbacks
):
    [delivery] = emit()
    sending.webhook_deliver(delivery_id=delivery.pk)

    with django_capture_on_commit_callbacks(execute=True):
        assert webhook_redeliver(delivery=delivery)

    first, second = receiver.requests
    assert first["headers"]["Rescind-Event-Id"] == second["headers"]["Rescind-Event-Id"]
    assert first["body"] == second["body"]
    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert delivery.log.count() == 2


def test_a_disabled_endpoint_is_not_redelivered_to(endpoint, receiver, emit):
    [delivery] = emit()
    endpoint.is_active = False
    endpoint.save()
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "failed"
    assert webhook_redeliver(delivery=delivery) is False
    assert receiver.requests == []


@override_settings(WEBHOOKS_TIMEOUT_SECONDS=0.3)
def test_a_slow_receiver_times_out_and_is_retried(endpoint, receiver, emit):
    receiver.delay = 1.0
    [delivery] = emit()

    started = time.monotonic()
    assert sending.webhook_deliver(delivery_id=delivery.pk) == "retry"

    assert time.monotonic() - started < 1.0
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_status is None
    assert attempt.error.startswith("timeout")

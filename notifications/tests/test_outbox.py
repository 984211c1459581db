"""The outbox: nothing sent for a rolled-back change, nothing lost when the broker is
down, nothing sent twice when a task runs twice; retries, opt-outs, languages."""

import smtplib
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from cancellations.models import CancellationRequest
from kernel.journal import journal
from notifications import channels, sending, tasks
from notifications.models import MessageTemplate, Notification, WebhookDelivery
from notifications.services import customer_preference_set, event_emit
from orders.models import Customer, OrderEvent

pytestmark = pytest.mark.django_db


class FailingBackend(BaseEmailBackend):
    """An SMTP server that is down (transient) or refuses the address (permanent)."""

    error = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, messages):
        raise FailingBackend.error


@pytest.fixture
def awaiting(make_order, submit, django_capture_on_commit_callbacks):
    """A phone request awaiting the customer; its message is written but not yet sent."""
    make_order(lines=(("l1", "TEE", 1, "24.00"),))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert submit(channel="phone").json()["status"] == "awaiting_customer"
    assert callbacks, "the outbox rows are handed to workers on commit"
    return Notification.objects.get(event_type="cancellation.awaiting_customer")


def test_a_task_delivered_twice_sends_once(awaiting):
    # Given a pending message
    # When its task runs twice (a duplicate delivery from the broker)
    first = sending.notification_send(notification_id=awaiting.pk)
    second = sending.notification_send(notification_id=awaiting.pk)

    # Then one e-mail left, one attempt counted, one line on the timeline
    assert (first, second) == ("sent", "skipped")
    assert len(mail.outbox) == 1
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.attempts) == ("sent", 1)
    assert awaiting.sent_at is not None
    assert OrderEvent.objects.filter(kind="notification.sent").count() == 1


def test_a_message_held_by_another_worker_is_left_alone_until_its_claim_is_stale(awaiting):
    # Given another worker claimed the message a moment ago (it is sending it now)
    Notification.objects.filter(pk=awaiting.pk).update(claimed_at=timezone.now())

    # Then a second worker does nothing, and the sweep does not pick it up
    assert sending.notification_send(notification_id=awaiting.pk) == "skipped"
    assert tasks.sweep_pending_messages() == 0
    assert mail.outbox == []

    # When that worker died and its claim went stale, the sweep sends it
    Notification.objects.filter(pk=awaiting.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=11)
    )
    assert tasks.sweep_pending_messages() == 1
    assert len(mail.outbox) == 1


def test_a_rolled_back_change_sends_nothing(make_order, django_capture_on_commit_callbacks):
    # Given an order
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    cancellation = CancellationRequest.objects.create(
        retailer=order.retailer, order=order, reason="changed_mind"
    )

    # When the change that emits the event rolls back
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        event_emit(
            retailer=order.retailer,
            event_type="cancellation.rejected",
            data={},
            subject=cancellation,
        )
        raise RuntimeError("the decision failed half-way")

    # Then no row stays, nothing is handed to a worker, nothing is sent
    assert callbacks == []
    assert Notification.objects.count() == 0
    assert mail.outbox == []


def test_broker_down_at_commit_keeps_the_message_and_the_sweep_sends_it(
    make_order, submit, monkeypatch, django_capture_on_commit_callbacks
):
    # Given the broker refuses connections
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(tasks.send_outbox, "delay", broker_down)
    make_order(lines=(("l1", "TEE", 1, "24.00"),))

    # When a request is made: the web request still succeeds
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(channel="phone")
    assert response.status_code == 201

    # Then the message waits, pending, and nothing was sent
    pending = Notification.objects.get(event_type="cancellation.awaiting_customer")
    assert pending.status == "pending"
    assert mail.outbox == []

    # When the broker is back and the sweep runs, it is sent once
    monkeypatch.undo()
    assert tasks.sweep_pending_messages() == 1
    assert tasks.sweep_pending_messages() == 0
    assert len(mail.outbox) == 1


@override_settings(EMAIL_BACKEND="notifications.tests.test_outbox.FailingBackend")
def test_a_transient_smtp_failure_is_retried_with_backoff_then_given_up(awaiting):
    # When the SMTP server is down
    assert sending.notification_send(notification_id=awaiting.pk) == "retry"

    # Then the message waits a minute before the next try, with the error kept
    awaiting.refresh_from_db()
    assert awaiting.status == "pending"
    assert "SMTPServerDisconnected" in awaiting.last_error
    wait = awaiting.next_attempt_at - timezone.now()
    assert timedelta(seconds=55) < wait <= timedelta(seconds=60)
    assert sending.notification_send(notification_id=awaiting.pk) == "skipped"  # not due yet

    # When every later try fails too (each run when due)
    outcomes = []
    for _ in range(4):
        Notification.objects.filter(pk=awaiting.pk).update(next_attempt_at=timezone.now())
        outcomes.append(sending.notification_send(notification_id=awaiting.pk))

    # Then it is failed for good after 5 attempts, and the timeline says so
    assert outcomes == ["retry", "retry", "retry", "failed"]
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.attempts) == ("failed", 5)
    event = OrderEvent.objects.get(kind="notification.failed")
    assert "could not be sent after 5 attempt(s)" in event.message


@override_settings(EMAIL_BACKEND="notifications.tests.test_outbox.FailingBackend")
def test_a_refused_address_fails_at_once(awaiting, monkeypatch):
    monkeypatch.setattr(
        FailingBackend, "error", smtplib.SMTPRecipientsRefused({"x": (550, b"no such user")})
    )
    assert sending.notification_send(notification_id=awaiting.pk) == "failed"
    awaiting.refresh_from_db()
    assert (awaiting.status, awaiting.attempts) == ("failed", 1)


def test_an_opted_out_customer_still_gets_the_essential_messages(
    make_order, submit, django_capture_on_commit_callbacks
):
    # Given a customer who opted out of non-essential messages
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    customer_preference_set(customer=order.customer, opted_out=True, note="asked by phone")

    # When a request is approved and refunded
    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="storefront")

    # Then the approval is suppressed (and kept, for the record) but the refund is told
    assert Notification.objects.get(event_type="cancellation.approved").status == "suppressed"
    assert [m.subject for m in mail.outbox] == ["Your refund of $29.00 is on its way"]


def test_the_same_event_never_produces_two_messages(make_order, django_capture_on_commit_callbacks):
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    cancellation = CancellationRequest.objects.create(
        retailer=order.retailer, order=order, reason="changed_mind", status="rejected"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(2):
            event_emit(
                retailer=order.retailer,
                event_type="cancellation.rejected",
                data={},
                subject=cancellation,
            )
    assert Notification.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_customer_without_email_gets_an_sms_through_the_sandbox(
    make_order, submit, django_capture_on_commit_callbacks
):
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    Customer.objects.filter(pk=order.customer_id).update(email="", phone="+15550100")
    channels.sms_outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="phone")

    assert mail.outbox == []
    [sms] = channels.sms_outbox
    assert sms["to"] == "+15550100"
    assert "please confirm the cancellation of order ord-1 ($29.00)" in sms["text"]
    assert "/c/" in sms["text"]
    assert Notification.objects.get(event_type="cancellation.awaiting_customer").channel == "sms"


def test_customer_language_uses_the_retailers_translation_else_english(
    retailer, make_order, submit, django_capture_on_commit_callbacks
):
    # Given the retailer translated the approval into French only
    MessageTemplate.objects.create(
        retailer=retailer,
        event_type="cancellation.approved",
        language="fr",
        subject="Annulation de la commande {{ order.external_id }} acceptée",
        text="Bonjour {{ customer.first_name }}, remboursement : {{ cancellation.refund_total }}.",
    )
    order = make_order("ord-fr", lines=(("l1", "TEE", 1, "24.00"),), customer="fr-1")
    Customer.objects.filter(pk=order.customer_id).update(language="fr")
    order = make_order("ord-de", lines=(("l1", "TEE", 1, "24.00"),), customer="de-1")
    Customer.objects.filter(pk=order.customer_id).update(language="de")

    with django_capture_on_commit_callbacks(execute=True):
        submit(order="ord-fr", channel="storefront")
        submit(order="ord-de", channel="storefront")

    french = next(
        m for m in mail.outbox if m.to == ["fr-1@shoppers.example"] and "ord-fr" in m.subject
    )
    assert french.subject == "Annulation de la commande ord-fr acceptée"
    assert "remboursement : 29,00\xa0$US" in french.body
    assert (
        Notification.objects.get(
            event_type="cancellation.approved", order__external_id="ord-fr"
        ).language
        == "fr"
    )
    german = Notification.objects.get(
        event_type="cancellation.approved", order__external_id="ord-de"
    )
    assert german.language == "en"
    assert german.subject == "Your cancellation of order ord-de is approved"


def test_a_broken_override_falls_back_to_the_default(
    retailer, make_order, submit, django_capture_on_commit_callbacks
):
    # Given a retailer override with a template syntax error
    MessageTemplate.objects.create(
        retailer=retailer,
        event_type="cancellation.approved",
        subject="{% if %}broken",
        text="{% if %}",
    )
    make_order(lines=(("l1", "TEE", 1, "24.00"),))

    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="storefront")

    # Then the customer still hears, in the shipped wording
    approved = Notification.objects.get(event_type="cancellation.approved")
    assert approved.status == "sent"
    assert approved.subject == "Your cancellation of order ord-1 is approved"


def test_retailer_override_wins_over_a_product_wide_one(
    retailer, other_retailer, make_order, submit, django_capture_on_commit_callbacks
):
    MessageTemplate.objects.create(
        event_type="cancellation.approved", subject="Product-wide", text="Product-wide body"
    )
    MessageTemplate.objects.create(
        retailer=retailer,
        event_type="cancellation.approved",
        subject="Acme says yes to {{ order.external_id }}",
        text="Acme body",
        html="<p>Acme <b>{{ customer.name }}</b></p>",
    )
    make_order(lines=(("l1", "TEE", 1, "24.00"),))

    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="storefront")

    approved = Notification.objects.get(event_type="cancellation.approved")
    assert approved.subject == "Acme says yes to ord-1"
    assert approved.body_html == "<p>Acme <b>Pat Shopper</b></p>"


# --- one task per commit ------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    """The send_outbox tasks handed to the broker, as (notification ids, delivery ids);
    each still runs (eagerly) as a worker would."""
    calls = []
    real = tasks.send_outbox.delay

    def spy(notification_ids, delivery_ids):
        calls.append((list(notification_ids), list(delivery_ids)))
        return real(notification_ids, delivery_ids)

    monkeypatch.setattr(tasks.send_outbox, "delay", spy)
    return calls


def _emit(order, event_type, cancellation):
    event_emit(
        retailer=order.retailer, event_type=event_type, data={}, subject=cancellation, order=order
    )


def _two_requests(order):
    return [
        CancellationRequest.objects.create(
            retailer=order.retailer, order=order, reason="changed_mind", status="rejected"
        )
        for _ in range(2)
    ]


@pytest.mark.django_db(transaction=True)
def test_one_change_hands_every_row_to_one_task(make_order, published, retailer, receiver):
    # Given an endpoint for every event, and an order
    from notifications.services import webhook_endpoint_create

    webhook_endpoint_create(retailer=retailer, url=receiver.url)
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    first, second = _two_requests(order)
    published.clear()
    receiver.requests.clear()
    mail.outbox.clear()

    # When one change (a transaction with its journal, as every service opens) emits two
    # events (two messages' worth of rows)
    with transaction.atomic(), journal():
        _emit(order, "cancellation.rejected", first)
        _emit(order, "cancellation.rejected", second)

    # Then one task carried every row, and each was sent once
    assert len(published) == 1
    notification_ids, delivery_ids = published[0]
    assert sorted(notification_ids) == sorted(Notification.objects.values_list("pk", flat=True))
    assert len(notification_ids) == 2 and len(delivery_ids) == 2
    assert len(mail.outbox) == 2
    assert len(receiver.requests) == 2
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}

    # And the next change gets a task of its own
    with transaction.atomic(), journal():
        _emit(order, "inventory.adjusted", None)
    assert len(published) == 2
    assert published[1][0] == [] and len(published[1][1]) == 1


@pytest.mark.django_db(transaction=True)
def test_rows_of_a_rolled_back_savepoint_are_not_sent(make_order, published):
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    published.clear()
    kept = CancellationRequest.objects.create(
        retailer=order.retailer, order=order, reason="changed_mind", status="rejected"
    )
    dropped = CancellationRequest.objects.create(
        retailer=order.retailer, order=order, reason="changed_mind", status="withdrawn"
    )

    # When a transaction emits, then emits more inside a savepoint that rolls back
    with transaction.atomic():
        _emit(order, "cancellation.rejected", kept)
        try:
            with transaction.atomic():
                _emit(order, "cancellation.withdrawn", dropped)
                raise RuntimeError("this step failed")
        except RuntimeError:
            pass

    # Then the surviving message is sent once; the rolled-back one, whose id may ride
    # along in the same task, is found gone and skipped
    assert len(published) == 1
    assert [m.subject for m in mail.outbox] == [
        Notification.objects.get(event_type="cancellation.rejected").subject
    ]
    assert not Notification.objects.filter(event_type="cancellation.withdrawn").exists()


@pytest.mark.django_db(transaction=True)
def test_a_batch_written_only_inside_a_rolled_back_savepoint_is_never_published(
    make_order, published, retailer, receiver
):
    from notifications.services import webhook_endpoint_create

    webhook_endpoint_create(retailer=retailer, url=receiver.url)
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    published.clear()
    receiver.requests.clear()
    earlier = list(WebhookDelivery.objects.values_list("pk", flat=True))
    cancellation = CancellationRequest.objects.create(
        retailer=order.retailer, order=order, reason="changed_mind", status="rejected"
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                _emit(order, "cancellation.rejected", cancellation)
                raise RuntimeError("this step failed")
        except RuntimeError:
            pass
        # a later write in the same transaction starts a new batch
        _emit(order, "inventory.adjusted", None)

    # Then only the later write's row was published, and nothing rolled back was sent
    delivery = WebhookDelivery.objects.exclude(pk__in=earlier).get()
    assert delivery.event_type == "inventory.adjusted"
    assert published == [([], [delivery.pk])]
    assert mail.outbox == []
    assert Notification.objects.count() == 0
    assert len(receiver.requests) == 1


def test_a_task_naming_rows_that_are_gone_returns_quietly():
    assert tasks.send_outbox([10**9], [10**9 + 1]) == {"skipped": 2}


def test_a_batch_cut_short_loses_nothing_and_sends_nothing_twice(
    make_order, monkeypatch, django_capture_on_commit_callbacks
):
    # Given two pending messages written by one change
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    with django_capture_on_commit_callbacks(execute=False):
        for cancellation in _two_requests(order):
            _emit(order, "cancellation.rejected", cancellation)
    first, second = Notification.objects.order_by("pk")

    # When the worker dies while sending the second (after claiming it)
    real = channels.channel_send

    def dies_on_second(notification):
        if notification.pk == second.pk:
            raise SystemExit("worker killed")
        return real(notification)

    monkeypatch.setattr("notifications.sending.channel_send", dies_on_second)
    with pytest.raises(SystemExit):
        tasks.send_outbox([first.pk, second.pk], [])
    monkeypatch.undo()

    # Then the first was sent once; the second waits, claimed, for its lease to run out
    assert len(mail.outbox) == 1
    assert tasks.sweep_pending_messages() == 0
    Notification.objects.filter(pk=second.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=11)
    )

    # And the broker redelivering the whole batch, then the sweep, send it once more only
    tasks.send_outbox([first.pk, second.pk], [])
    assert tasks.sweep_pending_messages() == 0
    assert len(mail.outbox) == 2
    assert {n.status for n in Notification.objects.all()} == {"sent"}


def test_webhooks_of_a_batch_cut_short_are_sent_after_the_lease_once_each(
    make_order, endpoint, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    from notifications import webhook_client

    # Given three deliveries written by one change
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    WebhookDelivery.objects.all().delete()  # the order's own, not this test's
    receiver.requests.clear()
    with django_capture_on_commit_callbacks(execute=False):
        for cancellation in _two_requests(order):
            _emit(order, "cancellation.rejected", cancellation)
        _emit(order, "inventory.adjusted", None)
    ids = list(
        WebhookDelivery.objects.filter(status="pending").order_by("pk").values_list("pk", flat=True)
    )
    assert len(ids) == 3

    # When the worker dies while posting the second
    real = webhook_client.post
    posted = []

    def dies_on_second(**kwargs):
        posted.append(kwargs)
        if len(posted) == 2:
            raise SystemExit("worker killed")
        return real(**kwargs)

    monkeypatch.setattr(webhook_client, "post", dies_on_second)
    with pytest.raises(SystemExit):
        tasks.send_outbox([], ids)
    monkeypatch.undo()

    # Then the first was delivered; the other two wait, claimed, and nothing re-sends them
    # before their lease runs out
    assert len(receiver.requests) == 1
    assert tasks.sweep_pending_webhooks() == 0
    assert tasks.send_outbox([], ids) == {"skipped": 3}

    # When the lease has run out, the sweep delivers each of them once
    WebhookDelivery.objects.filter(pk__in=ids[1:]).update(
        claimed_at=timezone.now() - timedelta(minutes=11)
    )
    assert tasks.sweep_pending_webhooks() == 2
    assert len(receiver.requests) == 3
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert sorted(WebhookDelivery.objects.values_list("attempts", flat=True)) == [1, 2, 2]

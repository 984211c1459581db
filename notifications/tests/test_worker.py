"""Exactly once with real workers: PostgreSQL + Redis, a worker process, and a real
HTTP receiver on loopback."""

import json
import logging

import pytest

from notifications import tasks
from notifications.models import Notification, WebhookDelivery
from refunds.models import Refund
from tests.celery_worker import broker_idle, broker_unreachable, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def _all_settled():
    pending_messages = Notification.objects.filter(status="pending").exists()
    pending_hooks = WebhookDelivery.objects.filter(status="pending").exists()
    return not pending_messages and not pending_hooks


def test_a_cancellation_tells_the_customer_and_the_retailer_once(
    celery_worker, live_celery, endpoint, receiver, make_order, submit
):
    # Given an order, and an endpoint listening for every event
    make_order(lines=(("l1", "TEE", 2, "24.00"),), shipping="5.00")

    # When the storefront cancels it: refunds, messages and webhooks go through the worker
    assert submit(channel="storefront").status_code == 201
    wait_until(
        lambda: not Refund.objects.filter(status="pending").exists() and _all_settled(),
        timeout=30,
        message="the refund did not settle or the outbox did not drain",
    )

    # Then each message was sent with one attempt, and each event POSTed once
    sent = Notification.objects.filter(status="sent")
    assert set(sent.values_list("event_type", flat=True)) == {
        "cancellation.approved",
        "refund.succeeded",
    }
    assert set(sent.values_list("attempts", flat=True)) == {1}
    assert WebhookDelivery.objects.exclude(status="delivered").count() == 0
    ids = [json.loads(r["body"])["id"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == WebhookDelivery.objects.count()
    assert "refund.succeeded" in {json.loads(r["body"])["type"] for r in receiver.requests}


def test_tasks_delivered_twice_send_once(
    celery_workers, live_celery, endpoint, receiver, make_order, submit, django_db_blocker
):
    # Given a message and a delivery written while no worker runs
    make_order(lines=(("l1", "TEE", 1, "24.00"),))
    WebhookDelivery.objects.all().delete()
    with broker_unreachable(live_celery):
        submit(channel="phone")
    notification = Notification.objects.get(event_type="cancellation.awaiting_customer")
    delivery = WebhookDelivery.objects.get(event_type="cancellation.awaiting_customer")
    WebhookDelivery.objects.exclude(pk=delivery.pk).delete()

    # When each task is enqueued three times and two workers race for them
    for _ in range(3):
        tasks.send_outbox.delay([notification.pk], [])
        tasks.send_outbox.delay([], [delivery.pk])
    celery_workers.start(concurrency=2)
    celery_workers.start(concurrency=2)
    wait_until(lambda: broker_idle(live_celery.conf.broker_url), timeout=20)
    wait_until(_all_settled, timeout=20)

    # Then one e-mail attempt and one POST
    notification.refresh_from_db()
    delivery.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 1)
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(receiver.requests) == 1


def test_outbox_rows_written_while_the_broker_is_down_go_out_once_it_is_back(
    celery_worker, live_celery, endpoint, receiver, make_order, submit, caplog
):
    # Given the broker is unreachable from the web process
    make_order(lines=(("l1", "TEE", 1, "24.00"),))
    WebhookDelivery.objects.all().delete()
    with broker_unreachable(live_celery), caplog.at_level(logging.WARNING):
        # When a request is made, the web request still succeeds
        assert submit(channel="phone").status_code == 201

    # Then the rows are committed, pending, and nothing went out
    assert "the sweep will" in caplog.text
    assert Notification.objects.filter(status="pending").count() == 1
    assert WebhookDelivery.objects.filter(status="pending").count() == 2
    assert receiver.requests == []

    # When the broker is back and the sweeps run (as beat would)
    tasks.sweep_pending_messages()
    tasks.sweep_pending_webhooks()

    # Then everything goes out, once
    wait_until(_all_settled, timeout=20)
    assert len(receiver.requests) == 2
    assert tasks.sweep_pending_messages() == tasks.sweep_pending_webhooks() == 0

"""Refunds written by one transaction go to a worker in one task message."""

import pytest
from django.db import transaction

from refunds import tasks
from refunds.models import Refund, SandboxGatewayCall
from refunds.tests.conftest import payment

pytestmark = pytest.mark.django_db(transaction=True)

TWO_TENDERS = [
    payment("gc_1", "10.00", external_id="gift", method="gift_card"),
    payment("ch_1", "15.00", external_id="card"),
]


@pytest.fixture
def enqueued(monkeypatch):
    """The tasks handed to the broker, as (task, args); each still runs (eagerly)."""
    from notifications import tasks as notification_tasks

    calls = []
    for task in (tasks.refund_execute, tasks.refunds_execute, notification_tasks.send_outbox):
        real = task.delay

        def spy(*args, task=task, real=real):
            calls.append((task.name.rsplit(".", 1)[-1], args))
            return real(*args)

        monkeypatch.setattr(task, "delay", spy)
    return calls


def test_an_approval_of_a_split_tender_order_sends_one_task_for_both_refunds(approve, enqueued):
    # When a request on an order paid by gift card and card is approved
    cancellation = approve(payments=TWO_TENDERS)

    # Then both refunds went to a worker in one task, and both succeeded once
    refunds = list(Refund.objects.filter(cancellation=cancellation).order_by("pk"))
    assert enqueued == [("send_outbox", ([], [], {"refund_ids": [r.pk for r in refunds]}))]
    assert {r.status for r in refunds} == {"succeeded"}
    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == 2


def test_a_rolled_back_approval_sends_nothing(approve, make_order, enqueued):
    from decimal import Decimal

    from kernel.actors import Actor
    from refunds.calculator import allocate
    from refunds.services import refunds_create
    from refunds.tests.factories import ApprovedCancellationFactory

    order = make_order("ord-2", payments=TWO_TENDERS)
    with pytest.raises(RuntimeError), transaction.atomic():
        cancellation = ApprovedCancellationFactory(order=order, refund_total=Decimal("25.00"))
        refunds_create(
            source=cancellation,
            allocations=allocate(order.payments.order_by("position", "id"), Decimal("25.00")),
            actor=Actor.rule("auto_approved"),
        )
        raise RuntimeError("the approval failed after creating the refunds")

    assert enqueued == []
    assert not Refund.objects.exists()


def test_a_batch_delivered_twice_moves_money_once(approve, enqueued):
    cancellation = approve(payments=TWO_TENDERS)
    ids = list(Refund.objects.filter(cancellation=cancellation).values_list("pk", flat=True))

    tasks.refunds_execute(ids)

    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == 2
    assert SandboxGatewayCall.objects.count() == 2


def test_a_refund_task_sends_what_its_outcome_tells_without_another_task(approve, enqueued):
    from notifications.models import Notification

    # When a refund is executed by a worker and succeeds
    cancellation = approve(payments=[payment("ch_1", "25.00")])

    # Then the customer's "refund issued" message went out from that same task, once:
    # the only task was the one that carried the refund
    refund = Refund.objects.get(cancellation=cancellation)
    assert refund.status == "succeeded"
    message = Notification.objects.get(event_type="refund.succeeded")
    assert (message.status, message.attempts) == ("sent", 1)
    assert enqueued == [("send_outbox", ([], [], {"refund_ids": [refund.pk]}))]

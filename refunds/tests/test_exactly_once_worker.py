"""Exactly once with real Celery workers on PostgreSQL + Redis (SPEC §4, issue 4).

Each test runs the refund through `celery -A config worker` processes reading the test
database, and counts money movements in the sandbox gateway's own records.
"""

import logging
from decimal import Decimal

import pytest
from django.db import transaction

from kernel.actors import Actor
from refunds.calculator import allocate
from refunds.models import Refund, SandboxGatewayCall
from refunds.services import refunds_create
from refunds.tasks import refund_execute, sweep_pending_refunds
from refunds.tests.conftest import payment
from refunds.tests.factories import ApprovedCancellationFactory
from tests.celery_worker import broker_idle, broker_unreachable, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def approve(order) -> Refund:
    """What the approval service does: refunds created in its transaction, sent on commit."""
    with transaction.atomic():
        cancellation = ApprovedCancellationFactory(order=order, refund_total=order.total)
        (refund,) = refunds_create(
            source=cancellation,
            allocations=allocate(order.payments.all(), order.total),
            actor=Actor.rule("auto_approved"),
        )
    return refund


def status_of(refund) -> str:
    return Refund.objects.get(pk=refund.pk).status


def money_movements() -> int:
    return SandboxGatewayCall.objects.filter(money_moved=True).count()


def test_the_same_refund_delivered_twice_moves_money_once(
    celery_workers, live_celery, make_order, celery_broker_url
):
    # given a worker running two tasks at once and a gateway slow to answer
    celery_workers.start(concurrency=2, env={"SANDBOX_GATEWAY_DELAY_SECONDS": "1"})
    order = make_order(payments=[payment("ch_ok", "25.00")])

    # when the refund's task is delivered twice (on commit, and once more)
    refund = approve(order)
    refund_execute.delay(refund.pk)

    # then the refund succeeded, with one gateway call and one movement of money
    wait_until(lambda: status_of(refund) == "succeeded", timeout=20)
    wait_until(lambda: broker_idle(celery_broker_url), message="second delivery not consumed")
    refund.refresh_from_db()
    assert refund.attempts == 1
    assert SandboxGatewayCall.objects.count() == 1
    assert money_movements() == 1


def test_a_worker_killed_mid_refund_and_a_fresh_one_move_money_once(
    celery_workers, live_celery, make_order, settings
):
    # given a worker whose gateway call has gone out but not yet answered
    doomed = celery_workers.start(env={"SANDBOX_GATEWAY_DELAY_SECONDS": "1"})
    order = make_order(payments=[payment("ch_ok", "25.00")])
    refund = approve(order)
    wait_until(SandboxGatewayCall.objects.exists, timeout=20, message="no gateway call")

    # when that worker is killed (SIGKILL) before recording the outcome
    doomed.kill()
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("pending", 1)

    # and a fresh worker starts, and the sweep re-sends once the dead attempt ran out
    celery_workers.start()
    settings.REFUND_SWEEP_AFTER_SECONDS = 0

    def resent():
        return sweep_pending_refunds() or status_of(refund) != "pending"

    wait_until(resent, timeout=20, interval=0.25, message="the sweep never re-sent it")

    # then the refund succeeded on the second attempt, with the same key, paying once
    wait_until(lambda: status_of(refund) == "succeeded", timeout=20)
    assert money_movements() == 1
    refund.refresh_from_db()
    assert refund.attempts == 2
    calls = list(SandboxGatewayCall.objects.order_by("id"))
    assert [c.idempotency_key for c in calls] == [refund.idempotency_key] * 2
    assert refund.gateway_reference == calls[0].reference


def test_a_refund_approved_while_the_broker_is_down_goes_out_once_it_is_back(
    celery_worker, live_celery, make_order, settings, caplog
):
    # given the broker is unreachable from the web process
    order = make_order(payments=[payment("ch_ok", "25.00")])
    with broker_unreachable(live_celery), caplog.at_level(logging.WARNING):
        # when a request is approved
        refund = approve(order)

    # then the approval committed its pending refund, and nothing went out
    assert "the sweep will send them again" in caplog.text
    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.amount) == ("pending", 0, Decimal("25.00"))
    assert SandboxGatewayCall.objects.count() == 0

    # when the broker is back and the sweep runs
    settings.REFUND_SWEEP_AFTER_SECONDS = 0
    assert sweep_pending_refunds() == 1

    # then the worker refunds it, once
    wait_until(lambda: status_of(refund) == "succeeded", timeout=20)
    assert money_movements() == 1
    assert sweep_pending_refunds() == 0

"""A return's refund (and store credit) with real Celery workers on PostgreSQL + Redis:
a worker killed mid-refund, or the broker down at inspection, loses nothing and pays
nothing twice; the return closes when the money has gone out."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from kernel.actors import Actor
from refunds.models import Refund, SandboxGatewayCall, SandboxStoreCreditCall, StoreCredit
from refunds.tasks import sweep_pending_refunds, sweep_pending_store_credits
from returns.inspection import return_inspect
from returns.models import Return
from returns.receiving import return_receive
from returns.services import return_create
from tests.celery_worker import broker_unreachable, wait_until

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]

CLERK = Actor.system("warehouse clerk")


@pytest.fixture
def received_return(retailer, make_order):
    """A return of two units received at the warehouse, waiting to be inspected."""

    def make(*, resolution="refund"):
        make_order(
            lines=(("l1", "TEE", 2, "12.50"),),
            fulfillment_status="shipped",
            shipped_at=(timezone.now() - timedelta(days=1)).isoformat(),
        )
        created = return_create(
            retailer=retailer, order="ord-1", reason="defective", resolution=resolution, actor=CLERK
        )
        return return_receive(
            return_request=created, lines=[{"line": "l1", "quantity": 2}], actor=CLERK
        )

    return make


def inspect(return_request):
    return return_inspect(
        return_request=return_request, lines=[{"line": "l1", "resellable": 2}], actor=CLERK
    )


def status_of(return_request) -> str:
    return Return.objects.get(pk=return_request.pk).status


def test_a_worker_killed_mid_refund_and_a_fresh_one_pay_a_return_once(
    celery_workers, live_celery, received_return, settings
):
    # given a worker whose gateway call for the return's refund is out but unanswered
    return_request = received_return()
    doomed = celery_workers.start(env={"SANDBOX_GATEWAY_DELAY_SECONDS": "1"})
    inspect(return_request)
    wait_until(SandboxGatewayCall.objects.exists, timeout=20, message="no gateway call")

    # when it is killed before recording the outcome
    doomed.kill()
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts, refund.return_request_id) == (
        "pending",
        1,
        return_request.pk,
    )
    assert status_of(return_request) == "inspected"

    # and a fresh worker starts, and the sweep re-sends once the dead attempt ran out
    celery_workers.start()
    settings.REFUND_SWEEP_AFTER_SECONDS = 0
    wait_until(
        lambda: sweep_pending_refunds() or Refund.objects.get().status != "pending",
        timeout=20,
        interval=0.25,
        message="the sweep never re-sent it",
    )

    # then the refund succeeded with the same key, money moved once, the return closed
    wait_until(lambda: status_of(return_request) == "closed", timeout=20)
    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.amount) == ("succeeded", 2, 25)
    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == 1
    assert set(SandboxGatewayCall.objects.values_list("idempotency_key", flat=True)) == {
        refund.idempotency_key
    }


def test_a_return_inspected_while_the_broker_is_down_pays_once_it_is_back(
    celery_worker, live_celery, received_return, settings, caplog
):
    return_request = received_return()

    # when the return is inspected while the broker is unreachable
    with broker_unreachable(live_celery), caplog.at_level(logging.WARNING):
        inspect(return_request)

    # then the inspection committed its pending refund and nothing went out
    assert "the sweep will send them again" in caplog.text
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts) == ("pending", 0)
    assert status_of(return_request) == "inspected"

    # when the broker is back and the sweep runs, the worker pays it, once
    settings.REFUND_SWEEP_AFTER_SECONDS = 0
    assert sweep_pending_refunds() == 1
    wait_until(lambda: status_of(return_request) == "closed", timeout=20)
    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == 1
    assert sweep_pending_refunds() == 0


def test_store_credit_owed_while_the_broker_is_down_is_issued_once_it_is_back(
    celery_worker, live_celery, received_return, settings
):
    return_request = received_return(resolution="store_credit")

    with broker_unreachable(live_celery):
        inspect(return_request)
    assert StoreCredit.objects.get().status == "pending"

    settings.REFUND_SWEEP_AFTER_SECONDS = 0
    assert sweep_pending_store_credits() == 1
    wait_until(lambda: status_of(return_request) == "closed", timeout=20)
    credit = StoreCredit.objects.get()
    assert credit.status == "issued" and credit.code.startswith("SC-")
    assert SandboxStoreCreditCall.objects.filter(issued=True).count() == 1
    assert sweep_pending_store_credits() == 0

"""The whole life of a cancellation, as production runs it: the API in this process,
refunds and messages executed by a real Celery worker on PostgreSQL + Redis."""

import pytest

from cancellations.models import CancellationRequest
from conftest import order_payload
from notifications.models import Notification
from orders.models import OrderEvent
from refunds.models import Refund, SandboxGatewayCall
from tests.celery_worker import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

FAST_RETRIES = {"REFUND_RETRY_BASE_SECONDS": "0.2"}


def two_tenders(card_reference):
    body = order_payload(
        lines=[
            {
                "external_id": "l1",
                "sku": "TEE",
                "quantity": 2,
                "unit_price": "24.00",
                "tax": "3.84",
            },
            {"external_id": "l2", "sku": "CAP", "quantity": 1, "unit_price": "22.00"},
        ],
        shipping="6.95",
        payments=[
            {"external_id": "gift", "method": "gift_card", "amount": "20.00", "reference": "gc_1"},
            {
                "external_id": "card",
                "method": "card",
                "amount": "60.79",
                "reference": card_reference,
            },
        ],
    )
    return body


def test_full_cancellation_is_refunded_and_completed_by_the_worker(
    api, celery_workers, live_celery
):
    celery_workers.start(concurrency=2, env=FAST_RETRIES)
    assert (
        api.put("/api/v1/orders/E-1", two_tenders("sandbox_flaky_1"), format="json").status_code
        == 201
    )

    created = api.post(
        "/api/v1/cancellations", {"order": "E-1", "reason": "changed_mind"}, format="json"
    )

    assert created.status_code == 201
    request_id = created.json()["id"]
    assert created.json()["refund_total"] == "80.79"
    wait_until(
        lambda: api.get(f"/api/v1/cancellations/{request_id}").json()["status"] == "completed",
        timeout=30,
        message="the worker did not complete the request",
    )
    refunds = {
        r["payment"]: r
        for r in api.get(f"/api/v1/refunds?cancellation={request_id}").json()["results"]
    }
    assert (refunds["gift"]["amount"], refunds["gift"]["attempts"]) == ("20.00", 1)
    assert (refunds["card"]["amount"], refunds["card"]["attempts"]) == ("60.79", 3)
    assert {r["status"] for r in refunds.values()} == {"succeeded"}
    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == 2
    order = api.get("/api/v1/orders/E-1").json()
    assert order["refunded_total"] == "80.79"
    kinds = list(OrderEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds.index("cancellation.approved") < kinds.index("cancellation.completed")
    assert kinds.count("refund.succeeded") == 2
    wait_until(
        lambda: (
            Notification.objects.filter(event_type="refund.succeeded", status="sent").count() == 2
        ),
        timeout=15,
        message="refund messages were not sent",
    )


def test_declined_refund_flags_the_request_and_a_supervisor_settles_it(
    api, celery_workers, live_celery, supervisor
):
    from kernel.actors import Actor
    from refunds.services import refund_record_manual

    celery_workers.start(concurrency=1, env=FAST_RETRIES)
    api.put("/api/v1/orders/E-2", two_tenders("sandbox_decline_1"), format="json")

    request_id = api.post(
        "/api/v1/cancellations", {"order": "E-2", "reason": "changed_mind"}, format="json"
    ).json()["id"]

    wait_until(
        lambda: CancellationRequest.objects.get(pk=request_id).needs_attention,
        timeout=20,
        message="the failed refund did not flag the request",
    )
    data = api.get(f"/api/v1/cancellations/{request_id}").json()
    assert data["status"] == "approved"
    assert data["needs_attention"] is True
    failed = Refund.objects.get(status="failed")
    assert (failed.failure_code, failed.attempts) == ("declined", 1)

    refund_record_manual(
        refund=failed, reference="bank-transfer-77", actor=Actor.for_user(supervisor.user)
    )

    data = api.get(f"/api/v1/cancellations/{request_id}").json()
    assert data["status"] == "completed"
    assert data["needs_attention"] is False

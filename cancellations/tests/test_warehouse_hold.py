"""The warehouse hold (SPEC §12): a cancellation of an order the warehouse is picking
waits for the warehouse to stop, then is approved, returned, or handed to an agent."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from cancellations.models import CancellationRequest
from cancellations.warehouse import cancellations_warehouse_overdue
from inventory.models import StockLevel
from notifications.models import WebhookDelivery
from orders.fulfillment.services import fulfillment_requests_send
from orders.models import FulfillmentRequest, Order, OrderEvent
from refunds.models import Refund
from returns.models import Return

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(retailer):
    """A webhook endpoint of the retailer (nothing is sent in these tests)."""
    from notifications.services import webhook_endpoint_create

    return webhook_endpoint_create(retailer=retailer, url="http://127.0.0.1:9/hooks")


@pytest.fixture
def picking(make_order, endpoint):
    """An order the warehouse is picking: 2 tees at 10.00, shipping 5.00."""

    def make(external_id="ord-1", warehouse="main"):
        return make_order(
            external_id,
            fulfillment_status="in_progress",
            lines=[
                {
                    "external_id": "l1",
                    "sku": "TEE",
                    "quantity": 2,
                    "unit_price": "10.00",
                    "warehouse": warehouse,
                }
            ],
        )

    return make


def _reserved(retailer, sku="TEE"):
    return sum(
        StockLevel.objects.filter(retailer=retailer, sku=sku).values_list("reserved", flat=True)
    )


def test_an_in_progress_order_keeps_its_stock_reserved(picking, retailer):
    order = picking()

    assert order.fulfillment_status == "in_progress"
    assert not order.is_shipped
    assert _reserved(retailer) == 2


def test_a_request_the_rules_would_approve_waits_for_the_warehouse(picking, submit, retailer):
    # Given an order the warehouse is picking
    picking()

    # When the storefront asks to cancel it
    before = timezone.now()
    response = submit()

    # Then it waits for the warehouse: nothing refunded, cancelled or released yet
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "awaiting_warehouse"
    assert data["decision"]["rule"] == "warehouse_hold"
    assert data["refunds"] == []
    assert data["refund_total"] == "25.00"  # what acceptance would refund, shipping included
    respond_by = CancellationRequest.objects.get().warehouse_due_at
    assert before + timedelta(hours=4) <= respond_by <= timezone.now() + timedelta(hours=4)
    assert data["warehouse_respond_by"] is not None
    assert Refund.objects.count() == 0
    assert _reserved(retailer) == 2
    # ... and the warehouse is asked to stop: the adapter's request and the webhook
    stop = FulfillmentRequest.objects.get()
    assert (stop.kind, stop.status, stop.adapter) == ("stop", "pending", "sandbox")
    assert stop.lines == [{"line": "l1", "sku": "TEE", "quantity": 2, "warehouse": "main"}]
    hook = WebhookDelivery.objects.get(event_type="fulfillment.cancellation_requested")
    assert hook.payload["data"]["stop_lines"] == stop.lines
    assert hook.payload["data"]["lines"] == [
        {"line": "l1", "sku": "TEE", "quantity": 2, "refund_amount": "20.00"}
    ]
    assert hook.payload["data"]["status"] == "awaiting_warehouse"
    assert OrderEvent.objects.filter(kind="cancellation.awaiting_warehouse").exists()


def test_the_warehouse_stopping_approves_with_every_effect(picking, submit, api, retailer):
    picking()
    pk = submit().json()["id"]

    response = api.post(
        f"/api/v1/cancellations/{pk}/warehouse",
        {"accepted": True, "message": "Pulled from the packing line."},
        format="json",
    )

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "approved"
    assert data["decision"]["rule"] == "warehouse_stopped"
    assert [(r["amount"], r["status"]) for r in data["refunds"]] == [("25.00", "pending")]
    assert _reserved(retailer) == 0  # released
    assert Order.objects.get().shipping_refunded == 5  # unshipped: shipping back in full
    assert FulfillmentRequest.objects.get().status == "accepted"
    answered = OrderEvent.objects.get(kind="cancellation.warehouse_answered")
    assert "Pulled from the packing line." in answered.message


def test_the_warehouse_refusing_requires_a_return_counted_from_the_refusal(
    picking, submit, api, set_policy
):
    set_policy(auto_authorise_returns=False, return_ship_by_days=10)
    picking()
    pk = submit().json()["id"]

    before = timezone.now()
    response = api.post(f"/api/v1/cancellations/{pk}/warehouse", {"accepted": False}, format="json")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "return_required"
    assert data["decision"]["rule"] == "warehouse_refused"
    assert data["refunds"] == []
    created = Return.objects.get(pk=data["return"])
    # Authorised even though this store does not authorise returns by itself: the
    # refusal decided that the goods come back.
    assert created.status == "authorised"
    assert before + timedelta(days=10) <= created.ship_by <= timezone.now() + timedelta(days=10)
    assert Refund.objects.count() == 0


def test_accepted_for_an_order_that_shipped_meanwhile_is_a_return(picking, submit, api, make_order):
    picking()
    pk = submit().json()["id"]
    order = Order.objects.get()
    Order.objects.filter(pk=order.pk).update(
        fulfillment_status="shipped", shipped_at=timezone.now()
    )

    response = api.post(f"/api/v1/cancellations/{pk}/warehouse", {"accepted": True}, format="json")

    assert response.json()["status"] == "return_required"
    assert Refund.objects.count() == 0  # never sent for goods that shipped


def test_no_answer_in_time_goes_to_an_agent_and_a_late_answer_still_counts(picking, submit, api):
    picking()
    pk = submit().json()["id"]

    # Not yet due: nothing moves
    assert cancellations_warehouse_overdue() == 0
    # Past the warehouse's 4 hours
    assert cancellations_warehouse_overdue(now=timezone.now() + timedelta(hours=4, minutes=1)) == 1

    request = CancellationRequest.objects.get(pk=pk)
    assert (request.status, request.decision_rule) == ("in_review", "warehouse_no_answer")
    assert request.sla_due_at is not None
    event = OrderEvent.objects.get(kind="cancellation.in_review")
    assert event.actor_kind == "worker"

    late = api.post(f"/api/v1/cancellations/{pk}/warehouse", {"accepted": True}, format="json")
    assert late.json()["status"] == "approved"


def test_the_no_answer_sweep_is_on_the_beat_schedule():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "cancellations.tasks.warehouse_no_answer" in tasks
    assert "orders.tasks.sweep_fulfillment_requests" in tasks


def test_withdrawing_while_the_warehouse_decides_tells_it_to_go_on(picking, submit, api, retailer):
    picking()
    pk = submit().json()["id"]

    response = api.post(f"/api/v1/cancellations/{pk}/withdraw")

    assert response.json()["status"] == "withdrawn"
    kinds = list(FulfillmentRequest.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["stop", "resume"]
    assert _reserved(retailer) == 2  # the order goes on: its stock stays reserved

    # The worker tells the warehouse (after the stop request it follows)
    fulfillment_requests_send(list(FulfillmentRequest.objects.values_list("pk", flat=True)))
    resume = FulfillmentRequest.objects.get(kind="resume")
    assert resume.status == "accepted"
    assert OrderEvent.objects.filter(kind="fulfillment.resume_sent").exists()


def test_an_answer_to_a_request_not_waiting_is_refused(make_order, submit, api):
    make_order("ord-1")
    pk = submit().json()["id"]  # approved at once: not at the warehouse

    response = api.post(f"/api/v1/cancellations/{pk}/warehouse", {"accepted": True}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_the_answer_must_be_a_boolean(picking, submit, api):
    picking()
    pk = submit().json()["id"]

    response = api.post(f"/api/v1/cancellations/{pk}/warehouse", {"accepted": "yes"}, format="json")

    assert response.status_code == 400
    assert "accepted" in response.json()["errors"]


def test_another_retailers_request_is_not_found(picking, submit, other_api):
    picking()
    pk = submit().json()["id"]

    response = other_api.post(
        f"/api/v1/cancellations/{pk}/warehouse", {"accepted": True}, format="json"
    )

    assert response.status_code == 404


def test_a_sandbox_warehouse_that_stops_at_once_approves_after_commit(picking, submit):
    # Given a warehouse the sandbox adapter answers at once
    picking(warehouse="sandbox_accept_east")
    pk = submit().json()["id"]
    assert CancellationRequest.objects.get(pk=pk).status == "awaiting_warehouse"

    # When the worker sends the stop request (after the submission committed)
    fulfillment_requests_send(list(FulfillmentRequest.objects.values_list("pk", flat=True)))

    # Then the warehouse's answer approves the request
    assert CancellationRequest.objects.get(pk=pk).status == "approved"
    assert FulfillmentRequest.objects.get().status == "accepted"


def test_a_sandbox_warehouse_that_refuses_at_once_requires_a_return(picking, submit):
    picking(warehouse="sandbox_reject_east")
    pk = submit().json()["id"]

    fulfillment_requests_send(list(FulfillmentRequest.objects.values_list("pk", flat=True)))

    assert CancellationRequest.objects.get(pk=pk).status == "return_required"


def test_sending_a_stop_request_twice_asks_once(picking, submit):
    picking()
    submit()
    ids = list(FulfillmentRequest.objects.values_list("pk", flat=True))

    fulfillment_requests_send(ids)
    fulfillment_requests_send(ids)

    stop = FulfillmentRequest.objects.get()
    assert (stop.status, stop.attempts) == ("submitted", 1)


def test_an_agent_approving_an_order_at_the_warehouse_asks_it_to_stop_first(
    make_order, submit, agent
):
    from cancellations.decisions import cancellation_approve
    from kernel.actors import Actor

    # Given a request in review (placed long ago) on an order the warehouse is picking
    make_order(
        "ord-1", fulfillment_status="in_progress", placed_at=timezone.now() - timedelta(days=3)
    )
    pk = submit().json()["id"]
    request = CancellationRequest.objects.get(pk=pk)
    assert request.status == "in_review"

    # When an agent approves it
    cancellation_approve(cancellation=request, actor=Actor.for_user(agent.user))

    # Then the warehouse is asked first: no refund yet
    request.refresh_from_db()
    assert (request.status, request.decision_rule) == ("awaiting_warehouse", "warehouse_hold")
    assert Refund.objects.count() == 0
    assert FulfillmentRequest.objects.filter(kind="stop").count() == 1

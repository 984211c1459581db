"""Store credit and exchanges as resolutions, expiry, and the cancellations that hand
over to a return (SPEC §8, §10, §4)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.models import CancellationRequest
from inventory.models import StockLevel, StockMovement
from notifications.models import Notification, WebhookDelivery
from notifications.services import webhook_endpoint_create
from orders.models import Order
from refunds.models import Refund, SandboxStoreCreditCall, StoreCredit
from returns.models import Return
from returns.receiving import returns_expire

pytestmark = pytest.mark.django_db


def test_store_credit_resolution_adds_the_bonus_and_closes_when_issued(
    set_policy, shipped_order, start_return, act, api, branding, django_capture_on_commit_callbacks
):
    # Given a 5 % store-credit bonus and a 33.33 line returned for store credit
    set_policy(store_credit_bonus_percent="5.00")
    shipped_order(lines=(("l1", "TEE", 1, "33.33"),))
    rid = start_return(reason="defective", resolution="store_credit").json()["id"]
    act(rid, "receive", {"lines": [{"line": "l1", "quantity": 1}]})

    # When it is inspected and the worker issues the credit
    with django_capture_on_commit_callbacks(execute=True):
        act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 1}]})

    # Then one store credit of round_half_up(33.33 x 1.05) = 35.00 was issued, no refund,
    # and the return is closed
    data = api.get(f"/api/v1/returns/{rid}").json()
    assert data["status"] == "closed"
    assert data["refund_total"] == "33.33"
    credit = data["store_credit"]
    assert credit["amount"] == "35.00"
    assert credit["code"].startswith("SC-")
    assert credit["status"] == "issued"
    assert credit["source"] == {"kind": "return", "id": rid}
    assert credit["customer"] == "cust-1"
    assert set(credit) == {
        "id",
        "code",
        "amount",
        "currency",
        "customer",
        "source",
        "status",
        "created_at",
    }
    assert not Refund.objects.exists()
    assert StoreCredit.objects.get().bonus_amount == Decimal("1.67")
    assert SandboxStoreCreditCall.objects.filter(issued=True).count() == 1
    # the API lists it, and the customer got the code
    listed = api.get(f"/api/v1/store-credits?return={rid}").json()
    assert [c["id"] for c in listed["results"]] == [credit["id"]]
    assert api.get(f"/api/v1/store-credits/{credit['id']}").json() == credit
    issued = next(m for m in mail.outbox if "store credit of $35.00" in m.subject)
    assert credit["code"] in issued.body
    assert "bonus of $1.67" in issued.body


def test_exchange_reserves_at_authorisation_and_ships_an_exchange_order_at_inspection(
    retailer, shipped_order, start_return, act, stock, django_capture_on_commit_callbacks
):
    # Given a medium tee returned for a large one, in stock
    webhook_endpoint_create(retailer=retailer, url="http://127.0.0.1:9/hooks")
    stock("TEE-L", 5)
    shipped_order(lines=(("l1", "TEE-M", 1, "24.00"),))

    # When the exchange is created (authorised at once)
    created = start_return(
        resolution="exchange", exchange_lines=[{"line": "l1", "sku": "TEE-L", "quantity": 1}]
    ).json()

    # Then one large tee is reserved for it
    level = StockLevel.objects.get(sku="TEE-L")
    assert (level.on_hand, level.reserved) == (5, 1)
    rid = created["id"]
    act(rid, "receive", {"lines": [{"line": "l1", "quantity": 1}]})

    # When the medium comes back resellable
    with django_capture_on_commit_callbacks(execute=True):
        data = act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 1}]}).json()

    # Then no money moves, the exchange order exists at total 0 holding the reservation,
    # and the return is closed
    assert data["exchange_order"] == f"ord-1-X{rid}"
    assert data["refund_total"] == "0.00"
    assert data["status"] == "closed"
    assert not Refund.objects.exists() and not StoreCredit.objects.exists()
    exchange = Order.objects.get(external_id=f"ord-1-X{rid}")
    assert exchange.total == 0
    assert [(line.sku, line.quantity, line.reserved_quantity) for line in exchange.lines.all()] == [
        ("TEE-L", 1, 1)
    ]
    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (5, 1)  # moved from the return to the order
    assert StockLevel.objects.get(sku="TEE-M").on_hand == 1  # the medium is back
    assert WebhookDelivery.objects.filter(event_type="return.exchange_created").count() == 1


def test_exchanges_can_be_switched_off(set_policy, shipped_order, start_return, stock):
    set_policy(exchanges_allowed=False)
    stock("TEE-L", 5)
    shipped_order(lines=(("l1", "TEE-M", 1, "24.00"),))

    response = start_return(
        resolution="exchange", exchange_lines=[{"line": "l1", "sku": "TEE-L", "quantity": 1}]
    )

    assert (response.status_code, response.json()["code"]) == (422, "exchanges_not_allowed")


def test_nothing_received_by_ship_by_expires_and_releases_the_exchange_stock(
    shipped_order, start_return, act, stock
):
    stock("TEE-L", 2)
    shipped_order("A", lines=(("l1", "TEE-M", 1, "24.00"),))
    shipped_order("B", lines=(("l1", "TEE-M", 1, "24.00"),))
    exchange = start_return(
        order="A",
        resolution="exchange",
        exchange_lines=[{"line": "l1", "sku": "TEE-L", "quantity": 1}],
    ).json()
    arrived = start_return(order="B").json()
    act(arrived["id"], "receive", {"lines": [{"line": "l1", "quantity": 1}]})
    Return.objects.update(ship_by=timezone.now() - timedelta(minutes=1))

    assert returns_expire() == 1

    assert Return.objects.get(pk=exchange["id"]).status == "expired"
    assert Return.objects.get(pk=arrived["id"]).status == "received"
    level = StockLevel.objects.get(sku="TEE-L")
    assert level.reserved == 0
    kinds = list(
        StockMovement.objects.filter(source_type="returnexchangeline")
        .order_by("id")
        .values_list("kind", "quantity")
    )
    assert kinds == [("reserve", 1), ("release", 1)]
    assert returns_expire() == 0


def test_a_shipped_order_cancellation_hands_over_to_a_return_in_the_same_change(
    shipped_order, submit, api, branding, django_capture_on_commit_callbacks
):
    # Given a shipped order
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),), shipping="5.00")

    # When the storefront asks to cancel it
    with django_capture_on_commit_callbacks(execute=True):
        data = submit(lines=[{"line": "l1", "quantity": 1}]).json()

    # Then the request is return_required and names its return, authorised with its lines
    assert data["status"] == "return_required"
    assert data["decision"]["rule"] == "already_shipped"
    returned = Return.objects.get()
    assert data["return"] == returned.pk
    assert (returned.status, returned.cancellation_id, returned.reason) == (
        "authorised",
        data["id"],
        "changed_mind",
    )
    assert [(row.line.external_id, row.quantity) for row in returned.lines.all()] == [("l1", 1)]
    assert api.get(f"/api/v1/returns/{returned.pk}").json()["cancellation"] == data["id"]
    assert api.get(f"/api/v1/cancellations/{data['id']}").json()["return"] == returned.pk

    # and the customer gets one message: how to return it, with the label and the date
    # (not a second "label" message for the same minute)
    message = next(m for m in mail.outbox if "here is how to return it" in m.subject)
    assert "/r/return/" in message.body and "label.pdf" in message.body
    assert "send the parcel by" in message.body
    assert not Notification.objects.filter(event_type="return.authorised").exists()
    # decided the moment it arrived: no separate "received" message either
    assert not Notification.objects.filter(event_type="cancellation.created").exists()


def test_an_agent_requiring_a_return_creates_it(shipped_order, api, agent):
    from cancellations.decisions import cancellation_require_return
    from kernel.actors import Actor

    order = shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    cancellation = CancellationRequest.objects.create(
        retailer=order.retailer,
        order=order,
        status="in_review",
        reason="changed_mind",
        policy=order.retailer.policies.first(),
    )
    cancellation.lines.create(line=order.lines.get(), quantity=2, refund_amount=Decimal("20.00"))

    cancellation_require_return(cancellation=cancellation, actor=Actor.for_user(agent.user))

    returned = Return.objects.get()
    assert returned.cancellation_id == cancellation.pk
    assert api.get(f"/api/v1/cancellations/{cancellation.pk}").json()["return"] == returned.pk


def test_a_cancellation_refunded_as_store_credit_completes_when_the_credit_is_issued(
    make_order, submit, api, django_capture_on_commit_callbacks, set_policy
):
    # Given a bonus that is for returns only
    set_policy(store_credit_bonus_percent="10.00")
    make_order(lines=(("l1", "TEE", 2, "10.00"),), shipping="5.00")

    with django_capture_on_commit_callbacks(execute=True):
        data = submit(refund_method="store_credit").json()

    assert data["refund_method"] == "store_credit"
    assert data["refunds"] == []
    credit = StoreCredit.objects.get()
    assert (credit.amount, credit.bonus_amount, credit.status) == (Decimal("25.00"), 0, "issued")
    assert not Refund.objects.exists()
    assert api.get(f"/api/v1/cancellations/{data['id']}").json()["status"] == "completed"
    listed = api.get(f"/api/v1/store-credits?cancellation={data['id']}").json()["results"]
    assert listed[0]["source"] == {"kind": "cancellation", "id": data["id"]}
    # the money went back as credit: the payment stays refundable, the line is settled
    order = Order.objects.get(external_id="ord-1")
    assert order.payments.get().refunded_amount == 0
    assert order.lines.get().refunded_amount == Decimal("20.00")


def test_a_store_credit_that_fails_for_good_flags_its_source(
    make_order, submit, django_capture_on_commit_callbacks
):
    make_order(lines=(("l1", "TEE", 1, "10.00"),), customer="sandbox_decline_9")

    with django_capture_on_commit_callbacks(execute=True):
        data = submit(refund_method="store_credit").json()

    credit = StoreCredit.objects.get()
    assert (credit.status, credit.failure_code) == ("failed", "declined")
    cancellation = CancellationRequest.objects.get(pk=data["id"])
    assert (cancellation.status, cancellation.needs_attention) == ("approved", True)


def test_preview_with_store_credit_splits_nothing_over_payments(make_order, api):
    make_order(lines=(("l1", "TEE", 1, "10.00"),))
    body = {"order": "ord-1", "refund_method": "store_credit"}

    data = api.post("/api/v1/cancellations/preview", body, format="json").json()

    assert (data["refunds"], data["refund_method"], data["refund_total"]) == (
        [],
        "store_credit",
        "15.00",
    )

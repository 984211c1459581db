"""Two warehouse clerks (or a double scan) on one return at the same moment, with real
threads on PostgreSQL: each unit is received once, graded once and refunded once."""

from datetime import timedelta

import pytest
from django.utils import timezone

from conftest import client_for
from inventory.models import StockLevel
from orders.models import Payment
from refunds.models import Refund
from returns.models import Return, ReturnLine
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def authorised_return(retailer, make_order):
    make_order(
        lines=(("l1", "TEE", 2, "10.00"),),
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=1)).isoformat(),
    )
    response = client_for(retailer).post(
        "/api/v1/returns", {"order": "ord-1", "reason": "defective"}, format="json"
    )
    return response.json()["id"]


def test_two_clerks_receiving_the_same_parcel_receive_it_once(retailer, authorised_return):
    clients = [client_for(retailer) for _ in range(3)]

    def receive(client):
        return lambda: client.post(
            f"/api/v1/returns/{authorised_return}/receive",
            {"lines": [{"line": "l1", "quantity": 2}]},
            format="json",
        )

    responses = run_together([receive(c) for c in clients])

    assert sorted(r.status_code for r in responses) == [200, 422, 422]
    assert {r.json()["code"] for r in responses if r.status_code == 422} == {
        "quantity_exceeds_remaining"
    }
    assert ReturnLine.objects.get().received_quantity == 2


def test_two_clerks_inspecting_at_once_grade_each_unit_once_and_refund_once(
    retailer, authorised_return
):
    client_for(retailer).post(
        f"/api/v1/returns/{authorised_return}/receive",
        {"lines": [{"line": "l1", "quantity": 2}]},
        format="json",
    )
    clients = [client_for(retailer) for _ in range(3)]

    def inspect(client):
        return lambda: client.post(
            f"/api/v1/returns/{authorised_return}/inspect",
            {"lines": [{"line": "l1", "resellable": 2}]},
            format="json",
        )

    responses = run_together([inspect(c) for c in clients])

    assert sorted(r.status_code for r in responses) == [200, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"illegal_transition"}
    row = ReturnLine.objects.get()
    assert (row.resellable, row.refunded_quantity) == (2, 2)
    assert Refund.objects.count() == 1
    assert Refund.objects.get().amount == 20
    assert Payment.objects.get().refunded_amount == 20
    level = StockLevel.objects.get(sku="TEE")
    assert level.on_hand == 2
    assert level.movements.filter(kind="restock").count() == 1
    assert Return.objects.get().status in ("inspected", "closed")

"""Orders hold stock while unfulfilled: create reserves, edits resize, shipping consumes."""

import pytest

from cancellations.models import CancellationLine, CancellationRequest
from conftest import order_payload
from inventory.models import StockLevel, StockMovement
from inventory.services import line_stock_release
from inventory.tests.conftest import ledger_of, level_of
from kernel.actors import Actor
from orders.models import OrderLine

pytestmark = pytest.mark.django_db


def put_order(api, external_id, **kwargs):
    response = api.put(f"/api/v1/orders/{external_id}", order_payload(**kwargs), format="json")
    assert response.status_code in (200, 201), response.json()
    return response


def stock(api, sku):
    return api.get(f"/api/v1/inventory/{sku}").json()


def kinds(sku):
    return list(
        StockMovement.objects.filter(level__sku=sku)
        .order_by("id")
        .values_list("kind", "quantity", "on_hand_delta", "reserved_delta")
    )


def test_creating_an_unfulfilled_order_reserves_each_line(api):
    # Given TEE has 10 on hand
    api.put("/api/v1/inventory/TEE", {"warehouse": "main", "on_hand": 10}, format="json")

    # When an order for 2 TEE and 1 CAP arrives
    put_order(api, "A-1", lines=(("l1", "TEE", 2, "10.00"), ("l2", "CAP", 1, "5.00")))

    # Then both are reserved, a SKU never seen before is tracked from zero
    assert stock(api, "TEE")["available"] == 8
    assert stock(api, "CAP") | {"warehouses": None} == {
        "sku": "CAP",
        "on_hand": 0,
        "reserved": 1,
        "available": -1,
        "warehouses": None,
    }
    assert list(OrderLine.objects.order_by("position").values_list("reserved_quantity")) == [
        (2,),
        (1,),
    ]
    reserve = level_of("TEE").movements.get(kind="reserve")
    assert reserve.order.external_id == "A-1"
    assert reserve.source_type == "orderline"


def test_resizing_a_line_reserves_or_releases_the_difference(api):
    put_order(api, "A-1", lines=(("l1", "TEE", 2, "10.00"),))

    put_order(api, "A-1", lines=(("l1", "TEE", 5, "10.00"),))
    assert stock(api, "TEE")["reserved"] == 5

    put_order(api, "A-1", lines=(("l1", "TEE", 1, "10.00"),))
    assert stock(api, "TEE")["reserved"] == 1

    assert kinds("TEE") == [("reserve", 2, 0, 2), ("reserve", 3, 0, 3), ("release", 4, 0, -4)]
    assert OrderLine.objects.get().reserved_quantity == 1


def test_dropping_a_line_or_moving_it_to_another_warehouse_releases_it(api):
    put_order(api, "A-1", lines=(("l1", "TEE", 2, "10.00"), ("l2", "CAP", 3, "5.00")))

    # When CAP is dropped and TEE moves to the east warehouse
    tee_east = {
        "external_id": "l1",
        "sku": "TEE",
        "quantity": 2,
        "unit_price": "10.00",
        "warehouse": "east",
    }
    put_order(api, "A-1", lines=(tee_east,))

    # Then CAP holds nothing and TEE's reservation followed it
    assert stock(api, "CAP")["reserved"] == 0
    tee = {w["warehouse"]: w["reserved"] for w in stock(api, "TEE")["warehouses"]}
    assert tee == {"east": 2, "main": 0}


def test_shipping_consumes_the_reservation(api):
    api.put("/api/v1/inventory/TEE", {"warehouse": "main", "on_hand": 10}, format="json")
    put_order(api, "A-1", lines=(("l1", "TEE", 2, "10.00"),))

    put_order(
        api,
        "A-1",
        lines=(("l1", "TEE", 2, "10.00"),),
        fulfillment_status="shipped",
        shipped_at="2026-01-02T10:00:00Z",
    )

    assert stock(api, "TEE") | {"warehouses": []} == {
        "sku": "TEE",
        "on_hand": 8,
        "reserved": 0,
        "available": 8,
        "warehouses": [],
    }
    assert kinds("TEE")[-1] == ("ship", 2, -2, -2)
    assert OrderLine.objects.get().reserved_quantity == 0


def test_an_order_that_arrives_shipped_reserves_nothing(api):
    put_order(
        api,
        "A-1",
        lines=(("l1", "TEE", 2, "10.00"),),
        fulfillment_status="shipped",
        shipped_at="2026-01-02T10:00:00Z",
    )

    assert not StockMovement.objects.exists()
    assert api.get("/api/v1/inventory/TEE").status_code == 404
    assert OrderLine.objects.get().reserved_quantity == 0


def test_a_failed_order_put_leaves_stock_untouched(api):
    # payments that do not add up: the whole PUT rolls back, reservation included
    body = order_payload(payments=[{"external_id": "p1", "method": "card", "amount": "1.00"}])

    response = api.put("/api/v1/orders/A-1", body, format="json")

    assert response.status_code == 422
    assert not StockLevel.objects.exists()
    assert not StockMovement.objects.exists()


def _cancellation_line(order, line, quantity):
    request = CancellationRequest.objects.create(
        retailer=order.retailer, order=order, status="approved", reason="changed_mind"
    )
    return CancellationLine.objects.create(request=request, line=line, quantity=quantity)


def test_release_happens_once_per_source(make_order):
    # Given an order holding 3 TEE, and an approved cancellation of 2 of them
    order = make_order("A-1", lines=(("l1", "TEE", 3, "10.00"),))
    line = order.lines.get()
    source = _cancellation_line(order, line, 2)

    # When the release runs twice for the same cancellation (a retried approval)
    first = line_stock_release(line=line, quantity=2, source=source, actor=Actor.system())
    again = line_stock_release(
        line=OrderLine.objects.get(pk=line.pk), quantity=2, source=source, actor=Actor.system()
    )

    # Then stock moved once
    assert first is not None
    assert again is None
    assert level_of("TEE").reserved == 1
    assert OrderLine.objects.get(pk=line.pk).reserved_quantity == 1
    release = StockMovement.objects.get(kind="release")
    assert release.idempotency_key == f"cancellationline:{source.pk}:release"
    assert release.order == order
    assert ledger_of(level_of("TEE")) == (0, 1)


def test_release_never_gives_back_more_than_the_line_holds(make_order):
    order = make_order("A-1", lines=(("l1", "TEE", 2, "10.00"),))
    line = order.lines.get()

    line_stock_release(
        line=line, quantity=5, source=_cancellation_line(order, line, 2), actor=Actor.system()
    )

    assert level_of("TEE").reserved == 0
    assert StockMovement.objects.get(kind="release").quantity == 2


def test_an_approved_cancellation_releases_the_cancelled_units(api):
    # Given an unshipped order holding 3 TEE and 1 CAP
    put_order(api, "A-1", lines=(("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "5.00")))
    tee = OrderLine.objects.get(sku="TEE")

    # When the storefront cancels 2 TEE (auto-approved by the default policy)
    response = api.post(
        "/api/v1/cancellations",
        {"order": "A-1", "reason": "changed_mind", "lines": [{"line": "l1", "quantity": 2}]},
        format="json",
    )

    # Then those units' reservation is released once, against the cancellation line
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "approved"
    assert stock(api, "TEE")["reserved"] == 1
    assert stock(api, "CAP")["reserved"] == 1
    release = StockMovement.objects.get(kind="release")
    assert (release.quantity, release.order.external_id) == (2, "A-1")
    assert release.source_type == "cancellationline"
    tee.refresh_from_db()
    assert (tee.cancelled_quantity, tee.reserved_quantity) == (2, 1)
    assert ledger_of(level_of("TEE")) == (0, 1)

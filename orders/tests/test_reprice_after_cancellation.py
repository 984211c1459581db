"""A line with cancelled units keeps its price (SPEC §3's pro-rata relies on it)."""

import pytest

from conftest import order_payload
from orders.models import OrderEvent, OrderLine

pytestmark = pytest.mark.django_db


def put(api, body):
    return api.put("/api/v1/orders/ord-1", body, format="json")


@pytest.fixture
def partly_cancelled(make_order, submit):
    make_order("ord-1", lines=(("l1", "TEE", 2, "10.00"), ("l2", "CAP", 1, "5.00")))
    response = submit(lines=[{"line": "l1", "quantity": 1}])
    assert response.status_code == 201
    assert OrderLine.objects.get(external_id="l1").cancelled_quantity == 1


@pytest.mark.parametrize("change", [{"unit_price": "12.00"}, {"discount": "1.00"}, {"tax": "0.80"}])
def test_repricing_a_line_with_cancelled_units_is_refused(api, partly_cancelled, change):
    # Given a line with one of its two units cancelled
    events = OrderEvent.objects.count()
    line = {"external_id": "l1", "sku": "TEE", "quantity": 2, "unit_price": "10.00", **change}
    body = order_payload(lines=(line, ("l2", "CAP", 1, "5.00")))

    # When the storefront changes its price, then 409 names the line and field
    response = put(api, body)
    assert response.status_code == 409, response.json()
    problem = response.json()
    assert problem["code"] == "line_has_cancellations"
    assert problem["errors"]["lines"] == [f"l1: {next(iter(change))} cannot change"]
    # ... and nothing changed
    assert OrderLine.objects.get(external_id="l1").unit_price == 10
    assert OrderEvent.objects.count() == events


def test_other_lines_and_the_quantity_may_still_change(api, partly_cancelled):
    body = order_payload(lines=(("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "6.00")))
    response = put(api, body)
    assert response.status_code == 200, response.json()
    assert OrderLine.objects.get(external_id="l2").unit_price == 6

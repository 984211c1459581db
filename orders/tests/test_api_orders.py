"""PUT/GET /api/v1/orders/{external_id}: the storefront's order mirrored exactly."""

import json
from decimal import Decimal

import pytest

from conftest import client_for, order_payload
from inventory.models import StockLevel
from orders.models import Order, OrderEvent, OrderLine

pytestmark = pytest.mark.django_db


def put(api, external_id, body):
    return api.put(f"/api/v1/orders/{external_id}", body, format="json")


def test_put_creates_order_with_exact_totals(api):
    body = order_payload(
        lines=[
            {
                "external_id": "l1",
                "sku": "TEE",
                "quantity": 3,
                "unit_price": "10.00",
                "discount": "1.00",
                "tax": "2.10",
            },
            {"external_id": "l2", "sku": "CAP", "quantity": 1, "unit_price": "19.99"},
        ],
        shipping="5.00",
    )

    response = put(api, "A-100", body)

    assert response.status_code == 201
    data = response.json()
    assert data["total"] == "56.09"
    assert [line["total"] for line in data["lines"]] == ["31.10", "19.99"]
    assert data["refunded_total"] == "0.00"
    assert data["lines"][0]["cancelled_quantity"] == 0
    assert data["payments"][0]["amount"] == "56.09"
    event = OrderEvent.objects.get(order__external_id="A-100")
    assert event.kind == "order.created"
    assert event.actor_kind == "api_key"


def test_put_again_updates_and_answers_200(api):
    put(api, "A-1", order_payload())
    response = put(api, "A-1", order_payload(lines=(("l1", "SKU-1", 3, "10.00"),)))

    assert response.status_code == 200
    assert response.json()["total"] == "35.00"
    assert Order.objects.count() == 1
    assert OrderLine.objects.get().quantity == 3


def test_jpy_amounts_have_no_minor_digits(api):
    body = order_payload(lines=(("l1", "SKU-1", 2, "600"),), shipping="0", currency="JPY")
    response = put(api, "J-1", body)
    assert response.status_code == 201, response.json()
    assert response.json()["total"] == "1200"

    bad = order_payload(lines=(("l1", "SKU-1", 2, "600.5"),), shipping="0", currency="JPY")
    response = put(api, "J-2", bad)
    assert response.status_code == 400
    assert "lines[0].unit_price" in response.json()["errors"]


def test_json_numbers_are_refused_as_amounts(api):
    # Given an order whose price and payment are JSON numbers, not decimal strings
    body = order_payload(lines=(("l1", "SKU-1", 1, "0.10"),), shipping="0.20")
    body["lines"][0]["unit_price"] = Decimal("0.1")  # sent as the JSON number 0.1
    body["payments"][0]["amount"] = Decimal("0.3")
    # When it is sent, then SPEC §3 refuses it, naming both fields, and writes nothing
    response = api.put(
        "/api/v1/orders/N-1",
        json.dumps(body, default=float),
        content_type="application/json",
    )
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) >= {"lines", "payments"}
    assert not Order.objects.exists()


def test_payments_must_add_up_and_nothing_is_written(api):
    body = order_payload(payments=[{"external_id": "p1", "method": "card", "amount": "1.00"}])

    response = put(api, "A-2", body)

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "payments_mismatch"
    assert "payments" in response.json()["errors"]
    assert not Order.objects.exists()
    assert not StockLevel.objects.exists()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b["lines"][0].update(quantity=-1), "lines"),
        (lambda b: b["lines"][0].update(quantity=1.5), "lines"),
        (lambda b: b["lines"][0].update(quantity="2"), "lines"),
        (lambda b: b["lines"][0].update(unit_price="10.001"), "lines[0].unit_price"),
        (lambda b: b["lines"][0].update(unit_price="-1"), "lines"),
        (lambda b: b.update(currency="XYZ"), "currency"),
        (lambda b: b.update(placed_at="yesterday"), "placed_at"),
        (lambda b: b.update(surprise=True), "surprise"),
        (lambda b: b["lines"][0].update(colour="red"), "lines"),
        (lambda b: b.update(lines=[]), "lines"),
        (lambda b: b.pop("customer"), "customer"),
        (lambda b: b.update(fulfillment_status="lost"), "fulfillment_status"),
        (lambda b: b.update(fulfillment_status="shipped"), "shipped_at"),
    ],
)
def test_bad_input_is_400_naming_the_field(api, mutate, field):
    body = order_payload()
    mutate(body)

    response = put(api, "B-1", body)

    assert response.status_code == 400, response.json()
    problem = response.json()
    assert problem["code"] == "invalid"
    assert problem["status"] == 400
    assert field in problem["errors"]
    assert not Order.objects.exists()


def test_malformed_json_is_400(api):
    response = api.put("/api/v1/orders/X", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_oversized_body_is_refused(api, settings):
    settings.API_MAX_BODY_BYTES = 200
    response = put(api, "BIG", order_payload())
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "limit" in response.json()["detail"]
    assert not Order.objects.exists()


def test_missing_or_unknown_key_is_401(api, client):
    assert client.get("/api/v1/orders/A-1").status_code == 401
    response = client.get("/api/v1/orders/A-1", HTTP_AUTHORIZATION="Bearer rsk_wrong")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_key_is_401(retailer):
    from retailers.models import ApiKey

    client = client_for(retailer)
    ApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.get("/api/v1/orders/A-1").status_code == 401


def test_another_retailers_order_is_404(api, other_api):
    put(api, "SECRET", order_payload())

    response = other_api.get("/api/v1/orders/SECRET")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # The other storefront's PUT makes its own order; it never touches ours.
    assert (
        put(other_api, "SECRET", order_payload(lines=(("l1", "X", 1, "1.00"),))).status_code == 201
    )
    assert api.get("/api/v1/orders/SECRET").json()["total"] == "25.00"


def test_unfulfilled_order_reserves_and_shipping_consumes(api, retailer):
    put(api, "S-1", order_payload(lines=(("l1", "TEE", 2, "10.00"),)))
    level = StockLevel.objects.get(sku="TEE")
    assert (level.on_hand, level.reserved) == (0, 2)

    shipped = order_payload(
        lines=(("l1", "TEE", 2, "10.00"),),
        fulfillment_status="shipped",
        shipped_at="2026-11-25T10:00:00Z",
    )
    assert put(api, "S-1", shipped).status_code == 200

    level.refresh_from_db()
    assert (level.on_hand, level.reserved) == (-2, 0)
    kinds = list(level.movements.order_by("id").values_list("kind", flat=True))
    assert kinds == ["reserve", "ship"]
    event = OrderEvent.objects.get(kind="order.fulfillment_changed")
    assert (event.from_state, event.to_state) == ("unfulfilled", "shipped")


def test_resizing_and_dropping_lines_moves_the_reservation(api):
    put(api, "R-1", order_payload(lines=(("l1", "TEE", 2, "10.00"), ("l2", "CAP", 1, "5.00"))))
    put(api, "R-1", order_payload(lines=(("l1", "TEE", 5, "10.00"),)))

    assert StockLevel.objects.get(sku="TEE").reserved == 5
    assert StockLevel.objects.get(sku="CAP").reserved == 0


def test_cancelled_units_cannot_be_dropped_or_shrunk(api):
    put(api, "C-1", order_payload(lines=(("l1", "TEE", 3, "10.00"),)))
    OrderLine.objects.update(cancelled_quantity=2)

    shrink = put(api, "C-1", order_payload(lines=(("l1", "TEE", 1, "10.00"),)))
    drop = put(api, "C-1", order_payload(lines=(("l2", "CAP", 1, "10.00"),)))

    assert shrink.status_code == 422
    assert shrink.json()["code"] == "lines_already_cancelled"
    assert drop.status_code == 422
    assert OrderLine.objects.get().quantity == 3


def test_get_returns_the_contract_fields(api):
    put(api, "G-1", order_payload())
    data = api.get("/api/v1/orders/G-1").json()
    assert {
        "external_id",
        "placed_at",
        "currency",
        "customer",
        "fulfillment_status",
        "shipped_at",
        "delivered_at",
        "shipping",
        "lines",
        "payments",
        "refunded_total",
    } <= set(data)
    assert {
        "external_id",
        "sku",
        "title",
        "quantity",
        "unit_price",
        "discount",
        "tax",
        "final_sale",
        "warehouse",
        "cancelled_quantity",
        "refunded_amount",
    } <= set(data["lines"][0])


def test_get_runs_a_fixed_number_of_queries(api, django_assert_max_num_queries):
    many = [(f"l{i}", f"SKU-{i}", 1, "1.00") for i in range(20)]
    put(api, "Q-1", order_payload(lines=many))
    with django_assert_max_num_queries(5):
        assert api.get("/api/v1/orders/Q-1").status_code == 200


def test_rate_limit_answers_429(api, settings):
    from django.core.cache import cache

    cache.clear()
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "2/min"},
    }
    from rest_framework.settings import api_settings

    from retailers.api.authentication import ApiKeyRateThrottle

    ApiKeyRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [api.get("/api/v1/orders/none").status_code for _ in range(3)]
        assert codes == [404, 404, 429]
        response = api.get("/api/v1/orders/none")
        assert response.json()["code"] == "throttled"
        assert int(response["Retry-After"]) >= 1
    finally:
        ApiKeyRateThrottle.THROTTLE_RATES = {"api_key": "100000/min"}
        cache.clear()


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/orders/{external_id}" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_unknown_api_path_is_a_problem_document(api):
    response = api.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"

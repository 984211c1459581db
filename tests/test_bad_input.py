"""Bad input is a 4xx problem+json with a stable code, and changes nothing (issue 16)."""

import pytest

from conftest import order_payload
from inventory.models import StockLevel, StockMovement
from orders.models import Customer, Order
from retailers.models import Policy

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    return body


def nothing_written():
    return not (Order.objects.exists() or Customer.objects.exists() or StockLevel.objects.exists())


def test_nul_byte_in_an_order_id(api):
    assert_problem(api.get("/api/v1/orders/%00"), 400, "invalid")
    assert_problem(api.put("/api/v1/orders/A%00", order_payload(), format="json"), 400, "invalid")
    assert nothing_written()


def test_nul_byte_in_a_sku(api):
    response = api.put("/api/v1/inventory/S%00", {"warehouse": "main", "on_hand": 3}, format="json")
    assert_problem(response, 400, "invalid")
    assert not StockMovement.objects.exists()


def test_nul_byte_in_a_query_string(api):
    assert_problem(api.get("/api/v1/cancellations?order=%00"), 400, "invalid")


def test_an_order_id_longer_than_its_column(api):
    body = assert_problem(
        api.put("/api/v1/orders/" + "x" * 101, order_payload(), format="json"), 400, "invalid"
    )
    assert "external_id" in body["errors"]
    assert nothing_written()
    assert_problem(api.get("/api/v1/orders/" + "x" * 101), 404, "not_found")


def test_deeply_nested_json(api):
    body = "[" * 50_000 + "]" * 50_000
    response = api.put("/api/v1/orders/A-1", body, content_type="application/json")
    assert_problem(response, 400, "invalid")
    response = api.post(
        "/api/v1/cancellations",
        '{"a":' * 50_000 + "1" + "}" * 50_000,
        content_type="application/json",
    )
    assert_problem(response, 400, "invalid")
    assert nothing_written()


@pytest.mark.parametrize("refund_id", ["%C2%B3", "%D9%A3", "99999999999999999999999", "0"])
def test_an_id_that_is_not_ascii_digits(api, refund_id):
    assert_problem(api.get(f"/api/v1/refunds/{refund_id}"), 404, "not_found")


def test_a_body_over_the_limit_is_413_whatever_its_size(api, settings):
    # 3 MB: past Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which answered HTML 400
    big = '{"note": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = api.post("/api/v1/cancellations", big, content_type="application/json")
    assert_problem(response, 413, "too_large")
    # and between the API's limit (1 MiB) and Django's
    medium = '{"note": "' + "x" * (1536 * 1024) + '"}'
    response = api.post("/api/v1/cancellations", medium, content_type="application/json")
    assert_problem(response, 413, "too_large")


def test_a_url_over_the_limit_is_414_problem(api, client):
    response = api.get("/api/v1/orders/" + "x" * 9000)
    assert_problem(response, 414, "uri_too_long")
    # Pages outside the API get a plain answer, not problem+json
    assert client.get("/queue/" + "x" * 9000).status_code == 414


@pytest.mark.parametrize(
    "amount",
    [
        10.1,
        10,
        "\u0661\u0660.\u0660\u0660",  # Arabic-Indic digits
        " 10.00",
        "10.00 ",
        "1e2",
        "+10.00",
        "10.",
        ".5",
        "0x10",
        "NaN",
        "Infinity",
        "",
        None,
        True,
        "10,00",
    ],
)
def test_amounts_the_contract_refuses(api, amount):
    body = order_payload(lines=(("l1", "SKU-1", 1, "10.00"),), shipping="0.00")
    body["lines"][0]["unit_price"] = amount
    body["payments"][0]["amount"] = "10.00"
    # Sent as raw JSON so that numbers stay JSON numbers
    import json

    response = api.put("/api/v1/orders/M-1", json.dumps(body), content_type="application/json")
    problem = assert_problem(response, 400, "invalid")
    assert "unit_price" in str(problem["errors"]["lines"])
    assert nothing_written()


def test_a_negative_amount_is_named(api):
    body = order_payload(shipping="-1.00")
    problem = assert_problem(api.put("/api/v1/orders/M-2", body, format="json"), 400, "invalid")
    assert problem["errors"]["shipping"] == ["Must not be negative."]


def test_policy_limits_have_the_currencys_digits(api, retailer):
    before = Policy.objects.filter(retailer=retailer).count()
    response = api.put("/api/v1/policy", {"auto_approve_limit": "1.001"}, format="json")
    problem = assert_problem(response, 400, "invalid")
    assert "auto_approve_limit" in problem["errors"]
    assert Policy.objects.filter(retailer=retailer).count() == before
    response = api.put("/api/v1/policy", {"auto_approve_limit": 100}, format="json")
    assert_problem(response, 400, "invalid")
    ok = api.put("/api/v1/policy", {"auto_approve_limit": "1.50"}, format="json")
    assert ok.status_code == 200
    assert ok.json()["auto_approve_limit"] == "1.50"

"""PUT/GET /api/v1/inventory/{sku} and GET /api/v1/inventory/{sku}/movements (SPEC §5)."""

import pytest

from inventory.models import StockMovement
from inventory.tests.conftest import ledger_of, level_of

pytestmark = pytest.mark.django_db


def put(api, sku, body):
    return api.put(f"/api/v1/inventory/{sku}", body, format="json")


def test_put_sets_on_hand_with_an_adjust_movement_and_answers_the_sku_view(api, move):
    # Given 3 units of TEE reserved in "main" by an order
    move("TEE", "reserve", 3)

    # When the storefront says "main" holds 10
    response = put(api, "TEE", {"warehouse": "main", "on_hand": 10})

    # Then the answer is the SKU view, and the ledger explains the change
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "sku": "TEE",
        "on_hand": 10,
        "reserved": 3,
        "available": 7,
        "warehouses": [{"warehouse": "main", "on_hand": 10, "reserved": 3, "available": 7}],
    }
    adjust = StockMovement.objects.get(kind="adjust")
    assert (adjust.quantity, adjust.on_hand_delta, adjust.reserved_delta) == (10, 10, 0)
    assert adjust.actor_label.startswith("api key rsk_")
    assert ledger_of(level_of("TEE")) == (10, 3)


def test_put_down_then_same_count_writes_one_negative_adjust_then_nothing(api, move):
    move("TEE", "receive", 10)

    first = put(api, "TEE", {"warehouse": "main", "on_hand": 4})
    again = put(api, "TEE", {"warehouse": "main", "on_hand": 4})

    assert first.json()["on_hand"] == again.json()["on_hand"] == 4
    adjusts = list(
        StockMovement.objects.filter(kind="adjust").values_list("quantity", "on_hand_delta")
    )
    assert adjusts == [(6, -6)]


def test_get_sums_warehouses_and_lists_each(api, move):
    # Given TEE in two warehouses, with reservations in one of them
    move("TEE", "receive", 10, warehouse="main")
    move("TEE", "reserve", 4, warehouse="main")
    move("TEE", "receive", 5, warehouse="east")

    response = api.get("/api/v1/inventory/TEE")

    assert response.status_code == 200
    assert response.json() == {
        "sku": "TEE",
        "on_hand": 15,
        "reserved": 4,
        "available": 11,
        "warehouses": [
            {"warehouse": "east", "on_hand": 5, "reserved": 0, "available": 5},
            {"warehouse": "main", "on_hand": 10, "reserved": 4, "available": 6},
        ],
    }


def test_an_oversold_sku_shows_negative_available(api, move):
    # A storefront may sell stock it has not counted in yet: we never hide that.
    move("TEE", "reserve", 2)

    assert api.get("/api/v1/inventory/TEE").json()["available"] == -2


def test_skus_with_slashes_work(api):
    response = put(api, "TEE/XL", {"warehouse": "main", "on_hand": 2})

    assert response.status_code == 200
    assert api.get("/api/v1/inventory/TEE/XL").json()["sku"] == "TEE/XL"
    assert api.get("/api/v1/inventory/TEE/XL/movements").json()["count"] == 1


def test_unknown_sku_is_404(api):
    response = api.get("/api/v1/inventory/NOPE")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"
    assert api.get("/api/v1/inventory/NOPE/movements").json()["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"warehouse": "main", "on_hand": -1}, "on_hand"),
        ({"warehouse": "main", "on_hand": 1.5}, "on_hand"),
        ({"warehouse": "main", "on_hand": "3"}, "on_hand"),
        ({"warehouse": "main", "on_hand": True}, "on_hand"),
        ({"warehouse": "main"}, "on_hand"),
        ({"warehouse": "", "on_hand": 1}, "warehouse"),
        ({"warehouse": None, "on_hand": 1}, "warehouse"),
        ({"on_hand": 1}, "warehouse"),
        ({"warehouse": "main", "on_hand": 1, "reserved": 0}, "reserved"),
    ],
)
def test_bad_put_is_400_naming_the_field_and_writes_nothing(api, body, field):
    response = put(api, "TEE", body)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]
    assert not StockMovement.objects.exists()


def test_a_sku_longer_than_a_storefront_may_send_is_400(api):
    response = put(api, "X" * 101, {"warehouse": "main", "on_hand": 1})

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "sku": ["Ensure this field has no more than 100 characters."]
    }
    assert not StockMovement.objects.exists()


def test_malformed_json_is_400(api):
    response = api.generic("PUT", "/api/v1/inventory/TEE", "{nope", content_type="application/json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_without_a_key_is_401(client):
    assert client.get("/api/v1/inventory/TEE").status_code == 401
    assert (
        client.put("/api/v1/inventory/TEE", {}, content_type="application/json").status_code == 401
    )
    assert client.get("/api/v1/inventory/TEE/movements").status_code == 401


def test_another_retailers_sku_is_404_on_every_endpoint(api, other_api, other_retailer, move):
    # Given the other retailer stocks GLOBEX-TEE
    move("GLOBEX-TEE", "receive", 7, retailer=other_retailer)

    # Then our key sees no such SKU
    assert api.get("/api/v1/inventory/GLOBEX-TEE").status_code == 404
    assert api.get("/api/v1/inventory/GLOBEX-TEE/movements").status_code == 404

    # And a PUT of ours creates our own level, leaving theirs alone
    assert put(api, "GLOBEX-TEE", {"warehouse": "main", "on_hand": 1}).json()["on_hand"] == 1
    assert other_api.get("/api/v1/inventory/GLOBEX-TEE").json()["on_hand"] == 7
    theirs = other_api.get("/api/v1/inventory/GLOBEX-TEE/movements").json()
    assert [m["kind"] for m in theirs["results"]] == ["receive"]


def test_movements_newest_first_with_every_field(api, make_order):
    # Given an order reserving TEE, then a count from the storefront
    make_order("A-1", lines=(("l1", "TEE", 2, "10.00"),))
    put(api, "TEE", {"warehouse": "main", "on_hand": 9})

    response = api.get("/api/v1/inventory/TEE/movements")

    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 2
    adjust, reserve = page["results"]
    assert adjust["kind"] == "adjust"
    assert (adjust["quantity"], adjust["on_hand_delta"], adjust["reserved_delta"]) == (9, 9, 0)
    assert adjust["order"] is None
    assert adjust["source"] is None
    assert adjust["warehouse"] == "main"
    line_id = level_of("TEE").movements.get(kind="reserve").source_id
    assert reserve == {
        "id": reserve["id"],
        "kind": "reserve",
        "quantity": 2,
        "on_hand_delta": 0,
        "reserved_delta": 2,
        "warehouse": "main",
        "order": "A-1",
        "source": {"type": "orderline", "id": line_id},
        "actor": "test",
        "created_at": reserve["created_at"],
    }
    assert reserve["id"] < adjust["id"]


def test_movements_filter_by_kind_and_warehouse(api, move):
    move("TEE", "receive", 5, warehouse="main")
    move("TEE", "receive", 3, warehouse="east")
    move("TEE", "reserve", 1, warehouse="east")

    by_kind = api.get("/api/v1/inventory/TEE/movements?kind=receive").json()
    by_warehouse = api.get("/api/v1/inventory/TEE/movements?warehouse=east").json()
    both = api.get("/api/v1/inventory/TEE/movements?warehouse=east&kind=receive").json()

    assert sorted(m["quantity"] for m in by_kind["results"]) == [3, 5]
    assert [m["kind"] for m in by_warehouse["results"]] == ["reserve", "receive"]
    assert [(m["kind"], m["quantity"]) for m in both["results"]] == [("receive", 3)]


def test_unknown_kind_filter_is_400(api, move):
    move("TEE", "receive", 5)

    response = api.get("/api/v1/inventory/TEE/movements?kind=teleport")

    assert response.status_code == 400
    assert "kind" in response.json()["errors"]


def test_movements_are_paginated(api, move):
    for _ in range(5):
        move("TEE", "receive", 1)

    first = api.get("/api/v1/inventory/TEE/movements?page_size=2").json()
    last = api.get("/api/v1/inventory/TEE/movements?page_size=2&page=3").json()

    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["next"]
    assert len(last["results"]) == 1
    assert last["next"] is None


def test_query_counts_do_not_grow_with_data(api, make_order, move, django_assert_max_num_queries):
    # Given a SKU in three warehouses, with movements from twenty orders
    for warehouse in ("main", "east", "west"):
        move("TEE", "receive", 100, warehouse=warehouse)
    for n in range(20):
        make_order(f"A-{n}", lines=(("l1", "TEE", 1, "10.00"),))

    # Then reading the SKU or a page of its ledger costs a fixed number of queries
    with django_assert_max_num_queries(2):  # key + levels
        assert api.get("/api/v1/inventory/TEE").status_code == 200
    with django_assert_max_num_queries(4):  # key + SKU exists + count + page
        page = api.get("/api/v1/inventory/TEE/movements").json()
    assert page["count"] == 23
    with django_assert_max_num_queries(4):
        assert (
            api.get("/api/v1/inventory/TEE/movements?kind=reserve&warehouse=main").json()["count"]
            == 20
        )

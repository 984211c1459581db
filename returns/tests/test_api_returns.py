"""The returns API of SPEC §8: create, authorise, decline, cancel, shipped, receive,
inspect, the label, lists and filters, tenancy, and the refusals named there."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from notifications.models import WebhookDelivery
from notifications.services import webhook_endpoint_create
from orders.models import OrderEvent
from returns.models import Return, ReturnLine

pytestmark = pytest.mark.django_db

RETURN_FIELDS = {
    "id",
    "order",
    "status",
    "reason",
    "resolution",
    "lines",
    "label",
    "ship_by",
    "restocking_fee",
    "label_fee",
    "refund_total",
    "currency",
    "store_credit",
    "exchange_order",
    "cancellation",
    "needs_attention",
    "note",
    "created_at",
    "updated_at",
}


def test_a_return_is_authorised_at_once_with_a_label_and_an_estimate(
    retailer, shipped_order, start_return
):
    # Given an order shipped yesterday, and a webhook endpoint for every event
    webhook_endpoint_create(retailer=retailer, url="http://127.0.0.1:9/hooks")
    shipped_order(lines=(("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "7.50")), shipping="5.00")

    # When the storefront starts a return of two tees
    response = start_return(lines=[{"line": "l1", "quantity": 2}])

    # Then it is authorised under the default policy, with a sandbox label and a ship-by
    assert response.status_code == 201
    data = response.json()
    assert set(data) == RETURN_FIELDS
    assert data["status"] == "authorised"
    assert data["resolution"] == "refund"
    assert data["label"]["carrier"] == "sandbox"
    assert data["label"]["tracking_number"].startswith("SBX")
    assert data["label"]["label_url"].endswith(f"/api/v1/returns/{data['id']}/label")
    ship_by = timezone.datetime.fromisoformat(data["ship_by"].replace("Z", "+00:00"))
    assert timedelta(days=13, hours=23) < ship_by - timezone.now() <= timedelta(days=14)
    assert data["lines"] == [
        {
            "line": "l1",
            "sku": "TEE",
            "quantity": 2,
            "received_quantity": 0,
            "grades": {"resellable": 0, "damaged": 0, "missing": 0, "wrong_item": 0},
            "refund_amount": "20.00",
        }
    ]
    assert (data["refund_total"], data["restocking_fee"], data["label_fee"]) == (
        "20.00",
        "0.00",
        "0.00",
    )
    assert (data["store_credit"], data["exchange_order"], data["cancellation"]) == (
        None,
        None,
        None,
    )
    # and the timeline says who did what, from and to
    events = OrderEvent.objects.filter(subject_type="return").order_by("id")
    assert [(e.kind, e.from_state, e.to_state, e.actor_kind) for e in events] == [
        ("return.requested", "", "requested", "api_key"),
        ("return.label_bought", "", "", "rule"),
        ("return.authorised", "requested", "authorised", "rule"),
    ]
    # and the retailer's systems hear return.created then return.authorised
    assert list(
        WebhookDelivery.objects.order_by("id")
        .filter(event_type__startswith="return.")
        .values_list("event_type", flat=True)
    ) == ["return.created", "return.authorised"]


def test_without_auto_authorise_a_return_waits_then_is_authorised_or_declined(
    shipped_order, start_return, act, set_policy
):
    set_policy(auto_authorise_returns=False)
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    first = start_return(lines=[{"line": "l1", "quantity": 1}]).json()
    assert (first["status"], first["label"], first["ship_by"]) == ("requested", None, None)

    authorised = act(first["id"], "authorise").json()
    assert authorised["status"] == "authorised"
    assert authorised["label"]["tracking_number"].startswith("SBX")

    second = start_return(lines=[{"line": "l1", "quantity": 1}]).json()
    declined = act(second["id"], "decline", {"reason": "Worn and washed."})
    assert declined.status_code == 200
    assert declined.json()["status"] == "declined"
    event = OrderEvent.objects.get(kind="return.declined")
    assert (event.from_state, event.to_state) == ("requested", "declined")
    assert "Worn and washed." in event.message

    # a decline needs a reason, and a decided return is not declined again
    third = act(second["id"], "decline", {"reason": ""})
    assert (third.status_code, third.json()["code"]) == (400, "invalid")
    again = act(first["id"], "decline", {"reason": "No."})
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"
    assert again.json()["current_status"] == "authorised"


def test_cancel_before_shipping_and_not_after(shipped_order, start_return, act):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    created = start_return().json()

    cancelled = act(created["id"], "cancel")
    assert cancelled.json()["status"] == "cancelled"

    # the cancelled return's units may be returned again
    again = start_return().json()
    act(again["id"], "shipped")
    refused = act(again["id"], "cancel")
    assert (refused.status_code, refused.json()["code"]) == (409, "illegal_transition")
    assert refused.json()["current_status"] == "in_transit"


@pytest.mark.parametrize(
    ("order_kwargs", "body", "code"),
    [
        ({"fulfillment_status": "unfulfilled", "shipped_at": None}, {}, "not_shipped"),
        ({"shipped_at": "2026-01-01T00:00:00Z"}, {}, "outside_return_window"),
        ({}, {"order": "nope"}, "order_not_found"),
        ({}, {"lines": [{"line": "zz"}]}, "line_not_found"),
        ({}, {"lines": [{"line": "l1", "quantity": 3}]}, "quantity_exceeds_remaining"),
        (
            {},
            {
                "resolution": "exchange",
                "exchange_lines": [{"line": "l1", "sku": "TEE-XL", "quantity": 1}],
            },
            "out_of_stock",
        ),
    ],
)
def test_impossible_returns_are_refused_with_422_and_write_nothing(
    shipped_order, start_return, order_kwargs, body, code
):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),), **order_kwargs)

    response = start_return(**body)

    assert response.status_code == 422, response.json()
    assert response.json()["code"] == code
    assert response["Content-Type"] == "application/problem+json"
    assert not Return.objects.exists()


def test_a_final_sale_line_is_not_returnable_with_per_line_errors(shipped_order, start_return):
    shipped_order(
        lines=(
            ("l1", "TEE", 1, "10.00"),
            {
                "external_id": "l2",
                "sku": "BELT",
                "quantity": 1,
                "unit_price": "20.00",
                "final_sale": True,
            },
        )
    )

    response = start_return(lines=[{"line": "l1"}, {"line": "l2"}])

    assert response.status_code == 422
    assert response.json()["code"] == "not_returnable"
    assert response.json()["errors"] == {"lines[1].line": ["BELT was sold as final sale."]}


def test_units_in_an_open_return_cannot_be_returned_twice(shipped_order, start_return):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    assert start_return(lines=[{"line": "l1", "quantity": 1}]).status_code == 201

    response = start_return(lines=[{"line": "l1", "quantity": 2}])

    assert response.status_code == 422
    assert response.json()["code"] == "quantity_exceeds_remaining"
    assert response.json()["errors"] == {
        "lines[0].quantity": ["Only 1 unit(s) of l1 are left to return."]
    }


@pytest.mark.parametrize(
    "body",
    [
        {"order": "ord-1", "reason": "bored"},
        {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1", "quantity": "2"}]},
        {"order": "ord-1", "reason": "changed_mind", "colour": "red"},
        {"order": "ord-1", "reason": "changed_mind", "resolution": "exchange"},
        {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1"}, {"line": "l1"}]},
    ],
)
def test_bad_input_is_a_400_problem_that_writes_nothing(api, shipped_order, body):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))

    response = api.post("/api/v1/returns", body, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["errors"]
    assert not Return.objects.exists()


def test_idempotency_key_replays_the_first_return(api, shipped_order):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    body = {"order": "ord-1", "reason": "changed_mind"}

    first = api.post("/api/v1/returns", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post("/api/v1/returns", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = api.post(
        "/api/v1/returns", {**body, "note": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )

    assert (first.status_code, second.status_code) == (201, 201)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json() == first.json()
    assert Return.objects.count() == 1
    assert (other.status_code, other.json()["code"]) == (422, "idempotency_key_reused")


def test_another_retailers_return_is_not_found(shipped_order, start_return, other_api):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    created = start_return().json()
    start_return_id = created["id"]

    for path in ("", "/label"):
        assert other_api.get(f"/api/v1/returns/{start_return_id}{path}").status_code == 404
    for action in ("authorise", "cancel", "shipped", "receive", "inspect"):
        response = other_api.post(
            f"/api/v1/returns/{start_return_id}/{action}",
            {"lines": [{"line": "l1", "quantity": 1}]},
            format="json",
        )
        assert response.status_code == 404, action
        assert response.json()["code"] == "not_found"
    assert other_api.get("/api/v1/returns").json()["count"] == 0
    assert Return.objects.get().status == "authorised"


def test_list_filters_by_status_and_order(shipped_order, start_return, act, api):
    shipped_order("A", lines=(("l1", "TEE", 2, "10.00"),))
    shipped_order("B", lines=(("l1", "TEE", 2, "10.00"),))
    a = start_return(order="A").json()
    b = start_return(order="B").json()
    act(b["id"], "cancel")

    def ids(query):
        return [r["id"] for r in api.get(f"/api/v1/returns{query}").json()["results"]]

    assert ids("") == [b["id"], a["id"]]
    assert ids("?status=authorised") == [a["id"]]
    assert ids("?order=B") == [b["id"]]
    assert ids("?status=cancelled&order=A") == []


def test_the_list_reads_a_constant_number_of_queries(
    shipped_order, start_return, api, django_assert_max_num_queries
):
    for n in range(5):
        shipped_order(f"o{n}", lines=(("l1", "TEE", 2, "10.00"),))
        start_return(order=f"o{n}")
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/returns").json()["count"] == 5


def test_shipped_then_received_then_inspected_with_409s_out_of_order(
    shipped_order, start_return, act
):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    rid = start_return().json()["id"]

    early = act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 2}]})
    assert (early.status_code, early.json()["code"]) == (409, "illegal_transition")

    shipped = act(rid, "shipped", {"tracking_number": "1Z999"})
    assert shipped.json()["status"] == "in_transit"
    assert shipped.json()["label"]["tracking_number"] == "1Z999"
    assert act(rid, "shipped").json()["status"] == "in_transit"  # a repeat scan is harmless

    received = act(rid, "receive", {"lines": [{"line": "l1", "quantity": 2}], "warehouse": "east"})
    assert received.json()["status"] == "received"
    assert received.json()["lines"][0]["received_quantity"] == 2

    too_many = act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 2, "damaged": 1}]})
    assert (too_many.status_code, too_many.json()["code"]) == (422, "quantity_exceeds_remaining")

    inspected = act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 2}]})
    assert inspected.json()["status"] == "inspected"


def test_receiving_more_units_than_are_coming_is_refused(shipped_order, start_return, act):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    rid = start_return().json()["id"]

    response = act(rid, "receive", {"lines": [{"line": "l1", "quantity": 3}]})

    assert (response.status_code, response.json()["code"]) == (422, "quantity_exceeds_remaining")
    assert ReturnLine.objects.get().received_quantity == 0


def test_the_label_is_a_real_pdf_naming_the_retailer_the_return_and_the_tracking_number(
    shipped_order, start_return, api
):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    created = start_return().json()

    response = api.get(f"/api/v1/returns/{created['id']}/label")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    tracking = created["label"]["tracking_number"]
    assert tracking in text
    assert f"RETURN #{created['id']}" in text
    assert "Acme Outfitters" in text
    assert "Order ord-1" in text
    assert "Pat Shopper" in text


def test_a_requested_return_has_no_label_yet(shipped_order, start_return, api, set_policy):
    set_policy(auto_authorise_returns=False)
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    created = start_return().json()

    response = api.get(f"/api/v1/returns/{created['id']}/label")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_the_sandbox_carrier_tracking_webhook_marks_the_return_shipped(
    shipped_order, start_return, api
):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    created = start_return().json()
    event = {
        "id": "evt_1",
        "type": "tracking.in_transit",
        "tracking_number": created["label"]["tracking_number"],
    }

    first = api.post("/api/v1/carriers/sandbox/events", event, format="json")
    repeat = api.post("/api/v1/carriers/sandbox/events", event, format="json")
    unknown = api.post(
        "/api/v1/carriers/sandbox/events", {**event, "tracking_number": "SBXnope"}, format="json"
    )

    assert first.status_code == 200
    assert first.json()["status"] == "in_transit"
    assert repeat.json()["status"] == "in_transit"
    assert OrderEvent.objects.filter(kind="return.in_transit").count() == 1
    assert unknown.status_code == 404

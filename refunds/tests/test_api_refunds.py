"""GET /api/v1/refunds and /api/v1/refunds/{id}: what a storefront sees of its refunds."""

from decimal import Decimal

import pytest

from refunds.models import Refund
from refunds.services import refund_execute
from refunds.tests.conftest import payment
from refunds.tests.factories import ApprovedCancellationFactory, RefundFactory

pytestmark = pytest.mark.django_db


def test_list_shows_each_refund_with_the_contract_fields(api, approve):
    # given a request refunded over two payments, the first of which went through
    cancellation = approve(
        payments=[
            payment("ch_ok", "10.00", external_id="gift", method="gift_card"),
            payment("sandbox_decline_x", "15.00", external_id="card"),
        ]
    )
    first, second = Refund.objects.order_by("id")
    refund_execute(refund_id=first.pk)
    refund_execute(refund_id=second.pk)

    # when the storefront lists the request's refunds
    response = api.get(f"/api/v1/refunds?cancellation={cancellation.pk}")

    # then it sees both, in payment order, with exact amounts and outcomes
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first.refresh_from_db()
    assert body["results"][0] == {
        "id": first.pk,
        "cancellation": cancellation.pk,
        "return": None,
        # The webhook's field, now that the API and webhooks share one shape.
        "order": "ord-1",
        "payment": "gift",
        "amount": "10.00",
        "currency": "USD",
        "status": "succeeded",
        "attempts": 1,
        "gateway_reference": first.gateway_reference,
        "failure_code": "",
        "created_at": body["results"][0]["created_at"],
        "updated_at": body["results"][0]["updated_at"],
    }
    assert first.gateway_reference.startswith("sbx_re_")
    second_row = body["results"][1]
    assert (second_row["payment"], second_row["amount"], second_row["status"]) == (
        "card",
        "15.00",
        "failed",
    )
    assert second_row["failure_code"] == "declined"


def test_list_filters_by_cancellation_and_status(api, approve):
    # given two requests on two orders, one refund failed
    first = approve(payments=[payment("ch_ok", "25.00")], external_id="A-1")
    second = approve(payments=[payment("sandbox_decline_1", "25.00")], external_id="A-2")
    failed = Refund.objects.get(cancellation=second)
    refund_execute(refund_id=failed.pk)

    # when filtering
    by_cancellation = api.get(f"/api/v1/refunds?cancellation={first.pk}").json()
    by_status = api.get("/api/v1/refunds?status=failed").json()
    both = api.get(f"/api/v1/refunds?cancellation={second.pk}&status=pending").json()

    # then only the matching refunds come back
    assert [r["cancellation"] for r in by_cancellation["results"]] == [first.pk]
    assert [r["id"] for r in by_status["results"]] == [failed.pk]
    assert both["count"] == 0


def test_an_unknown_status_filter_is_invalid(api):
    response = api.get("/api/v1/refunds?status=refunded")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid"
    assert "status" in response.json()["errors"]


def test_jpy_amounts_have_no_minor_digits(api, approve):
    approve(
        payments=[payment("ch_ok", "1205")],
        lines=(("l1", "SKU-1", 2, "600"),),
        shipping="5",
        currency="JPY",
    )

    (row,) = api.get("/api/v1/refunds").json()["results"]

    assert (row["amount"], row["currency"]) == ("1205", "JPY")


def test_detail_returns_one_refund(api, approve):
    approve(payments=[payment("ch_ok", "25.00")])
    refund = Refund.objects.get()

    response = api.get(f"/api/v1/refunds/{refund.pk}")

    assert response.status_code == 200
    assert (response.json()["id"], response.json()["amount"]) == (refund.pk, "25.00")


def test_another_retailers_refund_is_not_found(api, other_api, approve):
    # given a refund of the `retailer`
    approve(payments=[payment("ch_ok", "25.00")])
    refund = Refund.objects.get()

    # when another retailer asks for it, or lists refunds
    detail = other_api.get(f"/api/v1/refunds/{refund.pk}")
    listing = other_api.get("/api/v1/refunds").json()

    # then it does not exist for them
    assert detail.status_code == 404
    assert detail.json()["code"] == "not_found"
    assert listing["count"] == 0


def test_a_malformed_id_is_not_found(api):
    response = api.get("/api/v1/refunds/abc")

    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_refunds_need_an_api_key(client):
    assert client.get("/api/v1/refunds").status_code == 401


def test_list_query_count_does_not_grow_with_refunds(
    api, make_order, django_assert_max_num_queries
):
    # given 30 refunds over 30 orders
    for n in range(30):
        order = make_order(f"ord-{n}", payments=[payment(f"ch_{n}", "25.00")])
        RefundFactory(
            payment=order.payments.get(),
            cancellation=ApprovedCancellationFactory(order=order),
            amount=Decimal("25.00"),
        )

    # when the storefront lists them (key lookup, count, one page)
    with django_assert_max_num_queries(4):
        response = api.get("/api/v1/refunds")

    # then all come back in bounded queries
    assert response.json()["count"] == 30


def test_a_non_integer_cancellation_filter_is_invalid(api):
    response = api.get("/api/v1/refunds?cancellation=1.5")

    assert response.status_code == 400
    assert "cancellation" in response.json()["errors"]

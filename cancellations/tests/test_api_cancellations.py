"""POST/GET /api/v1/cancellations, preview, withdraw and confirm: the contract of SPEC §5."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import CancellationRequest
from inventory.models import StockLevel
from orders.models import OrderEvent, OrderLine
from retailers.models import IdempotencyKey

pytestmark = pytest.mark.django_db

THREE_TEES = [
    {"external_id": "l1", "sku": "TEE", "quantity": 3, "unit_price": "10.00", "tax": "0.01"}
]


def test_submit_answers_the_contract_shape(make_order, submit):
    make_order("ord-1")

    response = submit(note="customer called")

    assert response.status_code == 201
    data = response.json()
    assert set(data) >= {
        "id",
        "order",
        "status",
        "reason",
        "channel",
        "lines",
        "refund_total",
        "currency",
        "decision",
        "refunds",
        "needs_attention",
        "created_at",
        "updated_at",
    }
    assert data["order"] == "ord-1"
    assert data["reason"] == "changed_mind"
    assert data["channel"] == "storefront"
    assert data["lines"] == [
        {"line": "l1", "sku": "SKU-1", "quantity": 2, "refund_amount": "20.00"}
    ]
    assert data["refund_total"] == "25.00"  # both units and, with nothing left, the shipping
    assert data["currency"] == "USD"
    assert set(data["decision"]) == {"outcome", "rule", "explanation", "policy_version"}
    assert [(r["payment"], r["amount"]) for r in data["refunds"]] == [("p1", "25.00")]
    assert data["needs_attention"] is False


def test_partial_cancellations_refund_each_line_exactly(make_order, submit):
    # 3 x 10.00 + 0.01 tax = 30.01. One unit at a time: 30.01/3 = 10.0033 -> 10.00;
    # then 20.01/2 = 10.005 -> 10.01 (half up); the last unit gets what is left, 10.00.
    make_order("ord-1", lines=THREE_TEES, shipping="4.99")
    amounts = []
    for _ in range(3):
        data = submit(lines=[{"line": "l1", "quantity": 1}]).json()
        amounts.append(data["lines"][0]["refund_amount"])
        last = data

    assert amounts == ["10.00", "10.01", "10.00"]
    assert last["refund_total"] == "14.99"  # the last unit brings the 4.99 shipping back
    line = OrderLine.objects.get()
    assert line.cancelled_quantity == 3
    assert str(line.refunded_amount) == "30.010"


def test_approved_cancellation_releases_the_reservation(make_order, submit):
    make_order("ord-1", lines=THREE_TEES)

    submit(lines=[{"line": "l1", "quantity": 2}])

    level = StockLevel.objects.get(sku="TEE")
    assert level.reserved == 1
    assert list(level.movements.order_by("id").values_list("kind", "quantity")) == [
        ("reserve", 3),
        ("release", 2),
    ]


def test_order_answers_cancelled_quantity_and_refunded_amounts(api, make_order, submit):
    make_order("ord-1", lines=THREE_TEES, shipping="5.00")
    submit(lines=[{"line": "l1", "quantity": 1}])

    order = api.get("/api/v1/orders/ord-1").json()

    assert order["lines"][0]["cancelled_quantity"] == 1
    assert order["lines"][0]["refunded_amount"] == "10.00"
    assert order["refunded_total"] == "10.00"


def test_preview_tells_the_split_and_writes_nothing(api, make_order):
    payments = [
        {"external_id": "gift", "method": "gift_card", "amount": "5.00", "reference": "gc"},
        {"external_id": "card", "method": "card", "amount": "30.01", "reference": "ch"},
    ]
    make_order("ord-1", lines=THREE_TEES, shipping="5.00", payments=payments)
    events_before = OrderEvent.objects.count()

    response = api.post(
        "/api/v1/cancellations/preview",
        {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1", "quantity": 1}]},
        format="json",
    )

    assert response.status_code == 200
    data = response.json()
    assert data["decision"]["rule"] == "auto_approved"
    assert data["refund_total"] == "10.00"
    assert data["refunds"] == [
        {"payment": "gift", "method": "gift_card", "amount": "5.00"},
        {"payment": "card", "method": "card", "amount": "5.00"},
    ]
    assert not CancellationRequest.objects.exists()
    assert OrderEvent.objects.count() == events_before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"order": "nope", "reason": "changed_mind"}, 422, "order_not_found"),
        (
            {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "zz"}]},
            422,
            "line_not_found",
        ),
        (
            {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1", "quantity": 4}]},
            422,
            "quantity_exceeds_remaining",
        ),
        ({"order": "ord-1", "reason": "bored"}, 400, "invalid"),
        ({"order": "ord-1", "reason": "changed_mind", "channel": "fax"}, 400, "invalid"),
        (
            {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1", "quantity": 0}]},
            400,
            "invalid",
        ),
        (
            {
                "order": "ord-1",
                "reason": "changed_mind",
                "lines": [{"line": "l1", "quantity": "1"}],
            },
            400,
            "invalid",
        ),
        ({"order": "ord-1", "reason": "changed_mind", "lines": []}, 400, "invalid"),
        (
            {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1"}, {"line": "l1"}]},
            400,
            "invalid",
        ),
        ({"order": "ord-1", "reason": "changed_mind", "colour": "red"}, 400, "invalid"),
        ({"reason": "changed_mind"}, 400, "invalid"),
    ],
)
def test_impossible_requests_are_errors_and_write_nothing(api, make_order, body, status, code):
    make_order("ord-1", lines=THREE_TEES)
    events_before = OrderEvent.objects.count()

    response = api.post("/api/v1/cancellations", body, format="json")

    assert response.status_code == status, response.json()
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert not CancellationRequest.objects.exists()
    assert OrderEvent.objects.count() == events_before
    assert OrderLine.objects.get().cancelled_quantity == 0


def written() -> dict:
    """How many rows a refused request could have written, by table."""
    from notifications.models import Notification, WebhookDelivery
    from refunds.models import Refund

    return {
        model.__name__: model.objects.count()
        for model in (CancellationRequest, OrderEvent, Refund, Notification, WebhookDelivery)
    }


def test_second_request_while_one_is_open_is_refused(make_order, submit):
    make_order("ord-1", placed_at=timezone.now() - timedelta(hours=30))
    first = submit().json()
    assert first["status"] == "in_review"
    before = written()

    response = submit()

    assert response.status_code == 409
    assert response.json()["code"] == "open_request_exists"
    assert response.json()["request"] == first["id"]
    assert written() == before


def test_nothing_left_is_already_cancelled(make_order, submit):
    make_order("ord-1")
    submit()
    before = written()

    response = submit()

    assert response.status_code == 409
    assert response.json()["code"] == "already_cancelled"
    assert written() == before


def test_another_retailers_order_and_request_are_invisible(make_order, submit, other_api):
    make_order("ord-1")
    mine = submit().json()

    assert other_api.get(f"/api/v1/cancellations/{mine['id']}").status_code == 404
    assert other_api.post(f"/api/v1/cancellations/{mine['id']}/withdraw").status_code == 404
    response = other_api.post(
        "/api/v1/cancellations", {"order": "ord-1", "reason": "other"}, format="json"
    )
    assert response.json()["code"] == "order_not_found"
    assert other_api.get("/api/v1/cancellations").json()["count"] == 0


def test_withdraw_before_a_decision(make_order, submit, api):
    make_order("ord-1")
    request_id = submit(channel="email").json()["id"]

    response = api.post(f"/api/v1/cancellations/{request_id}/withdraw")

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    again = api.post(f"/api/v1/cancellations/{request_id}/withdraw")
    assert again.status_code == 409
    problem = again.json()
    assert problem["code"] == "illegal_transition"
    # RFC 9457: `status` is the HTTP status; the request's own state is beside it.
    assert (problem["status"], problem["current_status"]) == (409, "withdrawn")
    assert again["Content-Type"] == "application/problem+json"


def test_withdraw_after_approval_is_illegal(make_order, submit, api):
    make_order("ord-1")
    request_id = submit().json()["id"]
    before = written()

    response = api.post(f"/api/v1/cancellations/{request_id}/withdraw")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert written() == before
    assert CancellationRequest.objects.get().status == "approved"


def test_confirm_verifies_again_and_approves(make_order, submit, api):
    make_order("ord-1")
    request_id = submit(channel="phone").json()["id"]

    response = api.post(f"/api/v1/cancellations/{request_id}/confirm")

    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "approved"
    assert data["decision"]["rule"] == "auto_approved"
    assert OrderLine.objects.get().cancelled_quantity == 2


def test_confirm_when_not_awaiting_is_illegal(make_order, submit, api):
    make_order("ord-1")
    request_id = submit().json()["id"]
    before = written()

    response = api.post(f"/api/v1/cancellations/{request_id}/confirm")

    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"
    assert written() == before


def test_unconfirmed_requests_expire_to_withdrawn(make_order, submit, api):
    from cancellations.services import cancellation_expire_confirmations

    make_order("ord-1")
    request_id = submit(channel="chat").json()["id"]

    assert cancellation_expire_confirmations(now=timezone.now() + timedelta(hours=47)) == 0
    assert cancellation_expire_confirmations(now=timezone.now() + timedelta(hours=49)) == 1

    data = api.get(f"/api/v1/cancellations/{request_id}").json()
    assert data["status"] == "withdrawn"
    event = OrderEvent.objects.filter(kind="cancellation.withdrawn").get()
    assert event.actor_kind == "worker"
    assert "48 hours" in event.message


def test_list_filters_and_paginates(make_order, submit, api, django_assert_max_num_queries):
    for n in range(6):
        make_order(f"ord-{n}", placed_at=timezone.now() - timedelta(hours=30 if n % 2 else 1))
        submit(order=f"ord-{n}", reason="shipping_delay" if n < 3 else "changed_mind")

    with django_assert_max_num_queries(8):
        page = api.get("/api/v1/cancellations?page_size=4").json()
    assert page["count"] == 6
    assert len(page["results"]) == 4
    assert api.get("/api/v1/cancellations?status=in_review").json()["count"] == 3
    assert api.get("/api/v1/cancellations?reason=shipping_delay").json()["count"] == 3
    assert api.get("/api/v1/cancellations?order=ord-2").json()["results"][0]["order"] == "ord-2"
    later = (timezone.now() + timedelta(minutes=1)).isoformat()
    assert api.get("/api/v1/cancellations", {"created_after": later}).json()["count"] == 0
    assert api.get("/api/v1/cancellations", {"created_before": later}).json()["count"] == 6


def test_timeline_reads_like_a_story(make_order, submit):
    make_order("ord-1")
    submit()

    events = list(
        OrderEvent.objects.order_by("id").values_list(
            "kind", "actor_kind", "from_state", "to_state"
        )
    )

    assert events[:3] == [
        ("order.created", "system", "", "unfulfilled"),
        ("cancellation.received", "api_key", "", "received"),
        ("cancellation.approved", "rule", "received", "approved"),
    ]


class TestIdempotency:
    def post(self, api, key, body):
        return api.post("/api/v1/cancellations", body, format="json", HTTP_IDEMPOTENCY_KEY=key)

    def test_same_key_and_body_replays_without_a_new_request(self, api, make_order):
        make_order("ord-1")
        body = {"order": "ord-1", "reason": "changed_mind"}

        first = self.post(api, "k-1", body)
        second = self.post(api, "k-1", body)

        assert first.status_code == second.status_code == 201
        assert second.json() == first.json()
        assert second["Idempotent-Replayed"] == "true"
        assert CancellationRequest.objects.count() == 1

    def test_same_key_other_body_is_reused(self, api, make_order):
        make_order("ord-1")
        self.post(api, "k-1", {"order": "ord-1", "reason": "changed_mind"})

        response = self.post(api, "k-1", {"order": "ord-1", "reason": "other"})

        assert response.status_code == 422
        assert response.json()["code"] == "idempotency_key_reused"
        assert CancellationRequest.objects.count() == 1

    def test_key_being_processed_is_in_use(self, api, make_order, retailer):
        make_order("ord-1")
        body = {"order": "ord-1", "reason": "changed_mind"}
        self.post(api, "k-1", body)
        # A claim without a response is a request still in flight elsewhere.
        IdempotencyKey.objects.update(response_status=None, response_body=None)

        response = self.post(api, "k-1", body)

        assert response.status_code == 409
        assert response.json()["code"] == "idempotency_key_in_use"

    def test_failed_request_frees_the_key(self, api, make_order):
        make_order("ord-1")
        bad = self.post(api, "k-1", {"order": "missing", "reason": "changed_mind"})
        assert bad.status_code == 422
        assert not IdempotencyKey.objects.exists()

        good = self.post(api, "k-1", {"order": "ord-1", "reason": "changed_mind"})
        assert good.status_code == 201

    def test_keys_are_scoped_to_the_retailer(self, api, other_api, make_order, other_retailer):
        make_order("ord-1")
        make_order("ord-1", retailer=other_retailer)
        body = {"order": "ord-1", "reason": "changed_mind"}

        mine = self.post(api, "shared", body)
        theirs = self.post(other_api, "shared", body)

        assert mine.status_code == theirs.status_code == 201
        assert mine.json()["id"] != theirs.json()["id"]

    def test_old_keys_are_purged(self, api, make_order):
        from retailers.idempotency import idempotency_keys_purge

        make_order("ord-1")
        self.post(api, "k-1", {"order": "ord-1", "reason": "changed_mind"})

        assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=23)) == 0
        assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=25)) == 1

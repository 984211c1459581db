"""Two submissions or approvals at the same moment, with real threads on PostgreSQL."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import CancellationRequest
from conftest import client_for
from inventory.models import StockLevel
from orders.models import OrderLine, Payment
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_simultaneous_submissions_make_one_request(retailer, make_order):
    make_order(
        "ord-1", lines=(("l1", "TEE", 3, "10.00"),), placed_at=timezone.now() - timedelta(hours=30)
    )
    clients = [client_for(retailer) for _ in range(4)]

    def submit(client):
        return lambda: client.post(
            "/api/v1/cancellations", {"order": "ord-1", "reason": "changed_mind"}, format="json"
        )

    responses = run_together([submit(c) for c in clients])

    codes = sorted(r.status_code for r in responses)
    assert codes == [201, 409, 409, 409]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"open_request_exists"}
    assert CancellationRequest.objects.count() == 1


def test_simultaneous_partial_cancellations_never_exceed_the_line(retailer, make_order):
    make_order("ord-1", lines=(("l1", "TEE", 3, "10.00"),))
    clients = [client_for(retailer) for _ in range(5)]

    def submit(client):
        return lambda: client.post(
            "/api/v1/cancellations",
            {"order": "ord-1", "reason": "changed_mind", "lines": [{"line": "l1", "quantity": 1}]},
            format="json",
        )

    responses = run_together([submit(c) for c in clients])

    created = [r for r in responses if r.status_code == 201]
    refused = [r.json()["code"] for r in responses if r.status_code != 201]
    assert len(created) == 3
    assert set(refused) <= {"already_cancelled", "quantity_exceeds_remaining"}
    line = OrderLine.objects.get()
    assert line.cancelled_quantity == 3
    assert line.refunded_amount == 30
    assert Payment.objects.get().refunded_amount == 35  # 30 + shipping on the last unit
    assert StockLevel.objects.get(sku="TEE").reserved == 0


def test_two_agents_approving_at_once_move_money_and_stock_once(
    retailer, make_order, agent, supervisor
):
    from cancellations.decisions import cancellation_approve
    from kernel.actors import Actor
    from kernel.errors import DomainError
    from refunds.models import Refund

    make_order(
        "ord-1", lines=(("l1", "TEE", 3, "10.00"),), placed_at=timezone.now() - timedelta(hours=30)
    )
    client = client_for(retailer)
    request_id = client.post(
        "/api/v1/cancellations", {"order": "ord-1", "reason": "changed_mind"}, format="json"
    ).json()["id"]

    def approve(user):
        def act():
            try:
                cancellation_approve(
                    cancellation=CancellationRequest.objects.get(pk=request_id),
                    actor=Actor.for_user(user),
                )
                return "ok"
            except DomainError as exc:
                return exc.code

        return act

    results = run_together([approve(agent.user), approve(supervisor.user)])

    assert sorted(results) == ["illegal_transition", "ok"]
    assert Refund.objects.count() == 1
    assert Payment.objects.get().refunded_amount == 35
    level = StockLevel.objects.get(sku="TEE")
    assert level.reserved == 0
    assert level.movements.filter(kind="release").count() == 1

"""Requests awaiting the warehouse as a kind of case in the queue (SPEC §12), and the
warehouse's answer recorded from the request's screen."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import CancellationRequest
from cancellations.services import cancellation_submit
from cancellations.warehouse import cancellations_warehouse_overdue
from desk.tests.backoffice_fixtures import agent_client, manager_client  # noqa: F401
from kernel.actors import Actor
from refunds.models import Refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(make_order, retailer):
    make_order("ord-9", fulfillment_status="in_progress")
    return cancellation_submit(
        retailer=retailer, order="ord-9", reason="changed_mind", actor=Actor.system("test")
    )


def test_the_queue_has_a_tab_of_requests_awaiting_the_warehouse(held, agent_client):
    response = agent_client.get("/queue/?state=awaiting_warehouse")

    assert response.status_code == 200
    rows = response.context["rows"]
    assert [(row["kind"], row["pk"]) for row in rows] == [("warehouse", held.pk)]
    counts = {tab["value"]: tab["count"] for tab in response.context["tabs"]}
    assert counts["awaiting_warehouse"] == 1
    assert counts["open"] >= 1


def test_a_case_awaiting_the_warehouse_is_due_when_its_answer_is(held, agent_client):
    from desk.access import viewer_for
    from desk.warehouse.kind import KIND

    viewer = viewer_for(agent_client.user)

    (row,) = KIND.rows(KIND.cases(viewer))

    assert row["due_at"] == CancellationRequest.objects.get(pk=held.pk).warehouse_due_at
    page = agent_client.get("/queue/?state=awaiting_warehouse")
    assert page.context["rows"][0]["due"]  # the row shows when the answer is due


def test_an_agent_records_the_warehouses_answer_from_the_screen(held, agent_client):
    page = agent_client.get(f"/queue/cases/{held.pk}/")
    assert "Record the warehouse" in page.content.decode()

    response = agent_client.post(
        f"/queue/cases/{held.pk}/warehouse/",
        {"answer": "stopped", "message": "Pulled it off the line"},
    )

    assert response.status_code == 302
    assert CancellationRequest.objects.get(pk=held.pk).status == "approved"
    assert Refund.objects.filter(cancellation_id=held.pk).count() == 1


def test_after_no_answer_the_request_is_an_agents_case_and_a_late_answer_counts(held, agent_client):
    cancellations_warehouse_overdue(now=timezone.now() + timedelta(hours=5))

    queue = agent_client.get("/queue/?state=in_review")
    assert [row["pk"] for row in queue.context["rows"]] == [held.pk]
    response = agent_client.post(f"/queue/cases/{held.pk}/warehouse/", {"answer": "too_late"})

    assert response.status_code == 302
    assert CancellationRequest.objects.get(pk=held.pk).status == "return_required"


def test_a_manager_sees_it_but_cannot_answer(held, manager_client):
    page = manager_client.get(f"/queue/cases/{held.pk}/")
    assert page.status_code == 200

    response = manager_client.post(f"/queue/cases/{held.pk}/warehouse/", {"answer": "stopped"})

    assert response.status_code == 403
    assert CancellationRequest.objects.get(pk=held.pk).status == "awaiting_warehouse"


def test_an_order_whose_figures_do_not_add_up_says_so_on_its_case(
    make_order, retailer, agent_client
):
    from orders.models import Order

    make_order("ord-7")
    Order.objects.filter(external_id="ord-7").update(
        needs_attention=True,
        attention_reason="Payments add up to 30.00 but the order's lines to 25.00.",
    )
    request = cancellation_submit(
        retailer=retailer,
        order="ord-7",
        reason="changed_mind",
        channel="phone",
        actor=Actor.system("test"),
    )

    page = agent_client.get(f"/queue/cases/{request.pk}/")

    assert "Payments add up to 30.00" in page.content.decode()

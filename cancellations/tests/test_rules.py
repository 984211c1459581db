"""Each verification rule of SPEC §4, in its order, through the public API."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import CancellationRequest

pytestmark = pytest.mark.django_db


def test_within_policy_is_auto_approved(make_order, submit):
    make_order("ord-1")

    data = submit().json()

    assert data["status"] == "approved"
    assert data["decision"]["outcome"] == "approved"
    assert data["decision"]["rule"] == "auto_approved"
    assert data["decision"]["policy_version"] == 1


def test_final_sale_line_is_rejected_first(make_order, submit):
    make_order(
        "ord-1",
        lines=[
            {
                "external_id": "l1",
                "sku": "GIFT",
                "quantity": 1,
                "unit_price": "900.00",
                "final_sale": True,
            }
        ],
        placed_at=timezone.now() - timedelta(days=3),
    )

    data = submit().json()

    assert data["status"] == "rejected"
    assert data["decision"]["rule"] == "final_sale"
    assert "GIFT" in data["decision"]["explanation"]


def test_shipped_within_return_window_requires_a_return(make_order, submit):
    make_order(
        "ord-1",
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=2)).isoformat(),
    )

    data = submit().json()

    assert data["status"] == "return_required"
    assert data["decision"]["rule"] == "already_shipped"


def test_delivered_outside_return_window_is_rejected(make_order, submit):
    make_order(
        "ord-1",
        placed_at=timezone.now() - timedelta(days=60),
        fulfillment_status="delivered",
        shipped_at=(timezone.now() - timedelta(days=58)).isoformat(),
        delivered_at=(timezone.now() - timedelta(days=31)).isoformat(),
    )

    data = submit().json()

    assert data["status"] == "rejected"
    assert data["decision"]["rule"] == "outside_return_window"


def test_delivered_window_counts_from_delivery_not_shipment(make_order, submit):
    make_order(
        "ord-1",
        placed_at=timezone.now() - timedelta(days=60),
        fulfillment_status="delivered",
        shipped_at=(timezone.now() - timedelta(days=40)).isoformat(),
        delivered_at=(timezone.now() - timedelta(days=29)).isoformat(),
    )

    assert submit().json()["decision"]["rule"] == "already_shipped"


def test_frequent_canceller_goes_to_review(make_order, submit, set_policy):
    set_policy(abuse_threshold=2)
    for n in range(2):
        make_order(f"prev-{n}")
        assert submit(order=f"prev-{n}").status_code == 201
    make_order("ord-1")

    data = submit().json()

    assert data["status"] == "in_review"
    assert data["decision"]["rule"] == "possible_abuse"
    assert data["decision"]["policy_version"] == 2


def test_old_order_goes_to_review(make_order, submit):
    make_order("ord-1", placed_at=timezone.now() - timedelta(hours=25))

    data = submit().json()

    assert data["status"] == "in_review"
    assert data["decision"]["rule"] == "outside_cancellation_window"


def test_a_refund_above_the_automatic_limit_goes_to_an_agent(make_order, submit):
    # SPEC §4 rule 5: above auto_approve_limit (250.00) and up to agent_approval_limit
    # (1000.00) agents decide; supervisors only see what is above the agents.
    make_order("ord-1", lines=(("l1", "TV", 1, "300.00"),), shipping="0.00")

    data = submit().json()

    assert data["status"] == "in_review"
    assert data["decision"]["rule"] == "above_auto_approve_limit"
    assert "300.00" in data["decision"]["explanation"]
    assert "an agent will decide" in data["decision"]["explanation"]


def test_a_refund_above_the_agents_limit_is_escalated(make_order, submit):
    make_order("ord-1", lines=(("l1", "TV", 1, "1000.01"),), shipping="0.00")

    data = submit().json()

    assert data["status"] == "escalated"
    assert data["decision"]["rule"] == "above_agent_approval_limit"
    assert "1000.01" in data["decision"]["explanation"]


def test_exactly_at_the_agents_limit_is_for_an_agent(make_order, submit):
    make_order("ord-1", lines=(("l1", "TV", 1, "995.00"),), shipping="5.00")

    assert submit().json()["status"] == "in_review"


def test_exactly_at_the_limit_is_approved(make_order, submit):
    make_order("ord-1", lines=(("l1", "TV", 1, "245.00"),), shipping="5.00")
    assert submit().json()["decision"]["rule"] == "auto_approved"


def test_phone_request_waits_for_the_customer(make_order, submit):
    make_order("ord-1")

    data = submit(channel="phone").json()

    assert data["status"] == "awaiting_customer"
    assert data["decision"]["rule"] == "needs_customer_confirmation"
    assert data["confirmation_expires_at"] is not None


def test_phone_request_without_confirmation_policy_is_approved(make_order, submit, set_policy):
    set_policy(require_customer_confirmation=False)
    make_order("ord-1")
    assert submit(channel="phone").json()["decision"]["rule"] == "auto_approved"


def test_final_sale_beats_everything_after_it(make_order, submit):
    # Old, expensive, shipped and final sale: the first rule decides.
    make_order(
        "ord-1",
        lines=[
            {
                "external_id": "l1",
                "sku": "X",
                "quantity": 1,
                "unit_price": "900.00",
                "final_sale": True,
            }
        ],
        placed_at=timezone.now() - timedelta(days=3),
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=1)).isoformat(),
    )
    assert submit(channel="phone").json()["decision"]["rule"] == "final_sale"


def test_cancelling_only_non_final_lines_is_allowed(make_order, submit):
    make_order(
        "ord-1",
        lines=[
            {
                "external_id": "l1",
                "sku": "GIFT",
                "quantity": 1,
                "unit_price": "5.00",
                "final_sale": True,
            },
            {"external_id": "l2", "sku": "TEE", "quantity": 1, "unit_price": "20.00"},
        ],
    )
    assert submit(lines=[{"line": "l2"}]).json()["decision"]["rule"] == "auto_approved"


def test_decision_keeps_the_policy_version_it_applied(make_order, submit, set_policy):
    make_order("ord-1", placed_at=timezone.now() - timedelta(hours=25))
    first = submit().json()
    set_policy(cancellation_window_hours=48)

    cancellation = CancellationRequest.objects.get(pk=first["id"])
    assert cancellation.policy.version == 1
    assert cancellation.policy.cancellation_window_hours == 24

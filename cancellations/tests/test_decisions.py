"""Decisions people make: agents within their limit, supervisors on escalations."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.decisions import (
    cancellation_add_note,
    cancellation_approve,
    cancellation_escalate,
    cancellation_reject,
    cancellation_require_return,
)
from cancellations.models import CancellationRequest
from kernel.actors import Actor
from kernel.errors import DomainError
from orders.models import OrderEvent, OrderLine

pytestmark = pytest.mark.django_db

OLD = {"placed_at": None}


@pytest.fixture
def in_review(make_order, submit):
    """A 3-unit order placed 30 hours ago: the request waits for an agent."""

    def make(external_id="ord-1", lines=(("l1", "TEE", 3, "10.00"),), **kwargs):
        make_order(
            external_id, lines=lines, placed_at=timezone.now() - timedelta(hours=30), **kwargs
        )
        data = submit(order=external_id).json()
        assert data["status"] == "in_review"
        return CancellationRequest.objects.get(pk=data["id"])

    return make


def test_agent_approves_fewer_units_than_asked(in_review, agent):
    cancellation = in_review()

    cancellation_approve(
        cancellation=cancellation,
        actor=Actor.for_user(agent.user),
        lines=[{"line": "l1", "quantity": 1}],
    )

    cancellation.refresh_from_db()
    assert cancellation.status == "approved"  # its refund waits for the commit
    assert cancellation.decision_rule == "agent_decision"
    assert str(cancellation.refund_total) == "10.000"
    assert OrderLine.objects.get().cancelled_quantity == 1
    assert OrderEvent.objects.filter(kind="cancellation.lines_changed").exists()
    approved = OrderEvent.objects.get(kind="cancellation.approved")
    assert (approved.actor_label, approved.from_state) == ("agent", "in_review")


def test_agent_cannot_approve_above_their_limit(in_review, agent, retailer):
    from retailers.services import policy_update

    policy_update(retailer=retailer, values={"agent_approval_limit": "20.00"}, created_by="t")
    cancellation = in_review()

    with pytest.raises(DomainError) as error:
        cancellation_approve(cancellation=cancellation, actor=Actor.for_user(agent.user))

    assert error.value.code == "above_approval_limit"
    cancellation.refresh_from_db()
    assert cancellation.status == "in_review"
    assert OrderLine.objects.get().cancelled_quantity == 0


def test_only_a_supervisor_decides_an_escalation(in_review, agent, supervisor):
    cancellation = in_review()
    cancellation_escalate(
        cancellation=cancellation, actor=Actor.for_user(agent.user), note="big spender"
    )

    with pytest.raises(DomainError) as error:
        cancellation_approve(cancellation=cancellation, actor=Actor.for_user(agent.user))
    assert error.value.code == "permission_denied"

    cancellation_approve(cancellation=cancellation, actor=Actor.for_user(supervisor.user))
    cancellation.refresh_from_db()
    assert cancellation.status == "approved"  # its refund waits for the commit
    assert cancellation.decision_rule == "supervisor_decision"


def test_reject_tells_why(in_review, agent):
    cancellation = in_review()

    cancellation_reject(
        cancellation=cancellation,
        actor=Actor.for_user(agent.user),
        reason_code="already_fulfilled",
        message="Your parcel left our warehouse this morning.",
    )

    cancellation.refresh_from_db()
    assert cancellation.status == "rejected"
    assert cancellation.decision_explanation == "Your parcel left our warehouse this morning."
    event = OrderEvent.objects.get(kind="cancellation.rejected")
    assert event.data == {"reason_code": "already_fulfilled"}


def test_unknown_rejection_reason_is_refused(in_review, agent):
    cancellation = in_review()
    with pytest.raises(DomainError) as error:
        cancellation_reject(
            cancellation=cancellation, actor=Actor.for_user(agent.user), reason_code="meh"
        )
    assert error.value.code == "invalid"


def test_require_return_is_final(in_review, agent):
    cancellation = in_review()
    cancellation_require_return(cancellation=cancellation, actor=Actor.for_user(agent.user))
    cancellation.refresh_from_db()
    assert cancellation.status == "return_required"

    with pytest.raises(DomainError) as error:
        cancellation_approve(cancellation=cancellation, actor=Actor.for_user(agent.user))
    assert error.value.code == "illegal_transition"


def test_internal_note_lands_on_the_timeline(in_review, agent):
    cancellation = in_review()
    cancellation_add_note(
        cancellation=cancellation, actor=Actor.for_user(agent.user), text="Called twice."
    )
    note = OrderEvent.objects.get(kind="cancellation.note")
    assert note.message == "Called twice."
    assert note.data == {"internal": True}


@pytest.mark.parametrize(
    ("start", "target", "allowed"),
    [
        ("received", "approved", True),
        ("in_review", "escalated", True),
        ("escalated", "return_required", False),
        ("approved", "withdrawn", False),
        ("approved", "completed", True),
        ("completed", "approved", False),
        ("rejected", "approved", False),
        ("withdrawn", "received", False),
        ("return_required", "approved", False),
        ("awaiting_customer", "withdrawn", True),
    ],
)
def test_transition_table(start, target, allowed):
    from cancellations.transitions import can_transition

    assert can_transition(start, target) is allowed

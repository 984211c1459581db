"""manage.py check_invariants: each rule catches a row that breaks it."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from cancellations.models import CancellationRequest
from inventory.models import StockLevel
from ops.invariants import (
    approved_requests_settled,
    invariants_check,
    payments_overrefunded,
    refund_movements,
    stock_matches_ledger,
)
from orders.models import Payment
from refunds.models import Refund

pytestmark = pytest.mark.django_db


@pytest.fixture
def settled(make_order, submit, django_capture_on_commit_callbacks):
    """An order cancelled and refunded the normal way: every invariant holds."""
    make_order("ord-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert submit().status_code == 201
    assert CancellationRequest.objects.get().status == "completed"
    return CancellationRequest.objects.get()


def run():
    out, err = StringIO(), StringIO()
    try:
        call_command("check_invariants", stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    return code, out.getvalue()


def test_all_hold_after_a_normal_cancellation(settled):
    assert invariants_check() == []
    code, out = run()
    assert code == 0
    assert "All invariants hold." in out


def test_refunds_beyond_what_was_captured_are_caught(settled):
    # Given a second succeeded refund that takes the payment past its capture
    payment = Payment.objects.get()
    Refund.objects.create(
        retailer=settled.retailer,
        payment=payment,
        amount=Decimal("1.00"),
        currency="USD",
        status=Refund.Status.SUCCEEDED,
        manual=True,
    )
    violations = payments_overrefunded()
    assert [v.check for v in violations] == ["payment_overrefunded"]
    assert "captured 25.00 USD, out refunds succeeded 26.00" in violations[0].detail
    code, out = run()
    assert code == 1
    assert "payment_overrefunded" in out


def test_a_succeeded_refund_without_its_gateway_movement_is_caught(settled):
    refund = Refund.objects.get()
    refund.idempotency_key = "rfnd_never_sent"
    refund.save()
    violations = refund_movements()
    assert [v.row for v in violations] == [f"refund {refund.pk} (succeeded) on payment p1"]


def test_a_failed_refund_that_moved_money_is_caught(settled):
    Refund.objects.update(status=Refund.Status.FAILED)
    assert [v.detail for v in refund_movements()] == ["1 gateway movement(s) of money"]


def test_stock_that_differs_from_its_ledger_is_caught(settled):
    StockLevel.objects.update(on_hand=F("on_hand") + 1)
    violations = stock_matches_ledger()
    assert [v.check for v in violations] == ["stock_level"]
    assert "on_hand" in violations[0].detail


def test_an_approved_request_neither_completed_nor_flagged_is_caught(settled):
    # Given an approved request decided an hour ago, nothing pending, not flagged
    CancellationRequest.objects.update(
        status="approved", decided_at=timezone.now() - timedelta(hours=1)
    )
    violations = approved_requests_settled()
    assert [v.check for v in violations] == ["approved_not_settled"]
    assert "nothing pending" in violations[0].detail
    # ... while one with needs_attention, or decided within the grace, is fine
    CancellationRequest.objects.update(decided_at=timezone.now())
    assert approved_requests_settled() == []
    CancellationRequest.objects.update(
        needs_attention=True, decided_at=timezone.now() - timedelta(hours=1)
    )
    assert approved_requests_settled() == []


def test_pending_refunds_within_their_schedule_are_in_flight(settled):
    # Given an approved request whose refund waits for a retry due in a minute
    CancellationRequest.objects.update(
        status="approved", decided_at=timezone.now() - timedelta(hours=1)
    )
    Refund.objects.update(
        status="pending",
        idempotency_key="rfnd_retry",
        next_attempt_at=timezone.now() + timedelta(minutes=1),
    )
    assert approved_requests_settled() == []
    # ... but overdue past the grace, nobody took it
    Refund.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    assert [v.detail for v in approved_requests_settled()] == [
        "1 refund(s) overdue and the request not flagged"
    ]

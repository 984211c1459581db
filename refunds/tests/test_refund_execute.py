"""Refund creation at approval and in-process execution through the sandbox gateway."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cancellations.models import Status
from kernel.actors import Actor
from notifications.payloads import event_data
from orders.models import OrderEvent, Payment
from refunds import services
from refunds.calculator import Allocation
from refunds.gateways import ADAPTERS, GatewayAdapter
from refunds.models import Refund, SandboxGatewayCall
from refunds.services import refund_execute, refunds_create
from refunds.tests.conftest import payment
from refunds.tests.factories import ApprovedCancellationFactory

pytestmark = pytest.mark.django_db


def events(kind):
    return list(OrderEvent.objects.filter(kind=kind).order_by("id"))


def elapse_backoff(refund):
    """The wait the refund asked for has passed."""
    Refund.objects.filter(pk=refund.pk).update(next_attempt_at=timezone.now())


def payload(emit_call) -> dict:
    """The webhook `data` an event_emit call produces."""
    return event_data(subject=emit_call["subject"], data=emit_call["data"])


@pytest.fixture
def emitted(monkeypatch):
    """Records what refunds tell notifications, and still tells them."""
    calls = []
    real = services.event_emit

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(services, "event_emit", spy)
    return calls


# --- creation --------------------------------------------------------------------------


def test_create_splits_over_payments_and_records_each(
    make_order, django_capture_on_commit_callbacks
):
    # given an order of 25.00 paid 10.00 by gift card then 15.00 by card
    order = make_order(
        payments=[
            payment("gc_1", "10.00", external_id="gift", method="gift_card"),
            payment("ch_1", "15.00", external_id="card"),
        ]
    )
    gift, card = order.payments.order_by("position")
    cancellation = ApprovedCancellationFactory(order=order, refund_total=Decimal("25.00"))

    # when the approval creates refunds for 10.00 and 15.00
    with django_capture_on_commit_callbacks() as callbacks:
        refunds = refunds_create(
            source=cancellation,
            allocations=[Allocation(gift, Decimal("10.00")), Allocation(card, Decimal("15.00"))],
            actor=Actor.rule("auto_approved"),
        )

    # then one pending refund per payment, each payment's refunded amount grows,
    # each is on the timeline, and each is handed to a worker after commit
    assert [(r.payment.external_id, r.amount, r.status) for r in refunds] == [
        ("gift", Decimal("10.00"), "pending"),
        ("card", Decimal("15.00"), "pending"),
    ]
    assert {r.currency for r in refunds} == {"USD"}
    assert len({r.idempotency_key for r in refunds}) == 2
    assert [p.refunded_amount for p in order.payments.order_by("position")] == [
        Decimal("10.00"),
        Decimal("15.00"),
    ]
    created = events("refund.created")
    assert [e.subject_id for e in created] == [r.pk for r in refunds]
    assert created[0].message == (
        "The refund of 10.00 USD to the gift_card payment gift was created; it goes to the "
        "payment gateway next."
    )
    assert len(callbacks) == 2


def test_a_rolled_back_approval_creates_and_sends_nothing(
    make_order, django_capture_on_commit_callbacks
):
    # given an approval that fails after creating its refunds
    order = make_order(payments=[payment("ch_1", "25.00")])
    cancellation = ApprovedCancellationFactory(order=order)

    # when its transaction rolls back
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        refunds_create(
            source=cancellation,
            allocations=[Allocation(order.payments.get(), Decimal("25.00"))],
            actor=Actor.system(),
        )
        raise RuntimeError("the approval failed after creating its refunds")

    # then no refund exists, the payment is untouched, and no worker is asked
    assert Refund.objects.count() == 0
    assert Payment.objects.get().refunded_amount == Decimal("0")
    assert callbacks == []


def test_the_database_refuses_refunding_more_than_captured(make_order):
    # given a payment of 25.00 of which 20.00 is already being refunded
    order = make_order(payments=[payment("ch_1", "25.00")])
    card = order.payments.get()
    cancellation = ApprovedCancellationFactory(order=order)
    refunds_create(
        source=cancellation,
        allocations=[Allocation(card, Decimal("20.00"))],
        actor=Actor.system(),
    )

    # when a stale allocation tries 10.00 more
    with pytest.raises(IntegrityError), transaction.atomic():
        refunds_create(
            source=cancellation,
            allocations=[Allocation(card, Decimal("10.00"))],
            actor=Actor.system(),
        )

    # then it is refused and what is allocated stays within what was captured
    assert Payment.objects.get().refunded_amount == Decimal("20.00")
    assert Refund.objects.count() == 1


# --- execution -------------------------------------------------------------------------


def test_approval_commit_executes_the_refund_once(
    approve, django_capture_on_commit_callbacks, emitted
):
    # given an approved request whose refund is handed to a worker after commit
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = approve(payments=[payment("ch_ok", "25.00")])

    # then the refund succeeded with one gateway call and the request is completed
    refund = Refund.objects.get()
    assert (refund.status, refund.attempts) == ("succeeded", 1)
    assert refund.gateway_reference.startswith("sbx_re_")
    assert refund.succeeded_at is not None
    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == 1
    cancellation.refresh_from_db()
    assert cancellation.status == Status.COMPLETED
    (event,) = events("refund.succeeded")
    assert (event.from_state, event.to_state, event.actor_kind) == (
        "pending",
        "succeeded",
        "worker",
    )
    assert "25.00 USD" in event.message and refund.gateway_reference in event.message
    assert [c["event_type"] for c in emitted] == ["refund.succeeded"]
    assert payload(emitted[0])["amount"] == "25.00"
    assert emitted[0]["subject"] == refund


def test_flaky_payment_succeeds_on_the_third_attempt_with_backoff(approve, emitted):
    # given a refund to a flaky payment
    approve(payments=[payment("sandbox_flaky_7", "25.00")])
    refund = Refund.objects.get()

    # when the worker runs it, waiting each time as long as it asks
    first_wait = refund_execute(refund_id=refund.pk)
    elapse_backoff(refund)
    second_wait = refund_execute(refund_id=refund.pk)
    elapse_backoff(refund)
    third = refund_execute(refund_id=refund.pk)

    # then it backs off exponentially with jitter, then succeeds after three attempts
    assert 15 <= first_wait <= 30
    assert 30 <= second_wait <= 60
    assert third is None
    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.failure_code) == ("succeeded", 3, "")
    assert len(events("refund.attempt_failed")) == 2
    assert "Attempt 1 of the refund of 25.00 USD" in events("refund.attempt_failed")[0].message
    assert len(events("refund.succeeded")) == 1
    assert [c["event_type"] for c in emitted] == ["refund.succeeded"]


def test_a_refund_not_yet_due_is_left_alone(approve):
    # given a flaky refund that failed once and is backing off
    approve(payments=[payment("sandbox_flaky_7", "25.00")])
    refund = Refund.objects.get()
    refund_execute(refund_id=refund.pk)

    # when the same task is delivered again before the wait is over
    result = refund_execute(refund_id=refund.pk)

    # then no gateway call is made
    assert result is None
    assert SandboxGatewayCall.objects.count() == 1
    assert Refund.objects.get().attempts == 1


def test_a_settled_refund_delivered_again_calls_nobody(approve):
    approve(payments=[payment("ch_ok", "25.00")])
    refund = Refund.objects.get()
    refund_execute(refund_id=refund.pk)

    assert refund_execute(refund_id=refund.pk) is None

    assert SandboxGatewayCall.objects.count() == 1
    assert Refund.objects.get().attempts == 1


def test_declined_payment_fails_for_good_and_flags_the_request(approve, emitted):
    # given a refund to a payment the gateway declines
    cancellation = approve(payments=[payment("sandbox_decline_1", "25.00")])
    refund = Refund.objects.get()

    # when the worker runs it
    result = refund_execute(refund_id=refund.pk)

    # then it fails after one attempt and the request needs a person
    assert result is None
    refund.refresh_from_db()
    assert (refund.status, refund.failure_code, refund.attempts) == ("failed", "declined", 1)
    cancellation.refresh_from_db()
    assert cancellation.status == Status.APPROVED
    assert cancellation.needs_attention is True
    (event,) = events("refund.failed")
    assert (event.from_state, event.to_state) == ("pending", "failed")
    assert "declined" in event.message and "supervisor can retry" in event.message
    assert [c["event_type"] for c in emitted] == ["refund.failed"]
    assert payload(emitted[0])["failure_code"] == "declined"


class DownGateway(GatewayAdapter):
    code = "sandbox"

    def _refund(self, **kwargs):
        raise TimeoutError("read timed out")


def test_transient_failures_give_up_with_gateway_unavailable(approve, monkeypatch, settings):
    # given a gateway that never answers and a limit of three attempts
    monkeypatch.setitem(ADAPTERS, "sandbox", DownGateway)
    settings.REFUND_MAX_ATTEMPTS = 3
    cancellation = approve(payments=[payment("ch_1", "25.00")])
    refund = Refund.objects.get()

    # when the worker keeps trying after each wait
    waits = []
    for _ in range(3):
        waits.append(refund_execute(refund_id=refund.pk))
        elapse_backoff(refund)

    # then after the third attempt it fails for good
    assert waits[0] > 0 and waits[1] > 0 and waits[2] is None
    refund.refresh_from_db()
    assert (refund.status, refund.failure_code, refund.attempts) == (
        "failed",
        "gateway_unavailable",
        3,
    )
    assert "read timed out" in refund.failure_message
    assert len(events("refund.attempt_failed")) == 2
    assert len(events("refund.failed")) == 1
    cancellation.refresh_from_db()
    assert cancellation.needs_attention is True


def test_attempts_that_never_reported_back_end_in_gateway_unavailable(approve, settings):
    # given a refund whose three attempts were claimed by workers that died mid-call
    settings.REFUND_MAX_ATTEMPTS = 3
    approve(payments=[payment("ch_1", "25.00")])
    Refund.objects.update(attempts=3, next_attempt_at=timezone.now() - timedelta(minutes=5))

    # when it is delivered again
    refund_execute(refund_id=Refund.objects.get().pk)

    # then it stops there, without another call, for a supervisor to look at
    refund = Refund.objects.get()
    assert (refund.status, refund.failure_code) == ("failed", "gateway_unavailable")
    assert SandboxGatewayCall.objects.count() == 0


def test_an_attempt_in_flight_holds_off_duplicates_until_the_gateway_timeout(approve):
    # given a worker that claimed an attempt and died before recording its outcome
    approve(payments=[payment("ch_1", "25.00")])
    refund = Refund.objects.get()
    claim = services._attempt_claim(refund.pk)
    assert claim is not None

    # when the message is delivered again at once
    again = refund_execute(refund_id=refund.pk)

    # then nothing is called until the claim ran out; after that, one call, same key
    assert again is None and SandboxGatewayCall.objects.count() == 0
    elapse_backoff(refund)
    refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("succeeded", 2)
    assert SandboxGatewayCall.objects.get().idempotency_key == refund.idempotency_key

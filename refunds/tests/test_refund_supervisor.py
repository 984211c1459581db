"""A supervisor's ways out of a failed refund: retry it, or record a manual refund."""

import pytest
from django.urls import reverse

from cancellations.models import Status
from kernel.actors import Actor
from kernel.errors import DomainError
from orders.models import OrderEvent
from refunds.models import Refund
from refunds.services import (
    GATEWAY_UNAVAILABLE,
    refund_execute,
    refund_record_manual,
    refund_retry,
)
from refunds.tests.conftest import payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(supervisor):
    return Actor.for_user(supervisor.user)


@pytest.fixture
def declined(approve):
    """An approved request whose only refund the gateway declined."""
    approve(payments=[payment("sandbox_decline_1", "25.00")])
    refund = Refund.objects.get()
    refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert refund.status == "failed"
    return refund


def test_retry_sends_a_declined_refund_again_with_a_new_key(
    declined, boss, django_capture_on_commit_callbacks
):
    old_key = declined.idempotency_key

    # when a supervisor retries it
    with django_capture_on_commit_callbacks() as callbacks:
        refund = refund_retry(refund=declined, actor=boss)

    # then it is pending again under a new key, queued for a worker, on the timeline
    refund.refresh_from_db()
    assert (refund.status, refund.failure_code) == ("pending", "")
    assert refund.idempotency_key != old_key
    assert len(callbacks) == 1
    event = OrderEvent.objects.get(kind="refund.retried")
    assert (event.from_state, event.to_state, event.actor_label) == ("failed", "pending", "super")
    assert "new idempotency key" in event.message
    # and the gateway is asked again: the sandbox still declines this payment
    refund_execute(refund_id=refund.pk)
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("failed", 2)


def test_retry_after_gateway_unavailable_keeps_the_key(declined, boss):
    # given a refund that failed because the gateway never answered: outcome unknown
    Refund.objects.filter(pk=declined.pk).update(failure_code=GATEWAY_UNAVAILABLE)

    refund = refund_retry(refund=declined, actor=boss)

    # then the same key goes out, so an attempt that did go through is not paid twice
    assert refund.idempotency_key == declined.idempotency_key
    assert refund.attempt_limit > refund.attempts


def test_a_retry_that_goes_through_completes_the_request(declined, boss):
    # given the declined request waits for a person
    cancellation = declined.cancellation
    cancellation.refresh_from_db()
    assert (cancellation.status, cancellation.needs_attention) == (Status.APPROVED, True)

    # when the customer's card is fixed at the provider and the supervisor retries
    declined.payment.reference = "ch_reissued"
    declined.payment.save()
    refund = refund_retry(refund=declined, actor=boss)
    refund_execute(refund_id=refund.pk)

    # then the refund goes through and the request is done
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == ("succeeded", 2)
    cancellation.refresh_from_db()
    assert (cancellation.status, cancellation.needs_attention) == (Status.COMPLETED, False)


def test_only_a_failed_refund_can_be_retried(approve, boss):
    approve(payments=[payment("ch_ok", "25.00")])
    refund = Refund.objects.get()

    with pytest.raises(DomainError) as error:
        refund_retry(refund=refund, actor=boss)

    assert error.value.code == "illegal_transition"
    assert Refund.objects.get().status == "pending"


def test_an_agent_cannot_retry(declined, agent):
    with pytest.raises(DomainError) as error:
        refund_retry(refund=declined, actor=Actor.for_user(agent.user))

    assert error.value.code == "permission_denied"
    assert Refund.objects.get().status == "failed"


def test_manual_refund_completes_the_request(declined, boss):
    # when a supervisor records the bank transfer that refunded the customer
    refund = refund_record_manual(
        refund=declined, reference="WIRE-2026-001", actor=boss, note="Paid by bank transfer."
    )

    # then the refund succeeded manually and the request is complete
    refund.refresh_from_db()
    assert (refund.status, refund.manual, refund.gateway_reference) == (
        "succeeded",
        True,
        "WIRE-2026-001",
    )
    assert refund.failure_code == ""
    event = OrderEvent.objects.get(kind="refund.recorded_manually")
    assert (event.from_state, event.to_state) == ("failed", "succeeded")
    assert "super recorded" in event.message and "Paid by bank transfer." in event.message
    refund.cancellation.refresh_from_db()
    assert refund.cancellation.status == Status.COMPLETED


def test_manual_refund_needs_a_reference_and_a_failed_refund(declined, approve, boss):
    with pytest.raises(DomainError) as blank:
        refund_record_manual(refund=declined, reference="  ", actor=boss)
    assert blank.value.code == "invalid"

    approve(payments=[payment("ch_ok", "25.00")], external_id="A-2")
    pending = Refund.objects.get(status="pending")
    with pytest.raises(DomainError) as not_failed:
        refund_record_manual(refund=pending, reference="WIRE-1", actor=boss)
    assert not_failed.value.code == "illegal_transition"
    assert Refund.objects.filter(manual=True).count() == 0


# --- admin -----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, supervisor):
    supervisor.user.is_staff = True
    supervisor.user.save()
    client.force_login(supervisor.user)
    return client


def changelist():
    return reverse("admin:refunds_refund_changelist")


def test_admin_lists_and_searches_refunds(admin_client, declined):
    page = admin_client.get(changelist(), {"q": "ord-1", "status__exact": "failed"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "25.00 USD" in html and "declined" in html


def test_admin_retry_action(admin_client, declined):
    response = admin_client.post(
        changelist(), {"action": "retry_refunds", "_selected_action": [declined.pk]}, follow=True
    )

    assert "1 refund(s) sent to the gateway again." in response.content.decode()
    assert Refund.objects.get().status == "pending"


def test_admin_records_a_manual_refund_through_a_form(admin_client, declined):
    # when the supervisor picks the action, a form asks for the reference
    form = admin_client.post(
        changelist(), {"action": "record_manual_refund", "_selected_action": [declined.pk]}
    )
    assert form.status_code == 200
    assert 'name="reference"' in form.content.decode()
    assert Refund.objects.get().status == "failed"

    # and submitting it records the refund
    done = admin_client.post(
        changelist(),
        {
            "action": "record_manual_refund",
            "_selected_action": [declined.pk],
            "apply": "1",
            "reference": "WIRE-9",
            "note": "",
        },
        follow=True,
    )

    assert "recorded as refunded manually" in done.content.decode()
    refund = Refund.objects.get()
    assert (refund.status, refund.manual, refund.gateway_reference) == ("succeeded", True, "WIRE-9")


def test_admin_is_read_only_and_for_supervisors(admin_client, client, agent, declined):
    change = admin_client.get(reverse("admin:refunds_refund_change", args=[declined.pk]))
    assert change.status_code == 200
    assert 'name="_save"' not in change.content.decode()

    agent.user.is_staff = True
    agent.user.save()
    client.force_login(agent.user)
    assert client.get(changelist()).status_code == 403

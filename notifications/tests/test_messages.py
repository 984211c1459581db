"""What customers are told at each step: rendered through the real flows, then sent."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from cancellations.links import confirmation_load
from cancellations.models import CancellationRequest
from notifications.models import Notification

pytestmark = pytest.mark.django_db

TWO_TENDERS = [
    {"external_id": "gc", "method": "gift_card", "amount": "10.00", "reference": "ok_gc"},
    {"external_id": "cc", "method": "card", "amount": "43.00", "reference": "ok_cc"},
]


def _mail_to(address, subject_part):
    found = [m for m in mail.outbox if address in m.to and subject_part in m.subject]
    assert len(found) == 1, [m.subject for m in mail.outbox]
    return found[0]


def _html(message) -> str:
    return next(body for body, mime in message.alternatives if mime == "text/html")


def test_approved_message_tells_amounts_per_payment_method_and_the_timeline(
    make_order, submit, branding, set_policy, django_capture_on_commit_callbacks
):
    # Given an unshipped order paid with a gift card then a card, and a policy promising
    # refunds within "3-5 business days"
    set_policy(refund_timeline_text="3-5 business days")
    make_order(lines=(("l1", "TEE", 2, "24.00"),), shipping="5.00", payments=TWO_TENDERS)

    # When the storefront cancels it all and it is approved at once
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(channel="storefront")
    assert response.json()["status"] == "approved"

    # Then the customer gets one approval e-mail with the exact split and the timeline,
    # in the retailer's voice, and not a separate "received" e-mail for the same minute
    approved = _mail_to("cust-1@shoppers.example", "is approved")
    assert approved.from_email == "Acme Outfitters <care@acme.example>"
    assert "$10.00 back to your gift card" in approved.body
    assert "$43.00 back to your card" in approved.body
    assert "Total refund: $53.00" in approved.body
    assert "Shipping: $5.00" in approved.body
    assert "within 3-5 business days" in approved.body
    assert "Warmly,\nthe Acme care team" in approved.body
    html = _html(approved)
    assert "https://cdn.acme.example/logo.png" in html
    assert "#0b5394" in html
    assert "$43.00 back to your card" in html
    assert not [m for m in mail.outbox if "received your request" in m.subject]
    # decided in the same change, the "received" message was never even written
    assert not Notification.objects.filter(event_type="cancellation.created").exists()


def test_refund_issued_message_per_refund(make_order, submit, django_capture_on_commit_callbacks):
    # Given an order paid with two tenders
    make_order(lines=(("l1", "TEE", 2, "24.00"),), shipping="5.00", payments=TWO_TENDERS)

    # When it is cancelled and the refunds succeed on the (sandbox) gateway
    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="storefront")

    # Then each refund is announced with its own amount and method
    gift = _mail_to("cust-1@shoppers.example", "refund of $10.00 is on its way")
    card = _mail_to("cust-1@shoppers.example", "refund of $43.00 is on its way")
    assert "refunded $10.00 to your gift card for order ord-1" in gift.body
    assert "refunded $43.00 to your card for order ord-1" in card.body
    assert "5-10 business days" in card.body


def test_refund_failed_message_says_what_happens_next(
    make_order, submit, django_capture_on_commit_callbacks
):
    # Given an order whose card the gateway declines for good
    make_order(
        lines=(("l1", "TEE", 1, "30.00"),),
        shipping="0.00",
        payments=[
            {
                "external_id": "p1",
                "method": "card",
                "amount": "30.00",
                "reference": "sandbox_decline_1",
            }
        ],
    )

    # When the cancellation is approved and the refund fails
    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="storefront")

    # Then the customer is told it failed, why, and that they need do nothing
    failed = _mail_to("cust-1@shoppers.example", "could not refund $30.00")
    assert "declined the refund" in failed.body
    assert "What happens next: our team has been alerted" in failed.body
    assert Notification.objects.get(event_type="refund.failed").essential


def test_confirmation_needed_message_carries_a_signed_expiring_link(
    make_order, submit, branding, django_capture_on_commit_callbacks
):
    # Given a request made by phone, which the policy wants the customer to confirm
    make_order(lines=(("l1", "TEE", 1, "24.00"),))

    with django_capture_on_commit_callbacks(execute=True):
        data = submit(channel="phone").json()
    assert data["status"] == "awaiting_customer"

    # Then the customer is asked to confirm, with a link to this very request
    message = _mail_to("cust-1@shoppers.example", "Please confirm the cancellation of order ord-1")
    link = next(line.strip() for line in message.body.splitlines() if "/c/" in line)
    assert link.startswith("http://127.0.0.1:8000/c/")
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert confirmation_load(token) == data["id"]
    cancellation = CancellationRequest.objects.get(pk=data["id"])
    deadline = cancellation.confirmation_expires_at
    assert deadline - cancellation.created_at >= timedelta(hours=47)
    assert f"works until {deadline.day} {deadline:%B %Y, %H:%M} UTC." in message.body
    assert link in _html(message)


def test_rejected_message_gives_the_reason_in_plain_words_and_how_to_dispute(
    make_order, submit, branding, django_capture_on_commit_callbacks
):
    # Given a final-sale line
    make_order(
        lines=[
            {
                "external_id": "l1",
                "sku": "TEE",
                "quantity": 1,
                "unit_price": "9.00",
                "final_sale": True,
            }
        ]
    )

    with django_capture_on_commit_callbacks(execute=True):
        assert submit().json()["status"] == "rejected"

    message = _mail_to("cust-1@shoppers.example", "We could not cancel order ord-1")
    assert "sold as final sale, and final-sale items cannot be cancelled" in message.body
    assert "dispute the decision" in message.body
    assert "https://acme.example/help" in message.body


def test_received_then_withdrawn_messages_for_a_request_waiting_for_an_agent(
    old_order, submit, api, django_capture_on_commit_callbacks
):
    # Given a request outside the cancellation window: it waits for an agent
    old_order(lines=(("l1", "TEE", 3, "10.00"),))
    with django_capture_on_commit_callbacks(execute=True):
        data = submit(reason="ordered_by_mistake").json()
    assert data["status"] == "in_review"

    # Then the customer hears it was received, with what it would refund
    received = _mail_to("cust-1@shoppers.example", "We received your request")
    assert "(ordered by mistake)" in received.body
    assert "3 x TEE: $30.00" in received.body

    # When the storefront withdraws it
    with django_capture_on_commit_callbacks(execute=True):
        api.post(f"/api/v1/cancellations/{data['id']}/withdraw", {}, format="json")

    # Then the customer is told nothing was cancelled
    withdrawn = _mail_to("cust-1@shoppers.example", "was withdrawn")
    assert "nothing was cancelled" in withdrawn.body


def test_each_sent_message_is_on_the_order_timeline(
    make_order, submit, django_capture_on_commit_callbacks
):
    make_order(lines=(("l1", "TEE", 1, "24.00"),))
    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="storefront")

    order = CancellationRequest.objects.get().order
    sent = order.events.filter(kind="notification.sent")
    assert sent.count() == len(mail.outbox) >= 2
    assert any("is approved" in event.message for event in sent)
    assert all(event.actor_kind == "worker" for event in sent)


def test_confirmation_deadline_is_the_policy_window(
    make_order, submit, set_policy, django_capture_on_commit_callbacks
):
    set_policy(customer_confirmation_hours=6)
    make_order(lines=(("l1", "TEE", 1, "24.00"),))
    before = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="email")
    cancellation = CancellationRequest.objects.get()
    assert cancellation.confirmation_expires_at <= before + timedelta(hours=6, minutes=1)


def test_an_agents_message_reaches_the_customer_in_the_retailers_voice(
    old_order, submit, branding, django_capture_on_commit_callbacks
):
    # Given a request waiting for an agent, and a customer who opted out of updates
    from notifications.services import customer_preference_set, event_emit

    order = old_order(lines=(("l1", "TEE", 1, "24.00"),))
    with django_capture_on_commit_callbacks(execute=True):
        cancellation = CancellationRequest.objects.get(pk=submit().json()["id"])
    customer_preference_set(customer=order.customer, opted_out=True)
    mail.outbox.clear()

    # When the agent writes to them twice
    with django_capture_on_commit_callbacks(execute=True):
        for body in ("Hi Pat, could you confirm the size?", "Hi Pat, thanks, all done."):
            event_emit(
                retailer=cancellation.retailer,
                event_type="cancellation.agent_message",
                data={"subject": "About order ord-1", "body": body},
                order=order,
                subject=cancellation,
            )

    # Then both messages go, word for word, branded, without a second greeting
    first, second = mail.outbox
    assert first.subject == second.subject == "About order ord-1"
    assert first.body.startswith("Hi Pat, could you confirm the size?\n\nWarmly,")
    assert second.body.startswith("Hi Pat, thanks, all done.")
    html = _html(first)
    assert "Hello Pat" not in html
    assert "<p>Hi Pat, could you confirm the size?</p>" in html
    assert first.from_email == "Acme Outfitters <care@acme.example>"


def test_a_received_message_not_yet_sent_is_superseded_by_a_later_decision(
    make_order, submit, set_policy, supervisor
):
    from cancellations.decisions import cancellation_approve
    from kernel.actors import Actor

    # Given a request above the auto-approval limit, waiting for a person, whose
    # "received" message has not gone out yet
    set_policy(auto_approve_limit="10.00", require_customer_confirmation=False)
    make_order(lines=(("l1", "TEE", 2, "24.00"),))
    response = submit()
    assert response.json()["status"] == "in_review"
    received = Notification.objects.get(event_type="cancellation.created")
    assert received.status == Notification.Status.PENDING

    # When a supervisor approves it in a later change
    cancellation = CancellationRequest.objects.get(pk=response.json()["id"])
    cancellation_approve(cancellation=cancellation, actor=Actor.for_user(supervisor.user))

    # Then the customer is told the decision only
    received.refresh_from_db()
    assert received.status == Notification.Status.SUPPRESSED
    assert Notification.objects.get(event_type="cancellation.approved").status == "pending"

"""Supervisors' admin: template preview, redelivery, retries, lists."""

import pytest
from django.core import mail

from notifications import sending
from notifications.models import MessageTemplate, Notification, WebhookDelivery
from notifications.services import event_emit

pytestmark = pytest.mark.django_db


def test_a_template_is_previewed_against_a_sample_request(admin_client, retailer, branding):
    # Given a retailer override of the approval message
    template = MessageTemplate.objects.create(
        retailer=retailer,
        event_type="cancellation.approved",
        subject="{{ brand.name }}: order {{ order.external_id }} cancelled",
        text=(
            "Refund {{ cancellation.refund_total }} within {{ cancellation.refund_timeline_text }}"
        ),
        html="<p>Refund <b>{{ cancellation.refund_total }}</b></p>",
    )

    # When a supervisor opens it
    response = admin_client.get(f"/admin/notifications/messagetemplate/{template.pk}/change/")

    # Then it shows rendered on a made-up request (the retailer has none yet)
    html = response.content.decode()
    assert "Rendered against a made-up sample request" in html
    assert "Acme Outfitters: order ORD-10042 cancelled" in html
    assert "Refund $71.50 within 5-10 business days" in html
    # the HTML body, escaped inside the iframe's srcdoc attribute
    assert 'srcdoc="&lt;p&gt;Refund &lt;b&gt;$71.50&lt;/b&gt;&lt;/p&gt;"' in html


def test_add_starts_from_the_shipped_wording(admin_client):
    response = admin_client.get(
        "/admin/notifications/messagetemplate/add/?event_type=refund.failed"
    )
    html = response.content.decode()
    assert "We could not refund {{ refund.amount }} yet" in html


def test_a_template_with_a_syntax_error_is_refused(admin_client, retailer):
    response = admin_client.post(
        "/admin/notifications/messagetemplate/add/",
        {
            "retailer": retailer.pk,
            "event_type": "cancellation.approved",
            "channel": "email",
            "language": "en",
            "subject": "ok",
            "text": "{% if %}",
            "html": "",
        },
    )
    assert response.status_code == 200
    assert "Template error" in response.content.decode()
    assert MessageTemplate.objects.count() == 0


def test_redeliver_action_posts_the_event_again(
    admin_client, retailer, endpoint, receiver, django_capture_on_commit_callbacks
):
    event_emit(retailer=retailer, event_type="inventory.adjusted", data={"sku": "TEE"})
    delivery = WebhookDelivery.objects.get()
    sending.webhook_deliver(delivery_id=delivery.pk)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/notifications/webhookdelivery/",
            {"action": "redeliver", "_selected_action": [delivery.pk]},
        )

    assert response.status_code == 302
    assert len(receiver.requests) == 2
    page = admin_client.get(f"/admin/notifications/webhookdelivery/{delivery.pk}/change/")
    assert page.content.decode().count("200") >= 2  # both attempts in the inline log


def test_retry_action_sends_a_failed_message_again(
    admin_client, make_order, submit, django_capture_on_commit_callbacks
):
    make_order(lines=(("l1", "TEE", 1, "24.00"),))
    with django_capture_on_commit_callbacks(execute=False):
        submit(channel="phone")
    notification = Notification.objects.get(event_type="cancellation.awaiting_customer")
    Notification.objects.filter(pk=notification.pk).update(status="failed")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            "/admin/notifications/notification/",
            {"action": "retry", "_selected_action": [notification.pk]},
        )

    notification.refresh_from_db()
    assert notification.status == "sent"
    assert len(mail.outbox) == 1


def test_admin_lists_render_with_bounded_queries(
    admin_client, retailer, endpoint, make_order, django_assert_max_num_queries
):
    for n in range(5):
        make_order(f"ord-{n}", lines=(("l1", "TEE", 1, "24.00"),))
    for path in (
        "notification/?status=pending",
        "webhookdelivery/?status=pending",
        "endpointhealth/",
        "messagetemplate/",
    ):
        with django_assert_max_num_queries(12):
            response = admin_client.get(f"/admin/notifications/{path}")
        assert response.status_code == 200

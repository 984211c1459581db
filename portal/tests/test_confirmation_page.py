"""The customer's confirmation page, reached from the signed link in the message."""

import re
from datetime import timedelta

import pytest
from django.core import mail, signing
from django.test import Client
from django.utils import timezone

from cancellations.links import SALT, confirmation_token
from cancellations.models import CancellationRequest
from notifications.models import Notification
from orders.models import OrderEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def awaiting(make_order, submit, branding, django_capture_on_commit_callbacks):
    make_order(lines=(("l1", "TEE", 2, "24.00"),), shipping="5.00")
    with django_capture_on_commit_callbacks(execute=True):
        data = submit(channel="phone").json()
    assert data["status"] == "awaiting_customer"
    return CancellationRequest.objects.get(pk=data["id"])


@pytest.fixture
def browser_client():
    return Client(enforce_csrf_checks=True)


def _page(client, cancellation):
    return client.get(f"/c/{confirmation_token(cancellation)}/")


def _csrf(response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode())[1]


def _post(client, cancellation, action):
    page = _page(client, cancellation)
    return client.post(
        f"/c/{confirmation_token(cancellation)}/",
        {"action": action, "csrfmiddlewaretoken": _csrf(page)},
    )


def test_the_page_shows_the_request_with_confirm_and_decline(awaiting, browser_client):
    response = _page(browser_client, awaiting)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Order ord-1" in html
    assert "TEE" in html and "$48.00" in html
    assert "$53.00" in html  # with shipping
    assert 'value="confirm"' in html and 'value="decline"' in html
    assert "Acme Outfitters" in html and "#0b5394" in html
    assert "/static/portal/customer.css" in html


def test_confirm_approves_and_a_second_click_does_nothing_twice(
    awaiting, browser_client, django_capture_on_commit_callbacks
):
    # When the customer confirms
    with django_capture_on_commit_callbacks(execute=True):
        response = _post(browser_client, awaiting, "confirm")

    # Then the request is verified again and approved, and the page says so
    assert response.status_code == 302
    page = browser_client.get(response["Location"])
    assert "Your cancellation is confirmed" in page.content.decode()
    awaiting.refresh_from_db()
    assert awaiting.status == "completed"  # approved, and its refund went through
    confirmed = OrderEvent.objects.filter(kind="cancellation.confirmed")
    assert confirmed.get().actor_kind == "customer"

    # When the customer clicks again (a stale tab)
    page = browser_client.get(f"/c/{confirmation_token(awaiting)}/")
    again = browser_client.post(
        f"/c/{confirmation_token(awaiting)}/",
        {"action": "confirm", "csrfmiddlewaretoken": browser_client.cookies["csrftoken"].value},
    )

    # Then nothing happens twice: the page only shows where it stands
    assert again.status_code == 200
    assert "Your cancellation is confirmed" in again.content.decode()
    assert confirmed.count() == 1
    assert OrderEvent.objects.filter(kind="cancellation.approved").count() == 1


def test_decline_withdraws_the_request(awaiting, browser_client):
    response = _post(browser_client, awaiting, "decline")

    page = browser_client.get(response["Location"])
    assert "Nothing was cancelled" in page.content.decode()
    awaiting.refresh_from_db()
    assert awaiting.status == "withdrawn"
    event = OrderEvent.objects.get(kind="cancellation.withdrawn")
    assert (event.actor_kind, event.message) == ("customer", "declined by the customer")


def test_a_post_without_the_csrf_token_is_refused(awaiting, browser_client):
    response = browser_client.post(f"/c/{confirmation_token(awaiting)}/", {"action": "confirm"})
    assert response.status_code == 403
    awaiting.refresh_from_db()
    assert awaiting.status == "awaiting_customer"


def test_an_expired_link_shows_a_clear_page_and_changes_nothing(awaiting, browser_client):
    CancellationRequest.objects.filter(pk=awaiting.pk).update(
        confirmation_expires_at=timezone.now() - timedelta(minutes=1)
    )
    awaiting.refresh_from_db()

    response = _page(browser_client, awaiting)

    assert response.status_code == 410
    html = response.content.decode()
    assert "This link has expired" in html and "ord-1" in html
    assert 'value="confirm"' not in html


def test_a_tampered_link_shows_a_clear_page(awaiting, browser_client):
    token = confirmation_token(awaiting)
    forged = signing.dumps({"c": awaiting.pk, "e": 4102444800}, salt=SALT + "x")
    for bad in (token[:-3] + "abc", forged, "nonsense"):
        response = browser_client.get(f"/c/{bad}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()


def test_a_customer_stops_non_essential_messages_from_the_link_in_one(
    make_order, submit, browser_client, django_capture_on_commit_callbacks
):
    # Given an approval e-mail (non-essential), which carries the preferences link
    order = make_order(lines=(("l1", "TEE", 1, "24.00"),))
    with django_capture_on_commit_callbacks(execute=True):
        submit(channel="storefront")
    approved = next(m for m in mail.outbox if "is approved" in m.subject)
    refunded = next(m for m in mail.outbox if "refund of" in m.subject)
    link = re.search(r"Fewer messages like this: (\S+)", approved.body)[1]
    assert approved.extra_headers["List-Unsubscribe"] == f"<{link}>"
    assert "Fewer messages" not in refunded.body  # essential: no way to opt out of it

    # When the customer opens it and stops non-essential messages
    path = link.removeprefix("http://127.0.0.1:8000")
    page = browser_client.get(path)
    assert "Stop non-essential messages" in page.content.decode()
    response = browser_client.post(path, {"choice": "stop", "csrfmiddlewaretoken": _csrf(page)})
    assert "only the messages you need" in browser_client.get(response["Location"]).content.decode()

    # Then the next non-essential message is suppressed
    order.customer.message_preference.refresh_from_db()
    assert order.customer.message_preference.opted_out
    make_order("ord-2", lines=(("l1", "TEE", 1, "24.00"),))
    with django_capture_on_commit_callbacks(execute=True):
        submit(order="ord-2", channel="storefront")
    second = Notification.objects.get(
        event_type="cancellation.approved", order__external_id="ord-2"
    )
    assert second.status == "suppressed"


def test_a_tampered_preferences_link_is_refused(browser_client):
    assert browser_client.get("/c/messages/eyJ1IjoxfQ:forged:sig/").status_code == 400

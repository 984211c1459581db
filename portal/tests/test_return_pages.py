"""The customer's return pages: start a return from a signed order link, follow it,
download the label."""

from datetime import timedelta

import pytest
from django.utils import timezone

from retailers.services import policy_current
from returns.links import return_start_url, return_url
from returns.models import Return

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(make_order, retailer, stock):
    stock("TEE-L", 3)
    return make_order(
        lines=(("l1", "TEE-M", 2, "24.00"), ("l2", "CAP", 1, "22.00")),
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=2)).isoformat(),
    )


@pytest.fixture
def stock(retailer):
    from inventory.services import stock_set_on_hand
    from kernel.actors import Actor

    def put(sku, on_hand):
        stock_set_on_hand(
            retailer=retailer,
            sku=sku,
            warehouse_code="main",
            on_hand=on_hand,
            actor=Actor.system("test"),
        )

    return put


def _path(url):
    return url.replace("http://127.0.0.1:8000", "")


def test_the_customer_picks_units_reason_and_resolution_and_gets_the_label(
    client, shipped, retailer, branding
):
    start = _path(return_start_url(shipped, policy_current(retailer=retailer)))
    page = client.get(start)
    assert page.status_code == 200
    assert b"Return items from order ord-1" in page.content
    line = shipped.lines.get(external_id="l1")

    response = client.post(
        start,
        {
            f"qty_{line.pk}": "1",
            f"sku_{line.pk}": "TEE-M",
            "reason": "changed_mind",
            "resolution": "refund",
        },
    )

    created = Return.objects.get()
    assert response.status_code == 302
    assert response["Location"] == return_url(created)
    assert (created.status, created.reason, created.created_by) == (
        "authorised",
        "changed_mind",
        "customer",
    )
    assert [(row.line.external_id, row.quantity) for row in created.lines.all()] == [("l1", 1)]
    shown = client.get(_path(response["Location"]))
    assert b"Your return is approved" in shown.content
    assert created.tracking_number.encode() in shown.content
    label = client.get(_path(response["Location"]) + "label.pdf")
    assert (label.status_code, label["Content-Type"]) == (200, "application/pdf")


def test_an_exchange_from_the_portal_reserves_the_new_size(client, shipped, retailer):
    start = _path(return_start_url(shipped, policy_current(retailer=retailer)))
    line = shipped.lines.get(external_id="l1")

    client.post(
        start,
        {
            f"qty_{line.pk}": "1",
            f"sku_{line.pk}": "TEE-L",
            "reason": "other",
            "resolution": "exchange",
        },
    )

    created = Return.objects.get()
    assert created.resolution == "exchange"
    assert [(x.sku, x.quantity, x.reserved_quantity) for x in created.exchange_lines.all()] == [
        ("TEE-L", 1, 1)
    ]


def test_nothing_picked_is_said_and_writes_nothing(client, shipped, retailer):
    start = _path(return_start_url(shipped, policy_current(retailer=retailer)))

    response = client.post(start, {"reason": "changed_mind", "resolution": "refund"})

    assert response.status_code == 200
    assert b"Choose at least one item to return." in response.content
    assert not Return.objects.exists()


def test_a_tampered_link_does_not_work_and_a_closed_window_says_so(
    client, shipped, retailer, set_policy
):
    assert client.get("/r/not-a-token/").status_code == 400
    assert client.get("/r/return/not-a-token/").status_code == 404
    policy = set_policy(return_window_days=1)
    expired = client.get(_path(return_start_url(shipped, policy)))
    assert expired.status_code == 410
    assert b"The return window has closed" in expired.content

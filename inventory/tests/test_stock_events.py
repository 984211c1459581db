"""The outbound adapter: every movement tells the retailer's stock system where it stands."""

import pytest
from django.db import connection

from inventory import services
from inventory.models import StockLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def emitted(monkeypatch):
    """What reached notifications.event_emit (the edge of inventory), and in what state."""
    calls = []

    def record(**kwargs):
        level = kwargs["subject"]
        stored = StockLevel.objects.get(pk=level.pk)
        calls.append(
            {
                **kwargs,
                "in_transaction": connection.in_atomic_block,
                "stored": (stored.on_hand, stored.reserved),
            }
        )

    monkeypatch.setattr(services, "event_emit", record)
    return calls


def test_each_movement_emits_inventory_adjusted_with_the_new_level(move, emitted, retailer):
    move("TEE", "receive", 10)
    move("TEE", "reserve", 3, warehouse="main")

    assert [call["event_type"] for call in emitted] == ["inventory.adjusted"] * 2
    last = emitted[-1]
    assert last["retailer"] == retailer
    assert last["data"] == {
        "sku": "TEE",
        "warehouse": "main",
        "on_hand": 10,
        "reserved": 3,
        "available": 7,
        "movement": {"kind": "reserve", "quantity": 3},
    }
    assert last["subject"] == StockLevel.objects.get()
    # inside the movement's transaction, after the level was written
    assert last["in_transaction"] is True
    assert last["stored"] == (10, 3)


def test_a_negative_adjust_reports_its_size(api, move, emitted):
    move("TEE", "receive", 10)

    api.put("/api/v1/inventory/TEE", {"warehouse": "main", "on_hand": 4}, format="json")

    assert emitted[-1]["data"]["movement"] == {"kind": "adjust", "quantity": 6}
    assert emitted[-1]["data"]["on_hand"] == 4


def test_no_movement_no_event(api, move, emitted):
    move("TEE", "receive", 4)
    emitted.clear()

    api.put("/api/v1/inventory/TEE", {"warehouse": "main", "on_hand": 4}, format="json")

    assert emitted == []


def test_an_idempotent_replay_emits_nothing(move, emitted):
    move("TEE", "receive", 4, idempotency_key="po-1")
    move("TEE", "receive", 4, idempotency_key="po-1")

    assert len(emitted) == 1


def test_a_count_reaches_the_retailers_webhook_outbox(api, retailer, other_retailer):
    # Given two endpoints of ours, one wanting stock events, and one of another retailer
    from notifications.models import WebhookDelivery
    from retailers.models import WebhookEndpoint

    wants = WebhookEndpoint.objects.create(
        retailer=retailer, url="https://stock.example/hook", secret="s", events=[]
    )
    WebhookEndpoint.objects.create(
        retailer=retailer,
        url="https://crm.example/hook",
        secret="s",
        events=["cancellation.created"],
    )
    WebhookEndpoint.objects.create(
        retailer=other_retailer, url="https://globex.example/hook", secret="s"
    )

    # When the storefront counts 5 TEE
    api.put("/api/v1/inventory/TEE", {"warehouse": "main", "on_hand": 5}, format="json")

    # Then one delivery is waiting for the endpoint that wants it, with the new level
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == wants
    assert delivery.event_type == "inventory.adjusted"
    assert delivery.payload["data"] == {
        "sku": "TEE",
        "warehouse": "main",
        "on_hand": 5,
        "reserved": 0,
        "available": 5,
        "movement": {"kind": "adjust", "quantity": 5},
    }


def test_a_rolled_back_movement_tells_nobody(move, retailer):
    from django.db import transaction

    from notifications.models import WebhookDelivery
    from retailers.models import WebhookEndpoint

    WebhookEndpoint.objects.create(retailer=retailer, url="https://stock.example/h", secret="s")

    # When the caller's transaction fails after stock moved
    with pytest.raises(RuntimeError), transaction.atomic():
        move("TEE", "receive", 3)
        assert WebhookDelivery.objects.count() == 1  # written with the movement...
        raise RuntimeError("the order could not be saved")

    # Then neither the movement nor its webhook survive
    assert not StockLevel.objects.filter(on_hand=3).exists()
    assert not WebhookDelivery.objects.exists()

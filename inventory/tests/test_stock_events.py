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

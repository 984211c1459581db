from datetime import timedelta

import pytest
from django.utils import timezone

from inventory.services import stock_set_on_hand
from kernel.actors import Actor


@pytest.fixture
def shipped_order(make_order):
    """An order shipped a day ago (stock counted on hand by the storefront's feed)."""

    def make(external_id="ord-1", **kwargs):
        kwargs.setdefault("fulfillment_status", "shipped")
        kwargs.setdefault("shipped_at", (timezone.now() - timedelta(days=1)).isoformat())
        return make_order(external_id, **kwargs)

    return make


@pytest.fixture
def start_return(api):
    """POST /api/v1/returns as the `retailer` storefront; returns the response."""

    def post(order="ord-1", reason="changed_mind", **fields):
        return api.post(
            "/api/v1/returns", {"order": order, "reason": reason, **fields}, format="json"
        )

    return post


@pytest.fixture
def act(api):
    """POST /api/v1/returns/{id}/{action} with a body; returns the response."""

    def post(return_id, action, body=None):
        return api.post(f"/api/v1/returns/{return_id}/{action}", body or {}, format="json")

    return post


@pytest.fixture
def stock(retailer):
    def put(sku, on_hand, warehouse="main"):
        return stock_set_on_hand(
            retailer=retailer,
            sku=sku,
            warehouse_code=warehouse,
            on_hand=on_hand,
            actor=Actor.system("test"),
        )

    return put

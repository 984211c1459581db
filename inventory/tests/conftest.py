import pytest

from inventory.models import StockLevel
from inventory.services import stock_move
from kernel.actors import Actor


@pytest.fixture
def move(retailer):
    """Move stock for the `retailer` through the real service."""

    def run(sku="SKU-1", kind="receive", quantity=1, warehouse="main", **kwargs):
        return stock_move(
            retailer=kwargs.pop("retailer", retailer),
            sku=sku,
            warehouse_code=warehouse,
            kind=kind,
            quantity=quantity,
            actor=kwargs.pop("actor", Actor.system("test")),
            **kwargs,
        )

    return run


def level_of(sku, warehouse="main", retailer=None) -> StockLevel:
    levels = StockLevel.objects.filter(sku=sku, warehouse__code=warehouse)
    if retailer is not None:
        levels = levels.filter(retailer=retailer)
    return levels.get()


def ledger_of(level) -> tuple[int, int]:
    """(on_hand, reserved) as the sum of the level's movements."""
    moves = level.movements.all()
    return (
        sum(m.on_hand_delta for m in moves),
        sum(m.reserved_delta for m in moves),
    )

"""Stock moved from several connections at once (PostgreSQL: real row locks)."""

import pytest

from inventory.models import StockMovement
from inventory.services import stock_move
from inventory.tests.conftest import ledger_of, level_of
from kernel.actors import Actor
from tests.threads import run_together

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_threads_moving_one_new_sku_leave_level_equal_to_ledger(retailer):
    # Given a SKU that has no level yet, so both threads also race to create it
    def mover(kind, times):
        def run():
            for _ in range(times):
                stock_move(
                    retailer=retailer,
                    sku="TEE",
                    warehouse_code="main",
                    kind=kind,
                    quantity=1,
                    actor=Actor.system("thread"),
                )

        return run

    # When one thread receives 30 units while another reserves 30, one at a time
    run_together([mover("receive", 30), mover("reserve", 30)])

    # Then no update was lost
    level = level_of("TEE")
    assert (level.on_hand, level.reserved) == (30, 30)
    assert ledger_of(level) == (30, 30)
    assert StockMovement.objects.count() == 60


def test_the_same_key_from_two_threads_moves_stock_once(retailer):
    stock_move(
        retailer=retailer,
        sku="TEE",
        warehouse_code="main",
        kind="reserve",
        quantity=5,
        actor=Actor.system(),
    )

    def release():
        stock_move(
            retailer=retailer,
            sku="TEE",
            warehouse_code="main",
            kind="release",
            quantity=2,
            actor=Actor.system("thread"),
            idempotency_key="cancellationline:1:release",
        )

    run_together([release, release, release])

    level = level_of("TEE")
    assert level.reserved == 3
    assert ledger_of(level) == (0, 3)
    assert StockMovement.objects.filter(kind="release").count() == 1

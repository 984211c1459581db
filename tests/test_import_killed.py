"""import_orders killed mid-way (SIGKILL, a real process) and run again ends exactly as
an uninterrupted import: no half batch, no customer without its order, nothing twice."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import order_payload
from inventory.models import StockLevel
from orders.models import Customer, Order, OrderLine, Payment
from tests.celery_worker import _test_database_url, wait_until
from tests.test_import_orders import check_stock_is_clean, write_lines

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
ORDERS, BATCH = 3000, 50


def import_process(path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _test_database_url(),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "import_orders",
            str(path),
            "--retailer",
            "acme",
            "--batch-size",
            str(BATCH),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_import_killed_mid_way_and_run_again_ends_in_the_same_state(tmp_path, retailer):
    # Given a file of 3,000 orders, each with its own new customer
    lines = [
        {
            "external_id": f"K-{n}",
            **order_payload(
                lines=((f"l{n}", f"SKU-{n % 5}", 1 + n % 3, "10.00"),), customer=f"kc-{n}"
            ),
        }
        for n in range(ORDERS)
    ]
    path = write_lines(tmp_path, lines)

    # When the import is killed -9 once some batches are in
    process = import_process(path)
    wait_until(
        lambda: Order.objects.count() >= 5 * BATCH,
        timeout=60,
        interval=0.01,
        message="the import wrote nothing",
    )
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL
    time.sleep(0.2)  # the server notices the dropped connection and rolls back

    # Then what it left is whole batches, customers included, nothing half-written
    kept = Order.objects.count()
    assert 0 < kept < ORDERS, "killed too late to prove anything"
    assert kept % BATCH == 0
    assert Customer.objects.count() == kept
    assert OrderLine.objects.count() == kept == Payment.objects.count()

    # When it is run again to the end
    again = import_process(path)
    out, err = again.communicate(timeout=300)
    assert again.returncode == 0, err[-2000:]
    assert f"{ORDERS - kept:,} created" in out and f"{kept:,} unchanged" in out

    # Then the end state is that of one uninterrupted import
    assert Order.objects.count() == ORDERS == Customer.objects.count()
    expected = {f"SKU-{k}": 0 for k in range(5)}
    for n in range(ORDERS):
        expected[f"SKU-{n % 5}"] += 1 + n % 3
    assert dict(StockLevel.objects.values_list("sku", "reserved")) == expected
    assert "consistent" in check_stock_is_clean()
    assert OrderLine.objects.count() == ORDERS == Payment.objects.count()
    assert sorted(Order.objects.values_list("external_id", flat=True)) == sorted(
        f"K-{n}" for n in range(ORDERS)
    )

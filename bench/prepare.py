"""Set up the benchmark's tenants through the product's own services, then stock them.

Run by bench/run.py with the bench settings, on the fresh benchmark database:

    python -m bench.prepare --skus 50000 --webhook-url http://127.0.0.1:8025/hook ...

Creates the retailers (policy version 1, the SPEC defaults), one API key each, an agent
serving all of them, one webhook endpoint each (every event), and the catalogue: a stock
level per SKU in the warehouse `bench/gen_orders.py` puts it in, received through one
`receive` movement each (written with COPY, so the ledger sums to the levels as
`stock_move` would leave it). Prints what the runner needs as JSON on its last line.
"""

import argparse
import io
import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.gen_orders import WAREHOUSES  # noqa: E402
from inventory.models import StockLevel, StockMovement  # noqa: E402
from inventory.services import warehouse_get_or_create  # noqa: E402
from notifications.services import webhook_endpoint_create  # noqa: E402
from retailers.models import StaffMember  # noqa: E402
from retailers.services import api_key_create, retailer_create, staff_create  # noqa: E402

ON_HAND = 10_000


def stock(retailer, skus: int, warehouses: int) -> None:
    codes = WAREHOUSES[:warehouses]
    by_code = {code: warehouse_get_or_create(retailer=retailer, code=code) for code in codes}
    now = timezone.now().isoformat()
    levels = io.StringIO()
    for n in range(skus):
        warehouse = by_code[codes[n % len(codes)]]  # where gen_orders ships SKU n from
        levels.write(f"SKU-{n:06d}\t{ON_HAND}\t0\t{now}\t{retailer.pk}\t{warehouse.pk}\n")
    level_table = StockLevel._meta.db_table
    movement_table = StockMovement._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        with cursor.copy(
            f"COPY {level_table} (sku, on_hand, reserved, updated_at, retailer_id, warehouse_id)"
            " FROM STDIN"
        ) as copy:
            copy.write(levels.getvalue())
        cursor.execute(
            f"INSERT INTO {movement_table} (kind, quantity, on_hand_delta, reserved_delta,"
            " source_type, actor_label, created_at, level_id, retailer_id)"
            f" SELECT 'receive', on_hand, on_hand, 0, '', 'bench opening stock', updated_at,"
            f" id, retailer_id FROM {level_table} WHERE retailer_id = %s",
            [retailer.pk],
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--retailer", action="append", required=True)
    parser.add_argument("--skus", type=int, required=True)
    parser.add_argument("--warehouses", type=int, default=2)
    parser.add_argument("--webhook-url", required=True)
    parser.add_argument("--agent", default="bench-agent")
    parser.add_argument("--password", required=True)
    args = parser.parse_args()

    out = {"retailers": {}, "agent": args.agent}
    retailers = []
    for slug in args.retailer:
        retailer = retailer_create(slug=slug, name=slug.title(), currency="USD")
        _key_row, key = api_key_create(retailer=retailer, name="bench storefront")
        webhook_endpoint_create(retailer=retailer, url=args.webhook_url)
        stock(retailer, args.skus, args.warehouses)
        retailers.append(retailer)
        out["retailers"][slug] = {"id": retailer.pk, "key": key}
    staff_create(
        username=args.agent,
        role=StaffMember.Role.AGENT,
        password=args.password,
        retailers=retailers,
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()

"""Write N realistic orders as JSON lines for `manage.py import_orders`.

    python bench/gen_orders.py orders.jsonl --count 1000000 --retailer acme --retailer globex

Each line is a `PUT /api/v1/orders/{external_id}` body plus `external_id` and, when
retailers are named, `retailer` (round robin). Orders average three lines over a
catalogue of `--skus` SKUs with a few best sellers, spread over `--warehouses`
warehouses; most are old and delivered, recent ones still unfulfilled (they reserve
stock when imported). Amounts are computed in integer cents, so every order's payments
add up to its total exactly. The same arguments and `--seed` always give the same file.
Standalone: needs neither Django nor a database.
"""

import argparse
import json
import random
import sys
from datetime import UTC, datetime, timedelta

WAREHOUSES = ["main", "east", "west", "north", "south"]
FIRST_NAMES = ["Ana", "Ben", "Chloé", "Dev", "Eun-ji", "Femi", "Gus", "Hana", "Ivo", "Jun"]
LAST_NAMES = ["Silva", "Okafor", "Nguyen", "Müller", "Haddad", "Kowalski", "Sato", "Reyes"]
TITLES = ["Tee", "Cap", "Hoodie", "Socks", "Mug", "Poster", "Tote", "Jacket", "Scarf", "Beanie"]
# Lines per order: 1 to 5, three on average.
LINE_COUNTS, LINE_WEIGHTS = [1, 2, 3, 4, 5], [15, 20, 30, 20, 15]


def cents(amount: int) -> str:
    return f"{amount // 100}.{amount % 100:02d}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", help='Output file, or "-" for standard output.')
    parser.add_argument("--count", type=int, default=10_000, help="Orders to write.")
    parser.add_argument(
        "--retailer",
        action="append",
        default=[],
        help="Retailer slug put on each line, in turn (repeat for several).",
    )
    parser.add_argument("--skus", type=int, default=50_000)
    parser.add_argument("--warehouses", type=int, default=2, choices=range(1, 6))
    parser.add_argument("--customers", type=int, default=0, help="Default: a third of --count.")
    parser.add_argument(
        "--unfulfilled", type=float, default=0.2, help="Share of orders not shipped yet."
    )
    parser.add_argument(
        "--flaky", type=float, default=0.02, help="Share of payments the sandbox fails twice."
    )
    parser.add_argument(
        "--decline", type=float, default=0.01, help="Share of payments the sandbox declines."
    )
    parser.add_argument("--days", type=int, default=365, help="History spread over this many days.")
    parser.add_argument("--prefix", default="ord-", help="Order external id prefix.")
    parser.add_argument("--start", type=int, default=1, help="First order number.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--currency", default="USD")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    now = datetime.now(UTC).replace(microsecond=0)
    customers = args.customers or max(1, args.count // 3)
    warehouses = WAREHOUSES[: args.warehouses]
    out = sys.stdout if args.out == "-" else open(args.out, "w", encoding="utf-8")  # noqa: SIM115
    try:
        for n in range(args.start, args.start + args.count):
            order = make_order(n, args, rng, now, customers, warehouses)
            if args.retailer:
                order["retailer"] = args.retailer[n % len(args.retailer)]
            out.write(json.dumps(order, ensure_ascii=False, separators=(",", ":")))
            out.write("\n")
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def make_order(n, args, rng, now, customers, warehouses) -> dict:
    unfulfilled = rng.random() < args.unfulfilled
    if unfulfilled:  # recent: not shipped yet
        placed = now - timedelta(minutes=rng.randint(5, 36 * 60))
    else:
        placed = now - timedelta(minutes=rng.randint(3 * 24 * 60, args.days * 24 * 60))
    body = {"external_id": f"{args.prefix}{n:08d}", "placed_at": placed.isoformat()}

    lines, total = [], 0
    for position in range(rng.choices(LINE_COUNTS, LINE_WEIGHTS)[0]):
        # Squaring a uniform draw makes low SKU numbers the best sellers.
        sku = int(args.skus * rng.random() ** 2)
        quantity = rng.choices([1, 2, 3], [70, 20, 10])[0]
        unit = rng.randint(200, 20_000)
        discount = (quantity * unit * rng.choice([5, 10, 20]) // 100) if rng.random() < 0.1 else 0
        tax = ((quantity * unit - discount) * 8 + 50) // 100  # 8%, half up
        total += quantity * unit - discount + tax
        lines.append(
            {
                "external_id": f"{n}-{position + 1}",
                "sku": f"SKU-{sku:06d}",
                "title": f"{TITLES[sku % len(TITLES)]} #{sku}",
                "quantity": quantity,
                "unit_price": cents(unit),
                "discount": cents(discount),
                "tax": cents(tax),
                "warehouse": warehouses[sku % len(warehouses)],
                "final_sale": rng.random() < 0.03,
            }
        )
    shipping = rng.choice([0, 0, 499, 999])
    total += shipping

    customer = rng.randint(1, customers)
    first, last = FIRST_NAMES[customer % 10], LAST_NAMES[customer % 8]
    body.update(
        currency=args.currency,
        customer={
            "external_id": f"cust-{customer:07d}",
            "email": f"customer{customer}@shoppers.example",
            "name": f"{first} {last}",
            "phone": f"+1555{customer:07d}",
        },
        shipping=cents(shipping),
        lines=lines,
        payments=payments(n, total, args, rng),
    )
    if not unfulfilled:
        shipped = placed + timedelta(hours=rng.randint(4, 72))
        delivered = shipped + timedelta(hours=rng.randint(24, 120))
        if delivered < now:
            body.update(
                fulfillment_status="delivered",
                shipped_at=shipped.isoformat(),
                delivered_at=delivered.isoformat(),
            )
        else:
            body.update(fulfillment_status="shipped", shipped_at=shipped.isoformat())
    else:
        body["fulfillment_status"] = "unfulfilled"
    return body


def payments(n, total, args, rng) -> list[dict]:
    def reference(kind):
        draw = rng.random()
        if draw < args.decline:
            return f"sandbox_decline_{kind}_{n}"
        if draw < args.decline + args.flaky:
            return f"sandbox_flaky_{kind}_{n}"
        return f"{kind}_{n}"

    if total > 2000 and rng.random() < 0.1:  # part on a gift card, the rest by card
        gift = min(rng.choice([1000, 2500, 5000]), total - 100)
        return [
            {
                "external_id": "p1",
                "method": "gift_card",
                "amount": cents(gift),
                "reference": reference("gc"),
            },
            {
                "external_id": "p2",
                "method": "card",
                "amount": cents(total - gift),
                "reference": reference("ch"),
            },
        ]
    method = "paypal" if rng.random() < 0.1 else "card"
    return [
        {
            "external_id": "p1",
            "method": method,
            "amount": cents(total),
            "reference": reference("ch"),
        }
    ]


if __name__ == "__main__":
    sys.exit(main())

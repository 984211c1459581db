"""Demo of SPEC §12 for `make run`: Harbor Home, a retailer whose Shopify shop is
connected, with orders ingested through the real webhook path (stored deliveries,
applied by the worker code), one cancelled and one refunded in Shopify, one whose
figures do not add up; and orders the warehouse is picking, one of them waiting for
the warehouse's answer to a cancellation."""

import json
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from cancellations.services import cancellation_submit
from connectors.services import deliveries_process, delivery_receive
from kernel.actors import Actor
from kernel.timeline import EventKind, order_event_record
from orders.models import Order
from orders.services import order_upsert
from retailers.models import ApiKey, Retailer, StaffMember, hash_api_key
from retailers.services import retailer_create, shopify_connect

SHOP = "harbor-home.myshopify.com"
# Published for the demo only (seed_demo refuses production settings).
SECRET = "shpss_demo_harbor_webhook_secret_0003"
KEY = "rsk_demo_harbor_storefront_key_0003"
DEMO_SHOPIFY = {"slug": "harbor", "shop": SHOP, "secret": SECRET, "key": KEY}

PRODUCTS = [
    ("LAMP-BRASS", "Brass reading lamp", "89.00", 4001),
    ("THROW-WOOL", "Wool throw, oat", "120.00", 4002),
    ("MUG-SET", "Stoneware mugs, set of 4", "42.00", 4003),
    ("RUG-JUTE", "Jute rug 160x230", "249.00", 4004),
]
PEOPLE = [("Maya", "Lind"), ("Omar", "Reyes"), ("Sofia", "Brandt"), ("Theo", "Nakamura")]


def _shopify_order(n: int, *, now, items, discount="0.00", tax_rate=None, extra=None) -> dict:
    """A Shopify order body of the shape Shopify sends (ids as big integers)."""
    order_id = 6100000000000000000 + n
    first, last = PEOPLE[n % len(PEOPLE)]
    line_items, subtotal = [], 0
    for i, (sku, title, price, variant) in enumerate(items):
        tax_lines = []
        if tax_rate:
            tax = f"{float(price) * tax_rate:.2f}"
            tax_lines = [{"title": "State tax", "price": tax, "rate": tax_rate}]
        line_items.append(
            {
                "id": order_id * 10 + i,
                "variant_id": variant,
                "sku": sku,
                "title": title,
                "quantity": 1,
                "price": price,
                "price_set": {"shop_money": {"amount": price, "currency_code": "USD"}},
                "discount_allocations": [{"amount": discount}]
                if i == 0 and discount != "0.00"
                else [],
                "tax_lines": tax_lines,
            }
        )
        subtotal += (
            round(float(price) * 100)
            - (round(float(discount) * 100) if i == 0 else 0)
            + sum(round(float(t["price"]) * 100) for t in tax_lines)
        )
    total = f"{(subtotal + 1200) / 100:.2f}"
    created = (now - timedelta(hours=2 + n)).isoformat()
    body = {
        "id": order_id,
        "email": f"{first.lower()}.{last.lower()}@shoppers.example",
        "created_at": created,
        "updated_at": created,
        "currency": "USD",
        "presentment_currency": "USD",
        "taxes_included": False,
        "total_price": total,
        "total_price_set": {"shop_money": {"amount": total, "currency_code": "USD"}},
        "financial_status": "paid",
        "fulfillment_status": None,
        "cancelled_at": None,
        "payment_gateway_names": ["shopify_payments"],
        "customer": {
            "id": 7200000000000000000 + n,
            "email": f"{first.lower()}.{last.lower()}@shoppers.example",
            "first_name": first,
            "last_name": last,
        },
        "line_items": line_items,
        "shipping_lines": [
            {"title": "Standard", "price": "12.00", "discount_allocations": [], "tax_lines": []}
        ],
    }
    body.update(extra or {})
    return body


def _deliver(connection, topic: str, body: dict, webhook_id: str) -> None:
    delivery, _created = delivery_receive(
        connection=connection,
        topic=topic,
        webhook_id=webhook_id,
        event_id=f"demo-{webhook_id}",
        api_version="2026-01",
        body=json.dumps(body).encode(),
    )
    deliveries_process([delivery.pk])


def seed_connectors(*, retailers, rng, out):
    from demo.world import progress

    now = timezone.now()
    harbor = retailer_create(slug="harbor", name="Harbor Home", currency="USD")
    ApiKey.objects.create(
        retailer=harbor, name="demo storefront", prefix=KEY[:10], key_hash=hash_api_key(KEY)
    )
    connection = shopify_connect(retailer=harbor, shop_domain=SHOP, secret=SECRET)
    # The demo shop has no Admin API token and this machine no network: its refunds and
    # stop requests go through the sandboxes, so the demo works offline.
    Retailer.objects.filter(pk=harbor.pk).update(gateway="sandbox", fulfillment="sandbox")
    harbor.refresh_from_db()
    retailers["harbor"] = harbor
    for member in StaffMember.objects.filter(user__username__in=["agent", "warehouse", "manager"]):
        member.retailers.add(harbor)

    bodies = [
        _shopify_order(1, now=now, items=[PRODUCTS[0], PRODUCTS[2]]),
        _shopify_order(2, now=now, items=[PRODUCTS[1]], discount="12.00", tax_rate=0.0725),
        _shopify_order(3, now=now, items=[PRODUCTS[3], PRODUCTS[2]]),
        _shopify_order(4, now=now, items=[PRODUCTS[0]]),
        # A tip Shopify counts in its total and no line carries: kept, flagged.
        _shopify_order(5, now=now, items=[PRODUCTS[2]], extra={"total_tip_received": "5.00"}),
        _shopify_order(6, now=now, items=[PRODUCTS[1], PRODUCTS[0]]),
    ]
    bodies[4]["total_price"] = bodies[4]["total_price_set"]["shop_money"]["amount"] = "59.00"
    for n, body in enumerate(progress(bodies, out=out, label="shopify orders"), start=1):
        _deliver(connection, "orders/create", body, f"order-{n}")

    # Order 3 cancelled in Shopify's admin, with its refund
    cancelled = {
        **bodies[2],
        "cancelled_at": now.isoformat(),
        "cancel_reason": "customer",
        "updated_at": now.isoformat(),
    }
    _deliver(connection, "orders/cancelled", cancelled, "cancel-3")
    _deliver(
        connection,
        "refunds/create",
        {
            "refund": {
                "id": 8300000000000000003,
                "order_id": bodies[2]["id"],
                "note": "Customer cancelled by phone",
                "refund_line_items": [
                    {"line_item_id": item["id"], "quantity": 1, "line_item": item}
                    for item in bodies[2]["line_items"]
                ],
                "transactions": [
                    {"kind": "refund", "status": "success", "amount": bodies[2]["total_price"]}
                ],
            }
        },
        "refund-3",
    )
    # Order 4 partly refunded in Shopify (a goodwill 20.00 on the lamp)
    _deliver(
        connection,
        "refunds/create",
        {
            "refund": {
                "id": 8300000000000000004,
                "order_id": bodies[3]["id"],
                "note": "Scratched base: goodwill",
                "refund_line_items": [
                    {
                        "line_item_id": bodies[3]["line_items"][0]["id"],
                        "quantity": 1,
                        "line_item": bodies[3]["line_items"][0],
                    }
                ],
                "transactions": [{"kind": "refund", "status": "success", "amount": "20.00"}],
            }
        },
        "refund-4",
    )

    # Order 6: the warehouse is picking it, and the customer asks to cancel
    order_6 = str(bodies[5]["id"])
    # (as the warehouse's system would say with PUT /api/v1/orders/{id}: Shopify itself
    # has no "being picked" status)
    Order.objects.filter(retailer=harbor, external_id=order_6).update(
        fulfillment_status=Order.Fulfillment.IN_PROGRESS
    )
    order_event_record(
        order=Order.objects.get(retailer=harbor, external_id=order_6),
        kind=EventKind.ORDER_FULFILLMENT_CHANGED,
        message="Fulfilment changed from unfulfilled to in_progress.",
        actor=Actor.system("demo warehouse"),
        from_state="unfulfilled",
        to_state="in_progress",
    )
    cancellation_submit(
        retailer=harbor,
        order=order_6,
        reason="changed_mind",
        actor=Actor.system("demo storefront"),
    )
    _acme_at_the_warehouse(retailers["acme"], now)


def _acme_at_the_warehouse(acme, now):
    """Two Acme orders the (sandbox) warehouse is picking: one request waits for its
    answer, the other waited in vain and is with an agent."""
    from cancellations.warehouse import cancellations_warehouse_overdue

    actor = Actor.system("demo data")
    for n, (sku, title, price) in enumerate(
        [
            ("JKT-RAIN-M", "Packable rain jacket, M", "149.00"),
            ("HOOD-GRY-L", "Heavyweight hoodie", "68.00"),
        ]
    ):
        external_id = f"ACME-PICK-{n + 1}"
        order_upsert(
            retailer=acme,
            external_id=external_id,
            data={
                "placed_at": now - timedelta(hours=3),
                "currency": "USD",
                "customer": {
                    "external_id": f"acme-pick-{n}",
                    "email": f"pick{n}@shoppers.example",
                    "name": ["Rosa Marin", "Ken Ito"][n],
                },
                "fulfillment_status": Order.Fulfillment.IN_PROGRESS,
                "shipping": Decimal("6.95"),
                "lines": [
                    {
                        "external_id": "L1",
                        "sku": sku,
                        "title": title,
                        "quantity": 1,
                        "unit_price": Decimal(price),
                        "discount": Decimal(0),
                        "tax": Decimal(0),
                        "final_sale": False,
                        "warehouse": "main",
                    }
                ],
                "payments": [
                    {
                        "external_id": "P1",
                        "method": "card",
                        "amount": Decimal(price) + Decimal("6.95"),
                        "reference": f"ch_pick_{n}",
                    }
                ],
            },
            actor=actor,
        )
        request = cancellation_submit(
            retailer=acme, order=external_id, reason="ordered_by_mistake", actor=actor
        )
        if n == 1:
            type(request).objects.filter(pk=request.pk).update(
                warehouse_due_at=now - timedelta(minutes=5)
            )
    cancellations_warehouse_overdue(now=now)

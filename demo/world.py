"""Demo data for `make run`: two retailers, staff logins and realistic orders.

Deterministic (seeded) and idempotent: a second run finds the data and only prints the
logins. Later domains add their own demo stories in `DEMO_STEPS`.
"""

import random
import sys
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from tqdm import tqdm

from kernel.actors import Actor
from orders.services import order_upsert
from retailers.models import ApiKey, Retailer, hash_api_key
from retailers.services import retailer_create, staff_create

DEMO_PASSWORD = "rescind-demo"
RETAILERS = [
    ("acme", "Acme Outfitters", "USD", "rsk_demo_acme_storefront_key_0001"),
    ("nihon", "Nihon Kitchen", "JPY", "rsk_demo_nihon_storefront_key_0002"),
]
STAFF = [
    ("agent", "agent", ["acme", "nihon"]),
    ("agent2", "agent", ["acme"]),
    ("supervisor", "supervisor", []),
    ("manager", "retailer_manager", ["acme"]),
    ("warehouse", "warehouse", ["acme", "nihon"]),
]
CATALOGUE = {
    "USD": [
        ("TEE-BLK-M", "Organic cotton tee, black, M", "24.00"),
        ("HOOD-GRY-L", "Heavyweight hoodie, grey, L", "68.00"),
        ("JEAN-IND-32", "Selvedge jeans, indigo, 32", "129.00"),
        ("SOCK-3PK", "Merino socks, 3 pack", "18.50"),
        ("CAP-NVY", "Canvas cap, navy", "22.00"),
        ("JKT-RAIN-M", "Packable rain jacket, M", "149.00"),
        ("BOOT-BRN-42", "Leather boots, brown, 42", "219.00"),
        ("BELT-TAN", "Bridle leather belt, tan", "45.00"),
    ],
    "JPY": [
        ("KNIFE-GYUTO", "Gyuto knife 210mm", "18500"),
        ("BOARD-HINOKI", "Hinoki cutting board", "6200"),
        ("POT-DONABE", "Donabe clay pot", "9800"),
        ("TEA-SENCHA", "Sencha, 100g", "1600"),
        ("BOWL-SET", "Rice bowl set of 4", "4400"),
        ("STONE-1000", "Whetstone #1000", "3900"),
    ],
}
FIRST = [
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Emi",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jon",
    "Kai",
    "Lena",
]
LAST = ["Silva", "Okafor", "Martin", "Patel", "Sato", "Haddad", "Kim", "Tanaka", "Rossi", "Berg"]

# Each domain's story, as a dotted path to a callable (retailers, rng, out) -> None.
DEMO_STEPS = [
    "demo.cancellations.seed_cancellations",
    "demo.returns.seed_returns",
    "demo.connectors.seed_connectors",
]


def progress(items, *, out, label: str, total: int | None = None):
    """`items`, with a progress bar on `out` when it is a terminal (tqdm).

    Off a terminal (`make run` piped to a log, CI) nothing is drawn: a redrawn bar
    there is one long line of a thousand updates.
    """
    return tqdm(items, desc=f"  {label}", total=total, file=out, disable=None, leave=True, ncols=80)


def seed(*, orders_per_retailer: int = 180, out=sys.stdout) -> dict:
    """Create the demo world unless it exists; return the logins and keys to print."""
    if Retailer.objects.filter(slug="acme").exists():
        return _logins()
    rng = random.Random(20261126)
    retailers = {}
    for slug, name, currency, key in RETAILERS:
        retailer = retailer_create(slug=slug, name=name, currency=currency)
        ApiKey.objects.create(
            retailer=retailer, name="demo storefront", prefix=key[:10], key_hash=hash_api_key(key)
        )
        retailers[slug] = retailer
    _brand(retailers)
    for username, role, slugs in STAFF:
        staff_create(
            username=username,
            role=role,
            password=DEMO_PASSWORD,
            retailers=[retailers[s] for s in slugs],
        )
    for retailer in retailers.values():
        _seed_orders(retailer, rng, orders_per_retailer, out)
    for step in DEMO_STEPS:
        import_string(step)(retailers=retailers, rng=rng, out=out)
    return _logins()


BRANDS = {
    "acme": ("Acme Outfitters", "#1f3a5f", "#e8b04b", "The Acme Outfitters team"),
    "nihon": ("Nihon Kitchen", "#7a1f2b", "#d9b26f", "Nihon Kitchen customer care"),
}


def _brand(retailers):
    """Each demo retailer speaks in its own voice: name, colours, sender, signature."""
    from notifications.models import Branding

    for slug, (name, primary, accent, signature) in BRANDS.items():
        Branding.objects.update_or_create(
            retailer=retailers[slug],
            defaults={
                "display_name": name,
                "primary_color": primary,
                "accent_color": accent,
                "sender_email": f"care@{slug}.example",
                "support_email": f"help@{slug}.example",
                "support_url": f"https://{slug}.example/help",
                "contact_email": f"ops@{slug}.example",
                "signature": signature,
            },
        )


def _seed_orders(retailer, rng, count, out):
    now = timezone.now()
    actor = Actor.system("demo data")
    catalogue = CATALOGUE[retailer.currency]
    customers = [
        {
            "external_id": f"{retailer.slug}-cust-{i:03d}",
            "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            "phone": f"+1555{rng.randint(1000000, 9999999)}",
        }
        for i in range(max(count // 3, 1))
    ]
    for c in customers:
        c["email"] = (
            c["name"].lower().replace(" ", ".") + f"{c['external_id'][-3:]}@shoppers.example"
        )
    for i in progress(range(count), out=out, label=f"orders for {retailer.slug}"):
        # Most orders are recent (inside the 24h window); some are days or weeks old.
        age = timedelta(hours=rng.choice([1, 2, 3, 5, 8, 12, 20, 30, 50, 90, 200, 400, 700]))
        placed_at = now - age - timedelta(minutes=rng.randint(0, 59))
        lines, total = [], Decimal(0)
        for n, (sku, title, price) in enumerate(rng.sample(catalogue, rng.randint(1, 4)), start=1):
            quantity = rng.choice([1, 1, 1, 2, 2, 3])
            discount = Decimal(0)
            if retailer.currency == "USD" and rng.random() < 0.25:
                discount = (Decimal(price) * quantity * Decimal("0.10")).quantize(Decimal("0.01"))
            tax = (Decimal(price) * quantity - discount) * Decimal("0.08")
            tax = tax.quantize(Decimal("0.01") if retailer.currency == "USD" else Decimal(1))
            final_sale = sku in {"BELT-TAN", "TEA-SENCHA"}
            lines.append(
                {
                    "external_id": f"L{n}",
                    "sku": sku,
                    "title": title,
                    "quantity": quantity,
                    "unit_price": Decimal(price),
                    "discount": discount,
                    "tax": tax,
                    "final_sale": final_sale,
                    "warehouse": rng.choice(["main", "main", "east"]),
                }
            )
            total += Decimal(price) * quantity - discount + tax
        shipping = Decimal("6.95") if retailer.currency == "USD" else Decimal(800)
        total += shipping
        payments = _payments(rng, total, retailer.currency)
        status, shipped_at, delivered_at = "unfulfilled", None, None
        if age > timedelta(hours=48) and rng.random() < 0.7:
            status, shipped_at = "shipped", placed_at + timedelta(hours=30)
            if age > timedelta(hours=150):
                status, delivered_at = "delivered", placed_at + timedelta(hours=96)
        data = {
            "placed_at": placed_at,
            "currency": retailer.currency,
            "customer": rng.choice(customers),
            "fulfillment_status": status,
            "shipped_at": shipped_at,
            "delivered_at": delivered_at,
            "shipping": shipping,
            "lines": lines,
            "payments": payments,
        }
        with transaction.atomic():
            order_upsert(
                retailer=retailer,
                external_id=f"{retailer.slug.upper()}-{10000 + i}",
                data=data,
                actor=actor,
            )


def _payments(rng, total, currency):
    roll = rng.random()
    if roll < 0.08:
        reference = "sandbox_decline_demo"
    elif roll < 0.16:
        reference = "sandbox_flaky_demo"
    else:
        reference = f"ch_{rng.randint(10**9, 10**10)}"
    if rng.random() < 0.2 and total > 20:
        gift = Decimal(10) if currency == "USD" else Decimal(1000)
        return [
            {
                "external_id": "P1",
                "method": "gift_card",
                "amount": gift,
                "reference": f"gc_{rng.randint(1000, 9999)}",
            },
            {"external_id": "P2", "method": "card", "amount": total - gift, "reference": reference},
        ]
    return [{"external_id": "P1", "method": "card", "amount": total, "reference": reference}]


def _logins() -> dict:
    from demo.connectors import DEMO_SHOPIFY

    return {
        "password": DEMO_PASSWORD,
        "staff": [(u, role, slugs) for u, role, slugs in STAFF],
        "keys": [(slug, key) for slug, _n, _c, key in RETAILERS]
        + [(DEMO_SHOPIFY["slug"], DEMO_SHOPIFY["key"])],
        "shopify": DEMO_SHOPIFY,
    }

"""Demo returns for `make run`: every state, a partial receipt, a wrong item, an
exchange, store credit issued (one after two failed attempts) and fees at work."""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory.services import stock_set_on_hand
from kernel.actors import Actor
from kernel.errors import DomainError
from orders.models import Order
from orders.services import order_upsert
from retailers.models import ApiKey
from retailers.services import policy_current, policy_update
from returns.inspection import return_inspect
from returns.models import Return
from returns.receiving import return_mark_shipped, return_receive, returns_expire
from returns.services import return_cancel, return_create, return_decline
from returns.settlement import return_close

CLERK = Actor.system("demo warehouse clerk")


def seed_returns(*, retailers, rng, out):
    from demo.world import progress

    acme, nihon = retailers["acme"], retailers["nihon"]
    # Acme charges for change-of-mind returns and rewards store credit.
    current = policy_current(retailer=acme)
    policy_update(
        retailer=acme,
        values={
            **{name: getattr(current, name) for name in current.EDITABLE_FIELDS},
            "restocking_fee_percent": Decimal("10.00"),
            "return_label_fee": Decimal("3.95"),
            "store_credit_bonus_percent": Decimal("5.00"),
        },
        created_by="demo data",
    )
    storefront = Actor.for_api_key(ApiKey.objects.filter(retailer=acme).first())
    stories = _acme_stories(acme, storefront, rng)
    for story in progress(stories, out=out, label="returns for acme"):
        try:
            story()
        except DomainError as exc:
            out.write(f"\n  (demo return skipped: {exc.detail})\n")
    _nihon_queue(nihon, rng, out)


def _fresh_shipped_orders(retailer):
    """Shipped orders inside the return window that no return holds yet."""
    window = timezone.now() - timedelta(days=25)
    return list(
        Order.objects.filter(
            retailer=retailer,
            fulfillment_status__in=["shipped", "delivered"],
            shipped_at__gte=window,
        )
        .exclude(returns__isnull=False)
        .exclude(external_id__contains="-X")
        .prefetch_related("lines")
        .order_by("external_id")
    )


def _acme_stories(retailer, storefront, rng):
    pool = _demo_orders(retailer, rng)

    def start(reason="changed_mind", **kwargs):
        order = next(pool)
        return order, return_create(
            retailer=retailer, order=order.external_id, reason=reason, actor=storefront, **kwargs
        )

    def everything(order):
        return [
            {"line": line.external_id, "quantity": line.active_quantity}
            for line in order.lines.all()
        ]

    def receive_all(created, order, warehouse=""):
        return return_receive(
            return_request=created, lines=everything(order), actor=CLERK, warehouse=warehouse
        )

    def closed_refund():
        order, created = start(reason="changed_mind")
        receive_all(created, order)
        grades = [{"line": x["line"], "resellable": x["quantity"]} for x in everything(order)]
        return_inspect(return_request=created, lines=grades, actor=CLERK)

    def closed_damaged():
        order, created = start(reason="defective")
        receive_all(created, order, warehouse="east")
        grades = [{"line": x["line"], "damaged": x["quantity"]} for x in everything(order)]
        return_inspect(return_request=created, lines=grades, actor=CLERK)

    def store_credit():
        order, created = start(reason="not_as_described", resolution="store_credit")
        receive_all(created, order)
        grades = [{"line": x["line"], "resellable": x["quantity"]} for x in everything(order)]
        return_inspect(return_request=created, lines=grades, actor=CLERK)

    def partial_receipt():
        order, created = start(reason="changed_mind")
        lines = everything(order)
        first = lines[0]
        if first["quantity"] < 2 and len(lines) < 2:
            return_receive(return_request=created, lines=[first], actor=CLERK)
            return
        arrived = [{"line": first["line"], "quantity": max(first["quantity"] - 1, 1)}]
        return_receive(return_request=created, lines=arrived, actor=CLERK)

    def partial_then_inspected():
        # Part of the parcel graded; the rest has not arrived yet: needs attention.
        order, created = start(reason="ordered_by_mistake")
        first = everything(order)[0]
        return_receive(
            return_request=created, lines=[{"line": first["line"], "quantity": 1}], actor=CLERK
        )
        return_inspect(
            return_request=created, lines=[{"line": first["line"], "resellable": 1}], actor=CLERK
        )

    def wrong_item():
        order, created = start(reason="wrong_item_sent")
        receive_all(created, order)
        grades = [{"line": x["line"], "wrong_item": x["quantity"]} for x in everything(order)]
        return_inspect(return_request=created, lines=grades, actor=CLERK)

    def wrong_item_settled():
        order, created = start(reason="damaged_in_transit")
        receive_all(created, order)
        grades = [{"line": x["line"], "wrong_item": x["quantity"]} for x in everything(order)]
        return_inspect(return_request=created, lines=grades, actor=CLERK)
        return_close(
            return_request=created,
            actor=Actor.system("demo agent"),
            note="Customer sent an old item by mistake; goodwill refund agreed.",
            goodwill=Decimal("5.00"),
        )

    def in_transit():
        _order, created = start(reason="found_better_price")
        return_mark_shipped(return_request=created, actor=Actor.system("sandbox carrier tracking"))

    def authorised():
        start(reason="changed_mind")

    def cancelled():
        _order, created = start(reason="ordered_by_mistake")
        return_cancel(return_request=created, actor=storefront, why="The customer kept it.")

    def expired():
        _order, created = start(reason="changed_mind")
        Return.objects.filter(pk=created.pk).update(ship_by=timezone.now() - timedelta(hours=1))
        returns_expire()

    def exchange():
        order = next(pool)
        line = order.lines.all()[0]
        swap = f"{line.sku}-SWAP"
        stock_set_on_hand(
            retailer=retailer, sku=swap, warehouse_code=line.warehouse, on_hand=20, actor=CLERK
        )
        created = return_create(
            retailer=retailer,
            order=order.external_id,
            reason="other",
            resolution="exchange",
            lines=[{"line": line.external_id, "quantity": 1}],
            exchange_lines=[{"line": line.external_id, "sku": swap, "quantity": 1}],
            actor=storefront,
        )
        return_receive(
            return_request=created, lines=[{"line": line.external_id, "quantity": 1}], actor=CLERK
        )
        return_inspect(
            return_request=created,
            lines=[{"line": line.external_id, "resellable": 1}],
            actor=CLERK,
        )

    def exchange_waiting():
        order = next(pool)
        line = order.lines.all()[0]
        swap = f"{line.sku}-SWAP"
        stock_set_on_hand(
            retailer=retailer, sku=swap, warehouse_code=line.warehouse, on_hand=20, actor=CLERK
        )
        return_create(
            retailer=retailer,
            order=order.external_id,
            reason="other",
            resolution="exchange",
            lines=[{"line": line.external_id, "quantity": 1}],
            exchange_lines=[{"line": line.external_id, "sku": swap, "quantity": 1}],
            actor=storefront,
        )

    def flaky_store_credit():
        # The sandbox issuer fails twice for this customer, then issues: attempts 3.
        order = _flaky_order(retailer)
        created = return_create(
            retailer=retailer,
            order=order.external_id,
            reason="defective",
            resolution="store_credit",
            actor=storefront,
        )
        return_receive(return_request=created, lines=[{"line": "L1", "quantity": 1}], actor=CLERK)
        return_inspect(return_request=created, lines=[{"line": "L1", "resellable": 1}], actor=CLERK)

    return [
        closed_refund,
        closed_refund,
        closed_damaged,
        store_credit,
        store_credit,
        flaky_store_credit,
        partial_receipt,
        partial_then_inspected,
        wrong_item,
        wrong_item_settled,
        in_transit,
        in_transit,
        authorised,
        cancelled,
        expired,
        exchange,
        exchange_waiting,
    ]


def _demo_orders(retailer, rng):
    """Shipped orders of two lines each, made for the returns' stories, one per call."""
    from demo.world import CATALOGUE

    catalogue = [item for item in CATALOGUE[retailer.currency] if item[0] != "BELT-TAN"]
    customers = list(retailer.customers.exclude(external_id__startswith="sandbox").order_by("pk"))
    n = 0
    while True:
        n += 1
        shipped = timezone.now() - timedelta(days=rng.randint(2, 12))
        lines, total = [], Decimal(0)
        for position, (sku, title, price) in enumerate(rng.sample(catalogue, 2), start=1):
            quantity = rng.choice([1, 2, 2, 3])
            lines.append(
                {
                    "external_id": f"L{position}",
                    "sku": sku,
                    "title": title,
                    "quantity": quantity,
                    "unit_price": Decimal(price),
                    "discount": Decimal(0),
                    "tax": Decimal(0),
                    "final_sale": False,
                    "warehouse": "main",
                }
            )
            total += Decimal(price) * quantity
        customer = rng.choice(customers)
        with transaction.atomic():
            order, _created = order_upsert(
                retailer=retailer,
                external_id=f"ACME-R{n:03d}",
                data={
                    "placed_at": shipped - timedelta(days=1),
                    "currency": retailer.currency,
                    "customer": {
                        "external_id": customer.external_id,
                        "email": customer.email,
                        "name": customer.name,
                    },
                    "fulfillment_status": "shipped",
                    "shipped_at": shipped,
                    "shipping": Decimal("6.95"),
                    "lines": lines,
                    "payments": [
                        {
                            "external_id": "P1",
                            "method": "card",
                            "amount": total + Decimal("6.95"),
                            "reference": f"ch_demo_return_{n}",
                        }
                    ],
                },
                actor=Actor.system("demo data"),
            )
        yield order


def _flaky_order(retailer):
    shipped = timezone.now() - timedelta(days=4)
    with transaction.atomic():
        order, _created = order_upsert(
            retailer=retailer,
            external_id="ACME-FLAKY-CREDIT",
            data={
                "placed_at": shipped - timedelta(days=1),
                "currency": "USD",
                "customer": {
                    "external_id": "sandbox_flaky_demo",
                    "email": "flaky.credit@shoppers.example",
                    "name": "Rae Flaky",
                },
                "fulfillment_status": "shipped",
                "shipped_at": shipped,
                "shipping": Decimal("0.00"),
                "lines": [
                    {
                        "external_id": "L1",
                        "sku": "JKT-RAIN-M",
                        "title": "Packable rain jacket, M",
                        "quantity": 1,
                        "unit_price": Decimal("149.00"),
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
                        "amount": Decimal("149.00"),
                        "reference": "ch_demo_flaky_credit",
                    }
                ],
            },
            actor=Actor.system("demo data"),
        )
    return order


def _nihon_queue(retailer, rng, out):
    """Nihon Kitchen authorises returns by hand: some wait, one was declined."""
    from demo.world import progress

    current = policy_current(retailer=retailer)
    policy_update(
        retailer=retailer,
        values={
            **{name: getattr(current, name) for name in current.EDITABLE_FIELDS},
            "auto_authorise_returns": False,
        },
        created_by="demo data",
    )
    storefront = Actor.for_api_key(ApiKey.objects.filter(retailer=retailer).first())
    orders = [
        o
        for o in _fresh_shipped_orders(retailer)
        if not any(line.final_sale for line in o.lines.all())
    ][:4]
    for n, order in enumerate(progress(orders, out=out, label="returns for nihon"), start=1):
        try:
            created = return_create(
                retailer=retailer, order=order.external_id, reason="defective", actor=storefront
            )
            if n == 1:
                return_decline(
                    return_request=created,
                    actor=Actor.system("demo agent"),
                    reason="The photos show the item was used in a restaurant kitchen.",
                )
        except DomainError as exc:
            out.write(f"\n  (demo return skipped: {exc.detail})\n")

"""manage.py import_orders: the bulk path gives what the API gives, and can run twice."""

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cancellations.models import CancellationLine, CancellationRequest
from conftest import order_payload
from inventory.models import StockLevel, StockMovement
from orders.importer import OrderImporter
from orders.models import Customer, Order, OrderEvent, OrderLine, Payment

pytestmark = pytest.mark.django_db

SHIPPED = {"fulfillment_status": "shipped", "shipped_at": "2026-01-02T10:00:00Z"}
DELIVERED = {
    "fulfillment_status": "delivered",
    "shipped_at": "2026-01-02T10:00:00Z",
    "delivered_at": "2026-01-04T10:00:00Z",
}


@pytest.fixture
def bodies():
    """Orders in every fulfilment state, with discounts, taxes, split payments, JPY."""
    split = order_payload(
        lines=[
            {
                "external_id": "l1",
                "sku": "TEE",
                "quantity": 3,
                "unit_price": "10.00",
                "discount": "1.00",
                "tax": "2.32",
            },
            {"external_id": "l2", "sku": "CAP", "quantity": 1, "unit_price": "19.99"},
            {
                "external_id": "l3",
                "sku": "MUG",
                "quantity": 2,
                "unit_price": "7.50",
                "warehouse": "east",
                "final_sale": True,
            },
        ],
        shipping="4.99",
        payments=[
            {"external_id": "gc", "method": "gift_card", "amount": "25.00", "reference": "g1"},
            {"external_id": "cc", "method": "card", "amount": "46.30", "reference": "c1"},
        ],
        customer="cust-1",
    )
    return {
        "A-1": split,
        "A-2": order_payload(lines=(("l1", "TEE", 1, "10.00"),), customer="cust-1"),
        "A-3": order_payload(lines=(("l1", "TEE", 2, "10.00"),), customer="cust-2", **SHIPPED),
        "A-4": order_payload(lines=(("l1", "CAP", 1, "5.00"),), customer="cust-3", **DELIVERED),
        "A-5": order_payload(
            lines=(("l1", "TEE", 2, "600"),), shipping="0", currency="JPY", customer="cust-4"
        ),
    }


def write_lines(tmp_path, lines, name="orders.jsonl"):
    path = tmp_path / name
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    )
    return path


def run_import(path, *args):
    """(exit code, stdout, stderr) of the command."""
    out, err = StringIO(), StringIO()
    try:
        call_command("import_orders", str(path), *args, stdout=out, stderr=err)
    except CommandError as error:
        return 1, out.getvalue(), err.getvalue() + str(error)
    return 0, out.getvalue(), err.getvalue()


def snapshot(retailer):
    """Everything an import or the API writes for a retailer, without ids and clocks."""
    orders = {}
    for order in Order.objects.filter(retailer=retailer).select_related("customer"):
        orders[order.external_id] = {
            "order": (
                order.currency,
                order.placed_at,
                order.fulfillment_status,
                order.shipped_at,
                order.delivered_at,
                order.shipping,
                order.total,
                order.shipping_refunded,
            ),
            "customer": (
                order.customer.external_id,
                order.customer.email,
                order.customer.name,
                order.customer.phone,
            ),
            "lines": [
                (
                    line.external_id,
                    line.position,
                    line.sku,
                    line.title,
                    line.quantity,
                    line.unit_price,
                    line.discount,
                    line.tax,
                    line.final_sale,
                    line.warehouse,
                    line.cancelled_quantity,
                    line.reserved_quantity,
                    line.refunded_amount,
                )
                for line in order.lines.order_by("position")
            ],
            "payments": [
                (p.external_id, p.position, p.method, p.amount, p.reference, p.refunded_amount)
                for p in order.payments.order_by("position")
            ],
            "events": [
                (e.kind, e.message, e.from_state, e.to_state, e.subject_type, e.data)
                for e in order.events.order_by("id")
            ],
            "movements": sorted(
                (
                    m.kind,
                    m.quantity,
                    m.on_hand_delta,
                    m.reserved_delta,
                    m.level.sku,
                    m.level.warehouse.code,
                    m.source_type,
                    OrderLine.objects.get(pk=m.source_id).external_id,
                )
                for m in StockMovement.objects.filter(order=order).select_related(
                    "level__warehouse"
                )
            ),
        }
    levels = sorted(
        (level.sku, level.warehouse.code, level.on_hand, level.reserved)
        for level in StockLevel.objects.filter(retailer=retailer).select_related("warehouse")
    )
    return orders, levels


def check_stock_is_clean():
    out = StringIO()
    call_command("check_stock", "--lines", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_writes_exactly_what_the_api_writes(
    tmp_path, retailer, other_retailer, other_api, bodies
):
    # Given the same five orders, sent to one retailer through the API...
    for external_id, body in bodies.items():
        response = other_api.put(f"/api/v1/orders/{external_id}", body, format="json")
        assert response.status_code == 201, response.json()
    # ...and imported for the other from a file
    path = write_lines(tmp_path, [{"external_id": k, **v} for k, v in bodies.items()])

    code, out, _err = run_import(path, "--retailer", retailer.slug)

    # Then both hold the same orders, lines, payments, reservations and timeline
    assert code == 0
    assert "5 created, 0 updated, 0 unchanged; 0 line(s) rejected" in out
    assert snapshot(retailer) == snapshot(other_retailer)
    imported, levels = snapshot(retailer)
    assert imported["A-1"]["order"][6] == Decimal("71.30")
    assert imported["A-5"]["order"][6] == Decimal("1200")
    created = "Order received: 3 line(s), total 71.30 USD."
    assert imported["A-1"]["events"] == [("order.created", created, "", "unfulfilled", "order", {})]
    # TEE: 3 (A-1) + 1 (A-2) + 2 reserved; A-3 arrived shipped and reserves nothing
    assert ("TEE", "main", 0, 6) in levels
    assert ("MUG", "east", 0, 2) in levels
    assert OrderEvent.objects.get(
        order__retailer=retailer, order__external_id="A-3"
    ).actor_label == ("import_orders orders.jsonl")
    assert "consistent" in check_stock_is_clean()


def test_bad_lines_are_reported_and_the_good_ones_imported(tmp_path, retailer, bodies):
    good = bodies
    unknown_field = {**good["A-2"], "external_id": "B-2", "colour": "red"}
    bad_quantity = {**good["A-2"], "external_id": "B-3"}
    bad_quantity["lines"] = [{**bad_quantity["lines"][0], "quantity": -1}]
    mismatch = {
        **good["A-2"],
        "external_id": "B-4",
        "payments": [{"external_id": "p1", "method": "card", "amount": "1.00"}],
    }
    path = write_lines(
        tmp_path,
        [
            {"external_id": "A-1", **good["A-1"]},
            "{not json",
            unknown_field,
            bad_quantity,
            "",  # blank lines are skipped, not errors
            mismatch,
            {**good["A-2"]},  # no external_id
            {"external_id": "B-7", "retailer": "nobody", **good["A-2"]},
            "[1, 2]",
            {"external_id": "A-4", **good["A-4"]},
        ],
    )

    code, out, err = run_import(path, "--retailer", "acme", "--batch-size", "3")

    assert code == 1
    assert "2 created, 0 updated, 0 unchanged; 7 line(s) rejected" in out
    assert "7 line(s) rejected, listed above." in err
    reported = [line for line in err.splitlines() if line.startswith("line ")]
    assert [line.split("]")[0] for line in reported] == [
        "line 2: [invalid",
        "line 3: [invalid",
        "line 4: [invalid",
        "line 6: [payments_mismatch",
        "line 7: [invalid",
        "line 8: [invalid",
        "line 9: [invalid",
    ]
    assert "Malformed JSON" in reported[0]
    assert '"colour": ["Unknown field."]' in reported[1]
    assert '"quantity": ["Ensure this value is greater than or equal to 1."]' in reported[2]
    assert "Payments add up to 1.00 but the order total is 15.00." in reported[3]
    assert '"external_id": ["This field is required' in reported[4]
    assert "This line is for 'nobody' but the import is for 'acme'." in reported[5]
    assert "A line must be a JSON object." in reported[6]
    assert sorted(Order.objects.values_list("external_id", flat=True)) == ["A-1", "A-4"]
    assert "consistent" in check_stock_is_clean()


def test_importing_the_same_file_twice_writes_nothing_twice(tmp_path, retailer, bodies):
    path = write_lines(tmp_path, [{"external_id": k, **v} for k, v in bodies.items()])
    run_import(path, "--retailer", "acme")
    before = snapshot(retailer)
    counts = [m.objects.count() for m in (Order, OrderLine, Payment, StockMovement, OrderEvent)]

    code, out, _err = run_import(path, "--retailer", "acme")

    assert code == 0
    assert "0 created, 0 updated, 5 unchanged" in out
    assert snapshot(retailer) == before
    assert [
        m.objects.count() for m in (Order, OrderLine, Payment, StockMovement, OrderEvent)
    ] == counts
    assert StockLevel.objects.get(sku="TEE", warehouse__code="main").reserved == 6


def test_a_changed_order_is_updated_through_the_api_service(tmp_path, retailer, make_order):
    # Given A-2 exists (1 TEE reserved) and A-9 is new
    make_order("A-2", lines=(("l1", "TEE", 1, "10.00"),), customer="cust-1")
    changed = order_payload(lines=(("l1", "TEE", 4, "10.00"),), customer="cust-1")
    path = write_lines(
        tmp_path,
        [
            {"external_id": "A-2", **changed},
            {"external_id": "A-9", **order_payload(lines=(("l1", "TEE", 1, "10.00"),))},
        ],
    )

    code, out, _err = run_import(path, "--retailer", "acme")

    # Then A-2 is updated as a PUT would (reservation resized, event written)
    assert code == 0
    assert "1 created, 1 updated, 0 unchanged" in out
    assert Order.objects.get(external_id="A-2").total == Decimal("45.00")
    assert list(
        OrderEvent.objects.filter(order__external_id="A-2").values_list("kind", flat=True)
    ) == ["order.created", "order.updated"]
    assert StockLevel.objects.get(sku="TEE").reserved == 5
    assert "consistent" in check_stock_is_clean()


def test_an_order_twice_in_one_batch_ends_as_its_last_line(tmp_path, retailer):
    first = order_payload(lines=(("l1", "TEE", 1, "10.00"),))
    last = order_payload(lines=(("l1", "TEE", 3, "10.00"),))
    path = write_lines(tmp_path, [{"external_id": "A-1", **first}, {"external_id": "A-1", **last}])

    code, out, _err = run_import(path, "--retailer", "acme")

    assert code == 0
    assert "1 created, 1 updated" in out
    assert OrderLine.objects.get().quantity == 3
    assert StockLevel.objects.get(sku="TEE").reserved == 3
    assert "consistent" in check_stock_is_clean()


def test_a_refused_update_is_reported_with_the_api_error_code(tmp_path, retailer, make_order):
    # Given A-1 has a cancelled unit
    order = make_order("A-1", lines=(("l1", "TEE", 2, "10.00"),))
    line = order.lines.get()
    request = CancellationRequest.objects.create(
        retailer=retailer, order=order, status="completed", reason="changed_mind"
    )
    CancellationLine.objects.create(request=request, line=line, quantity=1)
    OrderLine.objects.filter(pk=line.pk).update(cancelled_quantity=1)
    # When a file drops that line
    other = order_payload(lines=(("l2", "CAP", 1, "10.00"),))
    path = write_lines(tmp_path, [{"external_id": "A-1", **other}])

    code, _out, err = run_import(path, "--retailer", "acme")

    assert code == 1
    assert "line 1: [lines_already_cancelled] line l1 has cancelled units" in err
    assert OrderLine.objects.get().sku == "TEE"


def test_retailer_per_line_or_for_the_whole_file(tmp_path, retailer, other_retailer):
    body = order_payload()
    path = write_lines(
        tmp_path,
        [
            {"external_id": "A-1", "retailer": "acme", **body},
            {"external_id": "A-1", "retailer": "globex", **body},
            {"external_id": "A-2", **body},
        ],
    )

    code, out, err = run_import(path)

    assert code == 1
    assert "2 created" in out
    assert "line 3: [invalid] Some fields are not valid: retailer." in err
    assert set(Order.objects.values_list("retailer__slug", "external_id")) == {
        ("acme", "A-1"),
        ("globex", "A-1"),
    }
    # the same customer id is a different customer at each retailer
    assert Customer.objects.count() == 2


def test_each_batch_costs_the_same_number_of_queries(retailer):
    def rows(start, count):
        return [
            (n, json.dumps({"external_id": f"Q-{n}", **order_payload(customer=f"c-{n}")}))
            for n in range(start, start + count)
        ]

    importer = OrderImporter(retailer_slug="acme")
    importer.import_batch(rows(0, 2))  # warms the retailer cache and creates the levels
    with CaptureQueriesContext(connection) as small:
        importer.import_batch(rows(100, 5))
    with CaptureQueriesContext(connection) as large:
        importer.import_batch(rows(200, 60))

    assert len(large) == len(small)
    assert Order.objects.count() == 67
    assert StockLevel.objects.get().reserved == 2 * 67


def test_notify_stock_announces_each_level_once_per_batch(tmp_path, retailer, monkeypatch):
    from inventory import services

    announced = []
    monkeypatch.setattr(services, "event_emit", lambda **kwargs: announced.append(kwargs))
    path = write_lines(
        tmp_path,
        [
            {"external_id": f"A-{n}", **order_payload(lines=(("l1", "TEE", 2, "10.00"),))}
            for n in range(3)
        ],
    )

    run_import(path, "--retailer", "acme")
    assert announced == []  # history is already in the storefront's own stock system
    run_import(write_lines(tmp_path, ["{}"], "none.jsonl"), "--retailer", "acme")

    path = write_lines(
        tmp_path,
        [
            {"external_id": f"B-{n}", **order_payload(lines=(("l1", "TEE", 2, "10.00"),))}
            for n in range(3)
        ],
        "more.jsonl",
    )
    run_import(path, "--retailer", "acme", "--notify-stock")

    assert [(a["event_type"], a["data"]) for a in announced] == [
        (
            "inventory.adjusted",
            {
                "sku": "TEE",
                "warehouse": "main",
                "on_hand": 0,
                "reserved": 12,
                "available": -12,
                "movement": {"kind": "reserve", "quantity": 6},
            },
        )
    ]


def test_missing_file_and_bad_options_are_refused(tmp_path):
    assert run_import(tmp_path / "nope.jsonl")[0] == 1
    path = write_lines(tmp_path, [])
    assert run_import(path, "--batch-size", "0") == (1, "", "--batch-size must be at least 1.")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_workers_import_the_same_as_one(tmp_path, retailer):
    # Given 40 orders sharing SKUs and customers, one of them twice
    lines = [
        {
            "external_id": f"P-{n}",
            **order_payload(
                lines=((f"l{n}", f"SKU-{n % 3}", 1 + n % 2, "10.00"),), customer=f"c-{n % 7}"
            ),
        }
        for n in range(40)
    ]
    lines.append(
        {
            "external_id": "P-3",
            **order_payload(lines=(("l3", "SKU-0", 5, "10.00"),), customer="c-3"),
        }
    )
    path = write_lines(tmp_path, lines)

    code, out, _err = run_import(path, "--retailer", "acme", "--workers", "2", "--batch-size", "4")

    assert code == 0, out
    assert "40 created, 1 updated" in out
    assert Order.objects.count() == 40
    assert OrderLine.objects.get(order__external_id="P-3").quantity == 5
    expected = {f"SKU-{k}": 0 for k in range(3)}
    for n in range(40):
        expected[f"SKU-{n % 3}"] += 5 if n == 3 else 1 + n % 2
    assert dict(StockLevel.objects.values_list("sku", "reserved")) == expected
    assert "consistent" in check_stock_is_clean()

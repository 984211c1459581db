"""The import's fast validation answers what OrderInput answers, or leaves it to it."""

import copy
import json
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework import serializers

from orders.api.serializers import OrderInput
from orders.import_validation import compile_validator

ROOT = Path(__file__).resolve().parents[2]


def full_body() -> dict:
    """Every field given, as the storefronts send them (money as strings)."""
    return {
        "placed_at": "2026-03-01T10:00:00+01:00",
        "currency": "USD",
        "customer": {
            "external_id": "c-1",
            "email": "ana@example.com",
            "name": "Ana Müller",
            "phone": "+15550001",
        },
        "fulfillment_status": "delivered",
        "shipped_at": "2026-03-02T10:00:00Z",
        "delivered_at": "2026-03-04T10:00:00Z",
        "shipping": "4.99",
        "lines": [
            {
                "external_id": "l1",
                "sku": "TEE",
                "title": "Tee",
                "quantity": 3,
                "unit_price": "10.00",
                "discount": "1.00",
                "tax": "2.32",
                "final_sale": False,
                "warehouse": "east",
            },
            {"external_id": "l2", "sku": "CAP", "quantity": 1, "unit_price": "19.99"},
        ],
        "payments": [
            {"external_id": "p1", "method": "card", "amount": "56.30", "reference": "c1"},
        ],
    }


def variants():
    """The full body, then one change each: valid shapes and every kind of mistake."""
    yield "full", full_body()

    def change(name, edit):
        body = full_body()
        edit(body)
        return name, body

    def set_path(path, value):
        def edit(body):
            target = body
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = value

        return edit

    def drop(path):
        def edit(body):
            target = body
            for key in path[:-1]:
                target = target[key]
            del target[path[-1]]

        return edit

    optional = [
        ("fulfillment_status",),
        ("shipping",),
        ("payments",),
        ("customer", "email"),
        ("customer", "name"),
        ("customer", "phone"),
        ("lines", 0, "title"),
        ("lines", 0, "discount"),
        ("lines", 0, "tax"),
        ("lines", 0, "final_sale"),
        ("lines", 0, "warehouse"),
        ("payments", 0, "reference"),
    ]
    for path in optional:
        yield change(f"without {path}", drop(path))
    for path in [("placed_at",), ("currency",), ("customer",), ("lines",), ("lines", 0, "sku")]:
        yield change(f"without required {path}", drop(path))
    values = {
        ("customer", "name"): ["", "   ", "  Ana  ", "Ana\x00", "Ana \ud800", 12, None, "x" * 201],
        ("customer", "email"): ["", "not-an-email", " ana@example.com ", None],
        ("customer", "external_id"): ["", "x" * 100, "x" * 101, 7, True, ["c"]],
        ("currency",): ["EUR", "JPY", "usd", "US", "XXX1", "ZZZ", 840, None],
        ("placed_at",): [
            "2026-03-01T10:00:00Z",
            "2026-03-01T10:00:00",
            "2026-03-01",
            "yesterday",
            1700000000,
            None,
        ],
        ("shipped_at",): [None, "", "2026-03-02T10:00:00.123456+05:30"],
        ("fulfillment_status",): ["shipped", "unfulfilled", "lost", "", None, 1],
        ("shipping",): [Decimal("4.99"), 5, "5", "4.9900", "4.999", "-1", "abc", 4.99, True],
        ("lines",): [[], "l1", {"external_id": "l1"}, [None], [[]]],
        ("lines", 0, "quantity"): [0, 1, "3", 3.0, True, 10**7, None],
        ("lines", 0, "unit_price"): ["10", "1e1", "NaN", "Infinity", "10.001", " 10.00 "],
        ("lines", 0, "discount"): ["31.00", "0", None],
        ("lines", 0, "final_sale"): [True, "true", 1, None],
        ("lines", 1, "external_id"): ["l1", "l3"],
        ("payments",): [[], None, "p"],
        ("payments", 0, "amount"): ["56.29", "56.30", Decimal("56.3")],
        ("payments", 0, "method"): ["", " card ", "x" * 51],
    }
    for path, options in values.items():
        for value in options:
            yield change(f"{path}={value!r}", set_path(path, value))
    yield change("unknown field", set_path(("coupon",), "X"))
    yield change("unknown line field", set_path(("lines", 0, "colour"), "red"))
    yield change("customer not an object", set_path(("customer",), "c-1"))
    yield change("1,001 lines", set_path(("lines",), [full_body()["lines"][1]] * 1001))
    yield "not an object", ["a list"]


def same(a, b) -> bool:
    """Equal, and of the same types all the way down (Decimal exponent, time zone too)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, Decimal):
        return a.as_tuple() == b.as_tuple()
    if isinstance(a, datetime):
        return a == b and a.tzinfo == b.tzinfo
    return a == b


@pytest.mark.parametrize(("name", "body"), list(variants()), ids=lambda v: str(v)[:40])
def test_fast_validation_answers_what_the_serializer_answers_or_leaves_it(name, body):
    serializer = OrderInput()
    fast = compile_validator(serializer)
    before = copy.deepcopy(body)

    answer = fast(body)

    assert body == before  # the body is left as it was, for the serializer if need be
    try:
        expected = serializer.run_validation(body)
    except serializers.ValidationError:
        assert answer is None, "an invalid body must go to the serializer for its errors"
        return
    assert answer is None or same(answer, expected), (answer, expected)


def test_the_common_shapes_are_validated_fast_not_left_to_the_serializer():
    fast = compile_validator(OrderInput())
    body = full_body()
    lines = subprocess.run(
        [sys.executable, "bench/gen_orders.py", "-", "--count", "300", "--retailer", "acme"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    generated = []
    for text in lines:
        order = json.loads(text, parse_float=Decimal)
        del order["external_id"], order["retailer"]
        generated.append(order)

    assert fast(body) is not None
    assert all(fast(order) is not None for order in generated)
    assert all(same(fast(order), OrderInput().run_validation(order)) for order in generated)


def test_a_serializer_customising_what_the_plan_relies_on_is_always_left_to_it():
    class Custom(OrderInput):
        def validate_currency(self, value):
            return value.lower()

    fast = compile_validator(Custom())

    assert fast(full_body()) is None
    assert Custom().run_validation(full_body())["currency"] == "usd"

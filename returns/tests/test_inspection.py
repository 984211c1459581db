"""Money and stock after inspection (SPEC §8), to the cent and to the ledger row.

The worked example of docs/returns.md runs here end to end.
"""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import StockLevel, StockMovement
from kernel.actors import Actor
from orders.models import OrderEvent, OrderLine, Payment
from refunds.models import Refund, SandboxGatewayCall
from returns.models import Return
from returns.settlement import return_close

pytestmark = pytest.mark.django_db

CLERK = Actor.system("warehouse clerk")


@pytest.fixture
def worked_example(set_policy, shipped_order, stock):
    """docs/returns.md: 10 % restocking, a 4.00 label, two lines, shipping 6.95."""
    set_policy(restocking_fee_percent="10.00", return_label_fee="4.00")
    stock("TEE", 10)
    return shipped_order(
        lines=(
            {
                "external_id": "l1",
                "sku": "TEE",
                "quantity": 3,
                "unit_price": "24.00",
                "discount": "2.00",
                "tax": "5.60",
            },
            ("l2", "CAP", 1, "22.00"),
        ),
        shipping="6.95",
    )


def check_stock_lines() -> str:
    out = StringIO()
    call_command("check_stock", "--lines", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_worked_example_to_the_cent(
    worked_example, start_return, act, django_capture_on_commit_callbacks
):
    # Given a customer-choice return of everything: the estimate is net of both fees
    created = start_return(reason="changed_mind").json()
    assert [line["refund_amount"] for line in created["lines"]] == ["75.60", "22.00"]
    assert (created["restocking_fee"], created["label_fee"], created["refund_total"]) == (
        "9.76",
        "4.00",
        "83.84",
    )
    rid = created["id"]

    # When two tees and the cap arrive, and are graded: one tee resellable, one damaged,
    # and the "cap" is not ours
    act(rid, "receive", {"lines": [{"line": "l1", "quantity": 2}, {"line": "l2", "quantity": 1}]})
    with django_capture_on_commit_callbacks(execute=True):
        first = act(
            rid,
            "inspect",
            {
                "lines": [
                    {"line": "l1", "resellable": 1, "damaged": 1},
                    {"line": "l2", "wrong_item": 1},
                ]
            },
        ).json()

    # Then two of three tees are refunded (75.60 x 2/3), the fee is on the resellable one
    # only, the label fee once, and the cap refunds nothing
    assert first["status"] == "inspected"
    assert first["needs_attention"] is True
    assert [(line["refund_amount"], line["grades"]) for line in first["lines"]] == [
        ("50.40", {"resellable": 1, "damaged": 1, "missing": 1, "wrong_item": 0}),
        ("0.00", {"resellable": 0, "damaged": 0, "missing": 0, "wrong_item": 1}),
    ]
    assert (first["restocking_fee"], first["label_fee"], first["refund_total"]) == (
        "2.52",
        "4.00",
        "43.88",
    )
    (refund,) = Refund.objects.all()
    assert (refund.amount, refund.status, refund.return_request_id) == (
        Decimal("43.88"),
        "succeeded",
        rid,
    )
    # and the stock: the resellable tee is back on hand, the damaged one written off
    # without touching on hand, nothing moved for the cap
    level = StockLevel.objects.get(sku="TEE", warehouse__code="main")
    assert (level.on_hand, level.reserved) == (11, 0)
    moves = list(
        StockMovement.objects.filter(source_type="returnline")
        .order_by("id")
        .values_list("level__sku", "kind", "quantity", "on_hand_delta", "reserved_delta")
    )
    assert moves == [("TEE", "restock", 1, 1, 0), ("TEE", "write_off", 1, 0, 0)]
    assert "Stock is consistent" in check_stock_lines()

    # When the third tee arrives later, it is received and graded then
    assert act(rid, "receive", {"lines": [{"line": "l1", "quantity": 1}]}).json()["status"] == (
        "received"
    )
    with django_capture_on_commit_callbacks(execute=True):
        second = act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 1}]}).json()

    # Then the line has refunded its whole total, to the cent, over two inspections
    assert second["lines"][0]["refund_amount"] == "75.60"
    assert second["refund_total"] == "66.56"
    assert sorted(r.amount for r in Refund.objects.all()) == [Decimal("22.68"), Decimal("43.88")]
    assert OrderLine.objects.get(external_id="l1").refunded_amount == Decimal("75.60")
    assert Payment.objects.get().refunded_amount == Decimal("66.56")
    # the wrong cap still needs a person: the return waits, inspected
    assert (second["status"], second["needs_attention"]) == ("inspected", True)

    # When an agent settles it
    with django_capture_on_commit_callbacks(execute=True):
        return_close(
            return_request=Return.objects.get(pk=rid),
            actor=Actor.system("agent"),
            note="Customer sent a different cap; asked them to send ours.",
        )

    # Then it closes: its refunds succeeded
    closed = Return.objects.get(pk=rid)
    assert (closed.status, closed.needs_attention) == ("closed", False)
    assert SandboxGatewayCall.objects.filter(money_moved=True).count() == 2
    assert "Stock is consistent" in check_stock_lines()
    kinds = list(OrderEvent.objects.filter(subject_type="return").values_list("kind", flat=True))
    assert kinds.count("return.received") == 2
    assert kinds.count("return.inspected") == 2
    assert kinds[-1] == "return.closed"


def test_a_reason_that_is_not_the_customers_choice_pays_no_fees(worked_example, start_return, act):
    rid = start_return(reason="defective", lines=[{"line": "l2"}]).json()["id"]
    act(rid, "receive", {"lines": [{"line": "l2", "quantity": 1}]})

    data = act(rid, "inspect", {"lines": [{"line": "l2", "resellable": 1}]}).json()

    assert (data["restocking_fee"], data["label_fee"], data["refund_total"]) == (
        "0.00",
        "0.00",
        "22.00",
    )


def test_fees_never_take_the_refund_below_zero(set_policy, shipped_order, start_return, act):
    set_policy(return_label_fee="9.00")
    shipped_order(lines=(("l1", "SOCK", 1, "5.00"),))
    created = start_return().json()
    assert created["refund_total"] == "0.00"
    act(created["id"], "receive", {"lines": [{"line": "l1", "quantity": 1}]})

    data = act(created["id"], "inspect", {"lines": [{"line": "l1", "resellable": 1}]}).json()

    assert (data["label_fee"], data["refund_total"], data["status"]) == ("9.00", "0.00", "closed")
    assert not Refund.objects.exists()


def test_a_line_partly_cancelled_then_returned_in_steps_adds_up(
    make_order, submit, start_return, act, django_capture_on_commit_callbacks
):
    # Given 3 units totalling 10.00, one cancelled while unshipped (3.33), then shipped
    lines = (
        {"external_id": "l1", "sku": "TEE", "quantity": 3, "unit_price": "3.00", "tax": "1.00"},
        ("l2", "CAP", 1, "1.00"),
    )
    make_order(lines=lines, shipping="0.00")
    with django_capture_on_commit_callbacks(execute=True):
        submit(lines=[{"line": "l1", "quantity": 1}])
    assert OrderLine.objects.get(external_id="l1").refunded_amount == Decimal("3.33")
    make_order(
        lines=lines,
        shipping="0.00",
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=1)).isoformat(),
    )

    # When the other two come back one by one
    amounts = []
    for _ in range(2):
        rid = start_return(lines=[{"line": "l1", "quantity": 1}]).json()["id"]
        act(rid, "receive", {"lines": [{"line": "l1", "quantity": 1}]})
        with django_capture_on_commit_callbacks(execute=True):
            amounts.append(
                act(rid, "inspect", {"lines": [{"line": "l1", "damaged": 1}]}).json()[
                    "refund_total"
                ]
            )

    # Then 3.33 + 3.34 + 3.33 = 10.00: the line's total, exactly
    assert amounts == ["3.34", "3.33"]
    assert OrderLine.objects.get(external_id="l1").refunded_amount == Decimal("10.00")
    assert start_return(lines=[{"line": "l1"}]).json()["code"] == "quantity_exceeds_remaining"
    assert Payment.objects.get().refunded_amount == Decimal("10.00")


def test_nothing_owed_closes_at_once(shipped_order, start_return, act):
    shipped_order(lines=(("l1", "TEE", 1, "10.00"),))
    rid = start_return(reason="wrong_item_sent").json()["id"]
    act(rid, "receive", {"lines": [{"line": "l1", "quantity": 1}]})

    # a received unit left ungraded is missing
    data = act(rid, "inspect", {"lines": []}).json()

    assert data["lines"][0]["grades"]["missing"] == 1
    assert (data["status"], data["needs_attention"], data["refund_total"]) == (
        "inspected",
        True,
        "0.00",
    )
    assert not Refund.objects.exists()
    assert OrderEvent.objects.filter(kind="return.needs_attention").exists()


def test_resellable_units_are_restocked_at_the_receiving_warehouse(
    shipped_order, start_return, act, stock
):
    stock("TEE", 0, warehouse="east")
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    rid = start_return().json()["id"]
    act(rid, "receive", {"lines": [{"line": "l1", "quantity": 2}], "warehouse": "east"})

    act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 2}]})

    assert StockLevel.objects.get(sku="TEE", warehouse__code="east").on_hand == 2
    assert not StockLevel.objects.filter(sku="TEE", warehouse__code="main", on_hand__gt=0).exists()

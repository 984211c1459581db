"""Levels always equal their ledger, and check_stock says so (or names the drift)."""

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inventory.models import StockLevel, StockMovement
from inventory.services import stock_move, stock_set_on_hand
from inventory.tests.conftest import ledger_of, level_of
from kernel.actors import Actor
from orders.models import OrderLine
from retailers.tests.factories import RetailerFactory

KINDS = ["receive", "reserve", "release", "ship", "restock", "write_off"]

operations = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(KINDS),
            st.sampled_from(["TEE", "CAP"]),
            st.sampled_from(["main", "east"]),
            st.integers(min_value=1, max_value=50),
        ),
        st.tuples(
            st.just("adjust"),
            st.sampled_from(["TEE", "CAP"]),
            st.sampled_from(["main", "east"]),
            st.integers(min_value=-50, max_value=50),
        ),
        st.tuples(
            st.just("count"),  # the storefront's PUT: set on_hand
            st.sampled_from(["TEE", "CAP"]),
            st.sampled_from(["main", "east"]),
            st.integers(min_value=0, max_value=100),
        ),
    ),
    max_size=25,
)


def check_stock(*args):
    """Run the command; (exit code, what it printed)."""
    from io import StringIO

    out = StringIO()
    try:
        call_command("check_stock", *args, stdout=out, stderr=StringIO())
    except CommandError as error:
        return 1, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_any_sequence_of_movements_keeps_levels_equal_to_the_ledger(ops):
    # Given a fresh retailer (each example its own, so examples do not mix)
    retailer = RetailerFactory()
    actor = Actor.system("property")
    expected = {}

    # When any sequence of movements and counts runs
    for kind, sku, warehouse, quantity in ops:
        on_hand, reserved = expected.get((sku, warehouse), (0, 0))
        if kind == "count":
            stock_set_on_hand(
                retailer=retailer, sku=sku, warehouse_code=warehouse, on_hand=quantity, actor=actor
            )
            on_hand = quantity
        else:
            stock_move(
                retailer=retailer,
                sku=sku,
                warehouse_code=warehouse,
                kind=kind,
                quantity=quantity,
                actor=actor,
            )
            d_on_hand, d_reserved = {
                "receive": (1, 0),
                "reserve": (0, 1),
                "release": (0, -1),
                "ship": (-1, -1),
                "restock": (1, 0),
                "write_off": (-1, 0),
                "adjust": (1, 0),
            }[kind]
            on_hand += d_on_hand * quantity
            reserved += d_reserved * quantity
        expected[(sku, warehouse)] = (on_hand, reserved)

    # Then every level is what the operations say, and equals the sum of its movements
    for (sku, warehouse), counts in expected.items():
        level = StockLevel.objects.filter(retailer=retailer, sku=sku, warehouse__code=warehouse)
        if counts == (0, 0) and not level.exists():
            continue  # a count of 0 on a SKU never seen writes no movement
        level = level.get()
        assert (level.on_hand, level.reserved) == counts
        assert ledger_of(level) == counts
    # And the check command agrees, until one level is edited behind the ledger's back
    assert check_stock("--retailer", retailer.slug, "--lines")[0] == 0
    level = StockLevel.objects.filter(retailer=retailer).order_by("pk").first()
    if level is not None:
        StockLevel.objects.filter(pk=level.pk).update(reserved=level.reserved + 1)
        code, output = check_stock("--retailer", retailer.slug)
        assert code == 1
        assert f"{level.sku} @ {level.warehouse.code}: reserved" in output


@pytest.mark.django_db
def test_check_stock_names_a_hand_made_drift_and_exits_1(move, retailer):
    # Given a clean ledger
    move("TEE", "receive", 10)
    move("TEE", "reserve", 2)
    move("CAP", "receive", 1)
    code, output = check_stock()
    assert code == 0
    assert output.startswith("Stock is consistent with its ledger")

    # When someone edits a level behind the ledger's back
    StockLevel.objects.filter(sku="TEE").update(on_hand=12, reserved=1)

    # Then the check fails and says where and by how much
    code, output = check_stock("--retailer", "acme")
    assert code == 1
    assert (
        "DRIFT acme TEE @ main: on_hand 12 but its movements add up to 10 (+2); "
        "reserved 1 but its movements add up to 2 (-1)"
    ) in output
    assert "CAP" not in output
    assert "Stock drift found in 1 place(s)" in output


@pytest.mark.django_db
def test_check_stock_finds_a_movement_deleted_from_the_ledger(move):
    move("TEE", "receive", 10)
    move("TEE", "write_off", 1)
    StockMovement.objects.filter(kind="write_off").delete()

    code, output = check_stock()

    assert code == 1
    assert "on_hand 9 but its movements add up to 10 (-1)" in output


@pytest.mark.django_db
def test_check_stock_lines_compares_order_lines_with_their_reservations(make_order):
    # Given an order holding 2 TEE
    make_order("A-1", lines=(("l1", "TEE", 2, "10.00"),))
    assert check_stock("--lines")[0] == 0

    # When the line's reserved_quantity is changed by hand
    OrderLine.objects.update(reserved_quantity=5)

    # Then levels still match their ledger, but the line check names the order
    assert check_stock()[0] == 0
    code, output = check_stock("--lines")
    assert code == 1
    assert (
        "DRIFT acme order A-1 TEE @ main: lines hold 5 reserved but its movements add up to 2 (+3)"
    ) in output


@pytest.mark.django_db
def test_check_stock_scopes_to_one_retailer(move, other_retailer):
    move("TEE", "receive", 10, retailer=other_retailer)
    StockLevel.objects.update(on_hand=3)

    assert check_stock("--retailer", "acme")[0] == 0
    assert check_stock("--retailer", "globex")[0] == 1
    assert check_stock("--retailer", "nobody") == (1, "No retailer 'nobody'.")


@pytest.mark.django_db
def test_check_stock_reports_progress_in_chunks(move):
    from io import StringIO

    for n in range(5):
        move(f"SKU-{n}", "receive", 1)
    progress = StringIO()

    call_command("check_stock", "--chunk-size", "2", stdout=StringIO(), stderr=progress)

    assert progress.getvalue().splitlines() == [
        "checked 2/5 levels",
        "checked 4/5 levels",
        "checked 5/5 levels",
    ]
    assert ledger_of(level_of("SKU-0")) == (1, 0)

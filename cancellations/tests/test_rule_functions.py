"""Each verification rule is a pure function of the request's context (SPEC §4): tested
here directly, without a database; test_rules.py goes through the API."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from cancellations import rules
from cancellations.models import Status

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def policy(**overrides):
    values = {
        "cancellation_window_hours": 24,
        "return_window_days": 30,
        "abuse_threshold": 5,
        "auto_approve_limit": Decimal("250.00"),
        "agent_approval_limit": Decimal("1000.00"),
        "require_customer_confirmation": True,
        "customer_confirmation_hours": 48,
        "warehouse_response_hours": 4,
    }
    return SimpleNamespace(**{**values, **overrides})


def order(
    *, placed_hours_ago=1, fulfillment="unfulfilled", shipped_days_ago=None, delivered_days_ago=None
):
    def ago(days):
        return None if days is None else NOW - timedelta(days=days)

    return SimpleNamespace(
        currency="USD",
        placed_at=NOW - timedelta(hours=placed_hours_ago),
        fulfillment_status=fulfillment,
        is_shipped=fulfillment in ("shipped", "delivered"),
        shipped_at=ago(shipped_days_ago),
        delivered_at=ago(delivered_days_ago),
        Fulfillment=SimpleNamespace(DELIVERED="delivered"),
    )


def context(
    *,
    total="20.00",
    final_sale_skus=(),
    channel="storefront",
    recent=0,
    confirmed=False,
    the_order=None,
    the_policy=None,
):
    lines = [
        SimpleNamespace(line=SimpleNamespace(sku=sku, final_sale=True)) for sku in final_sale_skus
    ] + [SimpleNamespace(line=SimpleNamespace(sku="TEE", final_sale=False))]
    return rules.Context(
        order=the_order or order(),
        policy=the_policy or policy(),
        quote=SimpleNamespace(lines=lines, total=Decimal(total)),
        channel=channel,
        now=NOW,
        recent_cancellations=recent,
        customer_confirmed=confirmed,
    )


def test_final_sale_rejects_naming_the_skus():
    decision = rules.final_sale(context(final_sale_skus=["GIFT", "CARD"]))

    assert (decision.outcome, decision.rule) == (Status.REJECTED, "final_sale")
    assert decision.explanation == "GIFT, CARD are final-sale items and cannot be cancelled."
    assert rules.final_sale(context()) is None


@pytest.mark.parametrize(
    ("the_order", "outcome", "rule"),
    [
        (order(), None, None),
        (order(fulfillment="shipped", shipped_days_ago=29), "return_required", "already_shipped"),
        (order(fulfillment="shipped", shipped_days_ago=31), "rejected", "outside_return_window"),
        # Delivered: the window counts from delivery, not shipment.
        (
            order(fulfillment="delivered", shipped_days_ago=40, delivered_days_ago=10),
            "return_required",
            "already_shipped",
        ),
        (
            order(fulfillment="delivered", shipped_days_ago=40, delivered_days_ago=31),
            "rejected",
            "outside_return_window",
        ),
    ],
)
def test_already_shipped_sends_to_a_return_inside_the_window_only(the_order, outcome, rule):
    decision = rules.already_shipped(context(the_order=the_order))

    if outcome is None:
        assert decision is None
    else:
        assert (decision.outcome, decision.rule) == (outcome, rule)


def test_possible_abuse_from_the_threshold():
    assert rules.possible_abuse(context(recent=4)) is None
    decision = rules.possible_abuse(context(recent=5))
    assert (decision.outcome, decision.rule) == (Status.IN_REVIEW, "possible_abuse")


def test_outside_the_cancellation_window_goes_to_review():
    assert rules.outside_cancellation_window(context(the_order=order(placed_hours_ago=24))) is None
    decision = rules.outside_cancellation_window(context(the_order=order(placed_hours_ago=25)))
    assert (decision.outcome, decision.rule) == (Status.IN_REVIEW, "outside_cancellation_window")


@pytest.mark.parametrize(
    ("total", "outcome", "rule"),
    [
        ("250.00", None, None),
        ("250.01", Status.IN_REVIEW, "above_auto_approve_limit"),
        ("1000.00", Status.IN_REVIEW, "above_auto_approve_limit"),
        ("1000.01", Status.ESCALATED, "above_agent_approval_limit"),
    ],
)
def test_approval_limits_send_agents_what_they_may_approve(total, outcome, rule):
    decision = rules.above_approval_limits(context(total=total))

    if outcome is None:
        assert decision is None
    else:
        assert (decision.outcome, decision.rule) == (outcome, rule)
        assert total in decision.explanation


def test_customer_confirmation_for_other_channels_until_confirmed():
    assert rules.needs_customer_confirmation(context()) is None
    decision = rules.needs_customer_confirmation(context(channel="phone"))
    assert (decision.outcome, decision.rule) == (
        Status.AWAITING_CUSTOMER,
        "needs_customer_confirmation",
    )
    assert rules.needs_customer_confirmation(context(channel="phone", confirmed=True)) is None
    no_confirmation = policy(require_customer_confirmation=False)
    assert (
        rules.needs_customer_confirmation(context(channel="phone", the_policy=no_confirmation))
        is None
    )


def test_the_first_rule_that_decides_wins():
    # final sale and old and expensive: final sale, the first rule, decides
    everything = context(
        final_sale_skus=["X"], total="5000.00", the_order=order(placed_hours_ago=72), recent=9
    )
    assert rules.verify(everything).rule == "final_sale"
    # old and expensive: the window (rule 4) comes before the limits (rule 5)
    assert rules.verify(context(total="5000.00", the_order=order(placed_hours_ago=72))).rule == (
        "outside_cancellation_window"
    )
    assert rules.verify(context()).rule == "auto_approved"


def test_every_code_a_rule_gives_is_listed_for_the_queue_filters():
    contexts = [
        context(final_sale_skus=["X"]),
        context(the_order=order(fulfillment="shipped", shipped_days_ago=1)),
        context(the_order=order(fulfillment="shipped", shipped_days_ago=90)),
        context(recent=9),
        context(the_order=order(placed_hours_ago=72)),
        context(total="5000.00"),
        context(total="500.00"),
        context(channel="chat"),
        context(),
        context(the_order=order(fulfillment="in_progress")),
    ]
    codes = {rules.verify(ctx).rule for ctx in contexts}

    assert codes == set(rules.RULE_CODES)


def test_an_approval_of_an_order_the_warehouse_is_picking_waits_for_the_warehouse():
    # Given an order the warehouse is picking, within every threshold
    ctx = context(the_order=order(fulfillment="in_progress"))

    # When the rules decide
    decision = rules.verify(ctx)

    # Then it waits for the warehouse instead of being approved (SPEC §12)
    assert (decision.outcome, decision.rule) == ("awaiting_warehouse", "warehouse_hold")


def test_the_warehouse_hold_changes_no_other_decision():
    # Given an in-progress order that needs an agent anyway (above the auto limit)
    ctx = context(the_order=order(fulfillment="in_progress"), total="500.00")

    # Then the agent decides first; the hold only replaces an approval
    assert rules.verify(ctx).rule == "above_auto_approve_limit"

"""Verification rules (SPEC §4), checked in order; the first that decides wins.

Each rule is one small function of the request's context returning a Decision or None.
A new rule is one function and one line in RULES. Thresholds all come from the
retailer's policy version, which the decision keeps.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from cancellations.models import Channel, Status
from kernel.money import format_amount


@dataclass(frozen=True)
class Decision:
    outcome: str
    rule: str
    explanation: str


@dataclass(frozen=True)
class Context:
    order: object
    policy: object
    quote: object
    channel: str
    now: datetime
    recent_cancellations: int  # the customer's other requests in the last 30 days
    customer_confirmed: bool = False


def final_sale(ctx: Context) -> Decision | None:
    skus = [lr.line.sku for lr in ctx.quote.lines if lr.line.final_sale]
    if skus:
        what = "is a final-sale item" if len(skus) == 1 else "are final-sale items"
        return Decision(
            Status.REJECTED, "final_sale", f"{', '.join(skus)} {what} and cannot be cancelled."
        )
    return None


def already_shipped(ctx: Context) -> Decision | None:
    order = ctx.order
    if not order.is_shipped:
        return None
    delivered = order.fulfillment_status == order.Fulfillment.DELIVERED and order.delivered_at
    since, event = (order.delivered_at, "delivered") if delivered else (order.shipped_at, "shipped")
    days = ctx.policy.return_window_days
    if since is None or ctx.now - since <= timedelta(days=days):
        return Decision(
            Status.RETURN_REQUIRED,
            "already_shipped",
            f"The order has already {event}; it can be returned within {days} days "
            f"of being {event}, and is refunded once the goods are back.",
        )
    return Decision(
        Status.REJECTED,
        "outside_return_window",
        f"The order {event} on {since:%Y-%m-%d}, more than {days} days ago: it is outside "
        "the return window.",
    )


def possible_abuse(ctx: Context) -> Decision | None:
    threshold = ctx.policy.abuse_threshold
    if ctx.recent_cancellations >= threshold:
        return Decision(
            Status.IN_REVIEW,
            "possible_abuse",
            f"The customer made {ctx.recent_cancellations} other cancellation request(s) in "
            f"the last 30 days (review from {threshold}); an agent will check it.",
        )
    return None


def outside_cancellation_window(ctx: Context) -> Decision | None:
    hours = ctx.policy.cancellation_window_hours
    if ctx.now - ctx.order.placed_at > timedelta(hours=hours):
        return Decision(
            Status.IN_REVIEW,
            "outside_cancellation_window",
            f"The order was placed more than {hours} hours ago, after the automatic "
            "cancellation window; an agent will check it.",
        )
    return None


def above_approval_limits(ctx: Context) -> Decision | None:
    """Refunds above what agents may approve wait for a supervisor; above what rules may
    approve, for an agent. Supervisors see only what is above the agents (SPEC §4 rule 5)."""
    currency = ctx.order.currency
    total = format_amount(ctx.quote.total, currency)
    agents = ctx.policy.agent_approval_limit
    if ctx.quote.total > agents:
        return Decision(
            Status.ESCALATED,
            "above_agent_approval_limit",
            f"The refund of {total} {currency} is above the agents' approval limit of "
            f"{format_amount(agents, currency)}; a supervisor will decide.",
        )
    rules = ctx.policy.auto_approve_limit
    if ctx.quote.total > rules:
        return Decision(
            Status.IN_REVIEW,
            "above_auto_approve_limit",
            f"The refund of {total} {currency} is above the automatic approval limit of "
            f"{format_amount(rules, currency)}; an agent will decide.",
        )
    return None


def needs_customer_confirmation(ctx: Context) -> Decision | None:
    if (
        ctx.channel != Channel.STOREFRONT
        and ctx.policy.require_customer_confirmation
        and not ctx.customer_confirmed
    ):
        return Decision(
            Status.AWAITING_CUSTOMER,
            "needs_customer_confirmation",
            f"Requested through {ctx.channel}; the customer must confirm within "
            f"{ctx.policy.customer_confirmation_hours} hours.",
        )
    return None


def auto_approved(ctx: Context) -> Decision:
    return Decision(Status.APPROVED, "auto_approved", "Within policy: approved automatically.")


RULES = [
    final_sale,
    already_shipped,
    possible_abuse,
    outside_cancellation_window,
    above_approval_limits,
    needs_customer_confirmation,
    auto_approved,
]


def warehouse_hold(decision: Decision, ctx: Context) -> Decision:
    """An approval of an order the warehouse is picking waits for the warehouse to stop
    (SPEC §12): no refund goes out for goods that may still ship."""
    at_warehouse = getattr(ctx.order, "fulfillment_status", "") == "in_progress"
    if decision.outcome != Status.APPROVED or not at_warehouse:
        return decision
    hours = ctx.policy.warehouse_response_hours
    return Decision(
        Status.AWAITING_WAREHOUSE,
        "warehouse_hold",
        "The warehouse is picking the order: it is asked to stop, and answers within "
        f"{hours} hours. Refunded once it has stopped; returned if it already shipped.",
    )


# Every code a rule decides with, in the order they are checked (what queues filter by).
RULE_CODES = (
    "final_sale",
    "already_shipped",
    "outside_return_window",
    "possible_abuse",
    "outside_cancellation_window",
    "above_agent_approval_limit",
    "above_auto_approve_limit",
    "needs_customer_confirmation",
    "auto_approved",
    "warehouse_hold",
)


def verify(ctx: Context) -> Decision:
    for rule in RULES:
        decision = rule(ctx)
        if decision is not None:
            return warehouse_hold(decision, ctx)
    raise AssertionError("auto_approved always decides")

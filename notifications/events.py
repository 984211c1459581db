"""The events Rescind tells about, and which of them become customer messages."""

from dataclasses import dataclass

# Every event a webhook endpoint can subscribe to (SPEC §5, plus inventory.adjusted).
EVENT_TYPES = (
    "cancellation.created",
    "cancellation.awaiting_customer",
    "cancellation.approved",
    "cancellation.rejected",
    "cancellation.escalated",
    "cancellation.in_review",
    "cancellation.return_required",
    "cancellation.withdrawn",
    "cancellation.completed",
    "cancellation.awaiting_warehouse",
    "cancellation.agent_message",
    "refund.succeeded",
    "refund.failed",
    "return.created",
    "return.authorised",
    "return.declined",
    "return.in_transit",
    "return.received",
    "return.inspected",
    "return.closed",
    "return.expired",
    "return.cancelled",
    "return.exchange_created",
    "store_credit.issued",
    "store_credit.failed",
    "inventory.adjusted",
    # The warehouse hold (SPEC §12): the warehouse is asked to stop picking an order.
    "fulfillment.cancellation_requested",
)

# A message to the retailer itself rather than to a customer.
ENDPOINT_DISABLED = "webhook.endpoint_disabled"


@dataclass(frozen=True)
class CustomerMessage:
    name: str
    # Essential messages go even to customers who opted out: they are about their money
    # or need them to act.
    essential: bool


CUSTOMER_MESSAGES = {
    "cancellation.created": CustomerMessage("request received", essential=False),
    "cancellation.awaiting_customer": CustomerMessage("confirmation needed", essential=True),
    "cancellation.approved": CustomerMessage("approved", essential=False),
    "cancellation.rejected": CustomerMessage("rejected", essential=False),
    "cancellation.withdrawn": CustomerMessage("withdrawn", essential=False),
    "refund.succeeded": CustomerMessage("refund issued", essential=True),
    "refund.failed": CustomerMessage("refund failed", essential=True),
    # The goods shipped: how to send them back (a return was created with the request).
    "cancellation.return_required": CustomerMessage("return needed", essential=True),
    # Returns (SPEC §8): the label, a decline, the parcel's arrival, the money.
    "return.authorised": CustomerMessage("return label", essential=True),
    "return.declined": CustomerMessage("return declined", essential=False),
    "return.received": CustomerMessage("return received", essential=False),
    "return.closed": CustomerMessage("return closed", essential=True),
    "store_credit.issued": CustomerMessage("store credit issued", essential=True),
    # An agent writing about the customer's case: personal, so never filtered out.
    "cancellation.agent_message": CustomerMessage("message from the team", essential=True),
}

# Events whose wording comes from the caller (`data`): every emit is a new message.
CALLER_WORDED = ("cancellation.agent_message",)

# Every template that ships with the product (customer messages and retailer notices).
TEMPLATE_EVENTS = (*CUSTOMER_MESSAGES, ENDPOINT_DISABLED)

# Messages that make a not-yet-sent "received" message for the same request redundant.
SUPERSEDES_RECEIVED = (
    "cancellation.awaiting_customer",
    "cancellation.return_required",
    "cancellation.approved",
    "cancellation.rejected",
    "cancellation.withdrawn",
)

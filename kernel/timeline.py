"""The order timeline: every change of state, by every domain, in one story per order.

`order_event_record` is the one way to append to it. The rows themselves are the
orders app's (`orders.OrderEvent`), which registers the writer once at start-up
(`timeline_writer_register`); apps below orders (notifications, inventory) append
without importing it. Inside a journal (`kernel.journal`) the events of a change are
written together when it ends, still inside its transaction.

Every kind is a member of `EventKind`: a new kind is one line here, and a typo in a
kind is an error, not a row nobody finds.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kernel.actors import Actor
from kernel.journal import journal_append


class EventKind(StrEnum):
    # orders
    ORDER_CREATED = "order.created"
    ORDER_UPDATED = "order.updated"
    ORDER_FULFILLMENT_CHANGED = "order.fulfillment_changed"
    ORDER_FIGURES_MISMATCH = "order.figures_mismatch"
    ORDER_FIGURES_RECONCILED = "order.figures_reconciled"
    # the warehouse hold (SPEC §12): asking the warehouse to stop, or to go on
    FULFILLMENT_STOP_REQUESTED = "fulfillment.stop_requested"
    FULFILLMENT_STOP_SENT = "fulfillment.stop_sent"
    FULFILLMENT_RESUME_SENT = "fulfillment.resume_sent"
    FULFILLMENT_REQUEST_FAILED = "fulfillment.request_failed"
    # connectors (SPEC §12)
    CONNECTOR_ORDER_CANCELLED = "connector.order_cancelled"
    CONNECTOR_NOTE = "connector.note"
    # cancellation requests: one per state (`cancellation.<status>`), then the rest
    CANCELLATION_RECEIVED = "cancellation.received"
    CANCELLATION_APPROVED = "cancellation.approved"
    CANCELLATION_AWAITING_CUSTOMER = "cancellation.awaiting_customer"
    CANCELLATION_IN_REVIEW = "cancellation.in_review"
    CANCELLATION_ESCALATED = "cancellation.escalated"
    CANCELLATION_RETURN_REQUIRED = "cancellation.return_required"
    CANCELLATION_REJECTED = "cancellation.rejected"
    CANCELLATION_WITHDRAWN = "cancellation.withdrawn"
    CANCELLATION_AWAITING_WAREHOUSE = "cancellation.awaiting_warehouse"
    CANCELLATION_WAREHOUSE_ANSWERED = "cancellation.warehouse_answered"
    CANCELLATION_COMPLETED = "cancellation.completed"
    CANCELLATION_CONFIRMED = "cancellation.confirmed"
    CANCELLATION_LINES_CHANGED = "cancellation.lines_changed"
    CANCELLATION_NEEDS_ATTENTION = "cancellation.needs_attention"
    CANCELLATION_NOTE = "cancellation.note"
    CANCELLATION_CUSTOMER_CONTACTED = "cancellation.customer_contacted"
    CANCELLATION_CLAIMED = "cancellation.claimed"
    CANCELLATION_RELEASED = "cancellation.released"
    CANCELLATION_REASSIGNED = "cancellation.reassigned"
    # refunds
    REFUND_CREATED = "refund.created"
    REFUND_ATTEMPT_FAILED = "refund.attempt_failed"
    REFUND_SUCCEEDED = "refund.succeeded"
    REFUND_FAILED = "refund.failed"
    REFUND_RETRIED = "refund.retried"
    REFUND_RECORDED_MANUALLY = "refund.recorded_manually"
    # a refund made outside Rescind (in Shopify's admin), recorded so it is never repeated
    REFUND_RECORDED_EXTERNALLY = "refund.recorded_externally"
    # returns: one per state (`return.<status>`), then the rest
    RETURN_REQUESTED = "return.requested"
    RETURN_AUTHORISED = "return.authorised"
    RETURN_DECLINED = "return.declined"
    RETURN_IN_TRANSIT = "return.in_transit"
    RETURN_RECEIVED = "return.received"
    RETURN_INSPECTED = "return.inspected"
    RETURN_CLOSED = "return.closed"
    RETURN_EXPIRED = "return.expired"
    RETURN_CANCELLED = "return.cancelled"
    RETURN_LABEL_BOUGHT = "return.label_bought"
    RETURN_NEEDS_ATTENTION = "return.needs_attention"
    RETURN_EXCHANGE_CREATED = "return.exchange_created"
    # store credit
    STORE_CREDIT_CREATED = "store_credit.created"
    STORE_CREDIT_ATTEMPT_FAILED = "store_credit.attempt_failed"
    STORE_CREDIT_ISSUED = "store_credit.issued"
    STORE_CREDIT_FAILED = "store_credit.failed"
    STORE_CREDIT_RETRIED = "store_credit.retried"
    # messages to the customer
    NOTIFICATION_SENT = "notification.sent"
    NOTIFICATION_FAILED = "notification.failed"


@dataclass(frozen=True)
class TimelineEntry:
    order: Any
    kind: EventKind
    message: str
    actor: Actor
    subject_type: str = ""
    subject_id: int | None = None
    from_state: str = ""
    to_state: str = ""
    data: dict = field(default_factory=dict)


_writer: Callable[[list[TimelineEntry]], None] | None = None


def timeline_writer_register(writer: Callable[[list[TimelineEntry]], None]) -> None:
    """Set who stores timeline entries (the orders app, once, at start-up)."""
    global _writer
    _writer = writer


def order_event_record(
    *,
    order,
    kind: EventKind | str,
    message: str,
    actor: Actor,
    subject=None,
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> None:
    """Append one event to `order`'s timeline; call it inside the transaction that made
    the change. `subject` is the object the event is about (its model name and id are
    kept). Raises ValueError for a kind that is not an `EventKind`."""
    entry = TimelineEntry(
        order=order,
        kind=EventKind(kind),
        message=message,
        actor=actor,
        subject_type=subject._meta.model_name if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )
    journal_append(_write, entry)


def _write(entries: list[TimelineEntry]) -> None:
    if _writer is None:
        raise RuntimeError("no timeline writer registered (is the orders app installed?)")
    _writer(entries)

"""Telling customers and retailers' systems: the one entry point other apps call.

(Interface fixed here; the notifications issue builds what is behind it.)
"""


def event_emit(*, retailer, event_type: str, data: dict, order=None, subject=None) -> None:
    """Record that `event_type` happened, inside the caller's transaction.

    Writes the outbox rows for it: one webhook delivery per active endpoint of the
    retailer that wants the event, and the customer message(s) the event calls for.
    They are handed to workers on commit, so a rolled-back change sends nothing.

    Event types: cancellation.created, cancellation.awaiting_customer,
    cancellation.approved, cancellation.rejected, cancellation.escalated,
    cancellation.in_review, cancellation.return_required, cancellation.withdrawn,
    cancellation.completed, refund.succeeded, refund.failed, inventory.adjusted.
    `subject` is the CancellationRequest, Refund or StockLevel the event is about.
    """

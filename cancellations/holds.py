"""Asking the warehouse to stop, or to go on (SPEC §12): what entering and leaving
`awaiting_warehouse` writes, in the caller's transaction. Below `services` and
`warehouse`, which both use it."""

from datetime import timedelta

from kernel.actors import Actor
from notifications.services import event_emit
from orders.fulfillment.services import fulfillment_request_create
from orders.models import FulfillmentRequest


def warehouse_hold_effects(cancellation, quote, *, actor: Actor, now) -> None:
    """Ask the warehouse to stop (SPEC §12): the retailer's fulfilment adapter after
    commit, and the webhook `fulfillment.cancellation_requested` with the lines. Nothing
    is cancelled, released or refunded until it answers."""
    policy = cancellation.policy
    # Calendar hours, not the retailer's business hours: a warehouse's shifts are its
    # own, and goods ship on real time.
    cancellation.warehouse_due_at = now + timedelta(hours=policy.warehouse_response_hours)
    cancellation.save(update_fields=["warehouse_due_at", "updated_at"])
    lines = [
        {
            "line": lr.line.external_id,
            "sku": lr.line.sku,
            "quantity": lr.quantity,
            "warehouse": lr.line.warehouse,
        }
        for lr in quote.lines
    ]
    fulfillment_request_create(
        order=cancellation.order,
        cancellation=cancellation,
        kind=FulfillmentRequest.Kind.STOP,
        lines=lines,
        message=f"Cancellation {cancellation.pk}: {cancellation.get_reason_display().lower()}.",
        actor=actor,
    )
    event_emit(
        retailer=cancellation.retailer,
        event_type="fulfillment.cancellation_requested",
        # The request's own `lines` (with their refund amounts) come with its shape; these
        # add where each line is picked.
        data={
            "stop_lines": lines,
            "respond_by": cancellation.warehouse_due_at,
            "answer_url": f"/api/v1/cancellations/{cancellation.pk}/warehouse",
        },
        order=cancellation.order,
        subject=cancellation,
    )


def warehouse_resume(cancellation, *, actor: Actor) -> None:
    """The warehouse was asked to stop and has not stopped: tell it to go on."""
    stop = (
        FulfillmentRequest.objects.filter(
            cancellation=cancellation, kind=FulfillmentRequest.Kind.STOP
        )
        .order_by("-pk")
        .first()
    )
    if stop is None or stop.status not in (
        FulfillmentRequest.Status.PENDING,
        FulfillmentRequest.Status.SUBMITTED,
    ):
        return
    fulfillment_request_create(
        order=cancellation.order,
        cancellation=cancellation,
        kind=FulfillmentRequest.Kind.RESUME,
        lines=stop.lines,
        message=f"Cancellation {cancellation.pk} was withdrawn: please go on.",
        actor=actor,
    )

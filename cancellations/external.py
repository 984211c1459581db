"""Cancellations made in the retailer's own system (a connected shop's admin, SPEC
§12), recorded so that Rescind knows the units are gone and never refunds them."""

from django.db import transaction
from django.utils import timezone

from cancellations.models import UNDECIDED, CancellationLine, CancellationRequest, Channel, Status
from cancellations.services import _order_for_update
from cancellations.transitions import cancellation_transition
from inventory.services import line_stock_release
from kernel.actors import Actor
from kernel.journal import journal
from kernel.timeline import EventKind, order_event_record
from retailers.services import policy_current


def cancellation_record_by_retailer(
    *, retailer, order: str, actor: Actor, note: str = "", reason: str = "other"
) -> CancellationRequest | None:
    """Units the retailer cancelled in its own system (Shopify's admin, SPEC §12),
    recorded as a request through channel `retailer`: approved and completed at once,
    their stock released, and no refund from us (any money the retailer gave back is
    its own refund, recorded apart). Returns None when nothing was left to cancel.

    A request still open on the order is withdrawn first, without telling the
    customer (the retailer did) nor asking the warehouse to go on (the order is off).
    """
    with transaction.atomic(), journal():
        order_obj = _order_for_update(retailer=retailer, external_id=order)
        for open_request in CancellationRequest.objects.select_for_update().filter(
            order=order_obj, status__in=UNDECIDED
        ):
            open_request.order = order_obj
            cancellation_transition(
                cancellation=open_request,
                to=Status.WITHDRAWN,
                actor=actor,
                why="The retailer cancelled the order in its own system.",
                tell_customer=False,
            )
        active = [line for line in order_obj.lines.all() if line.active_quantity]
        if not active:
            return None
        now = timezone.now()
        policy = policy_current(retailer=retailer)
        explanation = "Cancelled by the retailer in its own system; it refunds what it owes."
        cancellation = CancellationRequest.objects.create(
            retailer=retailer,
            order=order_obj,
            reason=reason,
            channel=Channel.RETAILER,
            note=note,
            policy=policy,
            decision_outcome=Status.APPROVED,
            decision_rule="cancelled_by_retailer",
            decision_explanation=explanation,
            decided_at=now,
            created_by=actor.label,
        )
        lines = CancellationLine.objects.bulk_create(
            CancellationLine(request=cancellation, line=line, quantity=line.active_quantity)
            for line in active
        )
        units = sum(cl.quantity for cl in lines)
        order_event_record(
            order=order_obj,
            kind=EventKind.CANCELLATION_RECEIVED,
            message=f"Cancelled by the retailer: {units} unit(s). {note}".strip(),
            actor=actor,
            subject=cancellation,
            to_state=Status.RECEIVED,
            data={
                "lines": [{"line": cl.line.external_id, "quantity": cl.quantity} for cl in lines]
            },
        )
        cancellation_transition(
            cancellation=cancellation,
            to=Status.APPROVED,
            actor=Actor.rule("cancelled_by_retailer"),
            why=explanation,
            data={"rule": "cancelled_by_retailer", "policy_version": policy.version},
            tell_customer=False,
        )
        for cancellation_line in lines:
            line = cancellation_line.line
            if not order_obj.is_shipped:
                line_stock_release(
                    line=line,
                    quantity=cancellation_line.quantity,
                    source=cancellation_line,
                    actor=actor,
                    save=False,
                )
            line.cancelled_quantity += cancellation_line.quantity
            line.save(update_fields=["cancelled_quantity", "reserved_quantity"])
        cancellation_transition(
            cancellation=cancellation,
            to=Status.COMPLETED,
            actor=Actor.system(),
            why="Nothing is owed by us: the retailer refunds in its own system.",
            tell_customer=False,
        )
    return cancellation

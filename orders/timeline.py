"""The one way to append to an order's timeline."""

from kernel.actors import Actor
from kernel.journal import journal_append
from orders.models import OrderEvent


def order_event_record(
    *,
    order,
    kind: str,
    message: str,
    actor: Actor,
    subject=None,
    from_state: str = "",
    to_state: str = "",
    data: dict | None = None,
) -> OrderEvent:
    """Append one event; call it inside the transaction that made the change.

    Inside a journal (kernel.journal) the row is written when the change ends.
    """
    event = OrderEvent(
        order=order,
        kind=kind,
        message=message,
        actor_kind=actor.kind,
        actor_label=actor.label,
        actor_user=actor.user,
        actor_api_key=actor.api_key,
        subject_type=subject._meta.model_name if subject is not None else "",
        subject_id=subject.pk if subject is not None else None,
        from_state=from_state,
        to_state=to_state,
        data=data or {},
    )
    journal_append(_events_write, event)
    return event


def _events_write(events: list[OrderEvent]) -> None:
    OrderEvent.objects.bulk_create(events)

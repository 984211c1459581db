"""Where the order timeline is stored: `kernel.timeline` hands its entries here."""

from kernel.timeline import TimelineEntry
from orders.models import OrderEvent


def timeline_entries_write(entries: list[TimelineEntry]) -> None:
    """Store a change's timeline entries, one insert for them all."""
    OrderEvent.objects.bulk_create(
        OrderEvent(
            order=entry.order,
            kind=entry.kind.value,
            message=entry.message,
            actor_kind=entry.actor.kind,
            actor_label=entry.actor.label,
            actor_user=entry.actor.user,
            actor_api_key=entry.actor.api_key,
            subject_type=entry.subject_type,
            subject_id=entry.subject_id,
            from_state=entry.from_state,
            to_state=entry.to_state,
            data=entry.data,
        )
        for entry in entries
    )

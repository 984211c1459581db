"""Messages agents send to customers from a case, and the canned replies behind them."""

import re

from django.db import transaction

from desk.models import Macro
from kernel.actors import Actor
from kernel.errors import DomainError, ErrorCode
from kernel.money import format_amount
from kernel.timeline import EventKind, order_event_record
from notifications.services import event_emit
from retailers.services import policy_current

PLACEHOLDER = re.compile(r"\{(\w+)\}")
AGENT_MESSAGE_EVENT = "cancellation.agent_message"


def macro_context(*, cancellation, actor: Actor, policy=None) -> dict[str, str]:
    """The values a macro's placeholders are filled with, as plain text."""
    order = cancellation.order
    policy = policy or policy_current(retailer=cancellation.retailer)
    customer = order.customer
    return {
        "customer_name": customer.name or "there",
        "order": order.external_id,
        "retailer": cancellation.retailer.name,
        "refund_total": f"{format_amount(cancellation.refund_total, order.currency)} "
        f"{order.currency}",
        "refund_timeline": policy.refund_timeline_text,
        "request": str(cancellation.pk),
        "agent": actor.label,
    }


def macro_render(text: str, context: dict[str, str]) -> str:
    """Fill `{name}` placeholders; an unknown one is left as written so the agent sees it.

    A plain substitution, not str.format or a template engine: macro text is written in
    admin and must not reach attributes of anything.
    """
    return PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), text)


def cancellation_message_customer(
    *, cancellation, actor: Actor, subject: str, body: str, macro: Macro | None = None
) -> None:
    """Send the customer a message written (or picked from a macro) by an agent.

    `cancellation.agent_message` makes notifications send the agent's words as they are
    (an essential message, in the retailer's branding), and tells the retailer's
    webhooks. It is written in the same transaction as the timeline event that records
    it, so it is sent once that is committed and never for a change that rolled back.
    """
    subject, body = subject.strip(), body.strip()
    if not subject or not body:
        raise DomainError(
            ErrorCode.INVALID,
            "A message to the customer needs a subject and a text.",
            errors={
                name: ["Required."]
                for name, value in (("subject", subject), ("body", body))
                if not value
            },
        )
    order = cancellation.order
    with transaction.atomic():
        order_event_record(
            order=order,
            kind=EventKind.CANCELLATION_CUSTOMER_CONTACTED,
            message=f"Message to the customer: \u201c{subject}\u201d.",
            actor=actor,
            subject=cancellation,
            data={"subject": subject, "body": body, "macro": macro.name if macro else None},
        )
        event_emit(
            retailer=cancellation.retailer,
            event_type=AGENT_MESSAGE_EVENT,
            data={"subject": subject, "body": body},
            order=order,
            subject=cancellation,
        )

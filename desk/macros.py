"""Canned replies agents send to customers from a case: which are offered, and how their
placeholders are filled."""

import re

from django.db.models import Q

from desk.models import Macro
from kernel.actors import Actor
from kernel.money import format_amount
from retailers.services import policy_current

PLACEHOLDER = re.compile(r"\{(\w+)\}")


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


def macros_for(retailer_id: int) -> list[Macro]:
    """The canned replies offered on a case of this retailer: its own and everyone's."""
    return list(
        Macro.objects.filter(
            Q(retailer_id=retailer_id) | Q(retailer__isnull=True), is_active=True
        ).order_by("name")
    )


def macro_render(text: str, context: dict[str, str]) -> str:
    """Fill `{name}` placeholders; an unknown one is left as written so the agent sees it.

    A plain substitution, not str.format or a template engine: macro text is written in
    admin and must not reach attributes of anything.
    """
    return PLACEHOLDER.sub(lambda m: context.get(m.group(1), m.group(0)), text)

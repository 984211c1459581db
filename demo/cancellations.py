"""Demo cancellations for `make run`: every state, failed refunds and a busy queue."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from cancellations.decisions import cancellation_approve, cancellation_escalate, cancellation_reject
from cancellations.models import CancellationRequest, Reason
from cancellations.services import cancellation_submit, cancellation_withdraw
from kernel.actors import Actor
from kernel.errors import DomainError
from orders.models import Order
from retailers.models import ApiKey
from retailers.services import policy_update

REASONS = [r.value for r in Reason]


def seed_cancellations(*, retailers, rng, out):
    from demo.world import progress

    # Yen amounts need yen limits: version 2 of Nihon Kitchen's policy says so.
    policy_update(
        retailer=retailers["nihon"],
        values={"auto_approve_limit": "30000", "agent_approval_limit": "120000"},
        created_by="demo data",
    )
    agent = get_user_model().objects.get(username="agent")
    supervisor = get_user_model().objects.get(username="supervisor")
    for retailer in retailers.values():
        key = ApiKey.objects.filter(retailer=retailer).first()
        storefront = Actor.for_api_key(key)
        orders = list(
            Order.objects.filter(retailer=retailer)
            .select_related("customer")
            .prefetch_related("lines", "payments")
            .order_by("placed_at")
        )
        rng.shuffle(orders)
        total = len(orders) * 2 // 3
        for order in progress(orders[:total], out=out, label=f"cancellations for {retailer.slug}"):
            _one(order, rng, storefront, agent, supervisor)


def _one(order, rng, storefront, agent, supervisor):
    lines = None
    active = [line for line in order.lines.all() if line.active_quantity]
    if len(active) > 1 and rng.random() < 0.35:
        line = rng.choice(active)
        lines = [{"line": line.external_id, "quantity": rng.randint(1, line.active_quantity)}]
    channel = rng.choice(["storefront"] * 5 + ["phone", "email", "chat"])
    try:
        cancellation = cancellation_submit(
            retailer=order.retailer,
            order=order.external_id,
            reason=rng.choice(REASONS),
            channel=channel,
            lines=lines,
            note=rng.choice(["", "", "Customer wrote in twice.", "Asked on chat."]),
            actor=storefront,
        )
    except DomainError:
        return
    # People work some of the queue; the rest stays for the agent who signs in.
    roll = rng.random()
    agent_actor, super_actor = Actor.for_user(agent), Actor.for_user(supervisor)
    try:
        if cancellation.status == "in_review" and roll < 0.25:
            cancellation_approve(cancellation=cancellation, actor=agent_actor)
        elif cancellation.status == "in_review" and roll < 0.35:
            cancellation_reject(
                cancellation=cancellation,
                actor=agent_actor,
                reason_code="already_fulfilled",
                message="The parcel was already with the carrier.",
            )
        elif cancellation.status == "in_review" and roll < 0.42:
            cancellation_escalate(
                cancellation=cancellation, actor=agent_actor, note="Repeat canceller, high value."
            )
        elif cancellation.status == "escalated" and roll < 0.3:
            cancellation_approve(cancellation=cancellation, actor=super_actor)
        elif cancellation.status == "awaiting_customer" and roll < 0.3:
            cancellation_withdraw(
                cancellation=cancellation, actor=Actor.customer(), why="The customer declined."
            )
        elif cancellation.status == "awaiting_customer" and roll < 0.45:
            # An old request nobody confirmed: the expiry sweep will withdraw it.
            CancellationRequest.objects.filter(pk=cancellation.pk).update(
                confirmation_expires_at=timezone.now() - timedelta(hours=1)
            )
        elif cancellation.status in ("in_review", "escalated") and roll < 0.6:
            # Overdue cases so the queue shows SLA breaches.
            CancellationRequest.objects.filter(pk=cancellation.pk).update(
                sla_due_at=timezone.now() - timedelta(minutes=rng.randint(5, 300))
            )
    except DomainError:
        pass

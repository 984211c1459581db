"""The supervisor overview: queue size per retailer and state, SLA breaches, and what
each person holds and decided today."""

from datetime import datetime

from django.db.models import Count, F, Q
from django.utils import timezone

from cancellations.models import CancellationRequest
from desk.selectors import (
    any_open_condition,
    due_at,
    sla_state,
    tab_conditions,
)
from kernel.timeline import EventKind
from orders.models import OrderEvent
from retailers.models import StaffMember

# Timeline kinds that count as a person deciding a case (agent workload).
DECISION_KINDS = (
    EventKind.CANCELLATION_APPROVED,
    EventKind.CANCELLATION_REJECTED,
    EventKind.CANCELLATION_ESCALATED,
    EventKind.CANCELLATION_RETURN_REQUIRED,
)


def overview_build(*, now: datetime | None = None) -> dict:
    """Queue size per retailer and state, SLA breaches and agent workload, in a fixed
    handful of aggregate queries."""
    now = now or timezone.now()
    tabs = tab_conditions(now)
    open_cases = CancellationRequest.objects.filter(any_open_condition(now)).annotate(
        due_at=due_at()
    )
    breached = Q(due_at__lt=now)
    per_retailer = list(
        open_cases.values("retailer_id", name=F("retailer__name"))
        .annotate(
            total=Count("pk"),
            unassigned=Count("pk", filter=Q(assigned_to__isnull=True)),
            breached=Count("pk", filter=breached),
            **{name: Count("pk", filter=condition) for name, condition in tabs.items()},
        )
        .order_by("name")
    )
    totals = {
        key: sum(row[key] for row in per_retailer)
        for key in ("total", "unassigned", "breached", *tabs)
    }
    worst = list(
        open_cases.filter(breached)
        .select_related("retailer", "order", "assigned_to")
        .order_by("due_at", "pk")[:10]
    )
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    assigned = {
        row["assigned_to"]: row
        for row in open_cases.filter(assigned_to__isnull=False)
        .values("assigned_to")
        .annotate(assigned=Count("pk"), breached=Count("pk", filter=breached))
    }
    decided = dict(
        OrderEvent.objects.filter(
            created_at__gte=start_of_day, actor_user__isnull=False, kind__in=DECISION_KINDS
        )
        .values("actor_user")
        .annotate(n=Count("pk"))
        .values_list("actor_user", "n")
    )
    members = StaffMember.objects.filter(
        role__in=[StaffMember.Role.AGENT, StaffMember.Role.SUPERVISOR], user__is_active=True
    ).select_related("user")
    workload = sorted(
        (
            {
                "user": member.user,
                "role": member.get_role_display(),
                "assigned": assigned.get(member.user_id, {}).get("assigned", 0),
                "breached": assigned.get(member.user_id, {}).get("breached", 0),
                "decided_today": decided.get(member.user_id, 0),
            }
            for member in members
        ),
        key=lambda row: (-row["assigned"], -row["decided_today"], row["user"].username),
    )
    return {
        "per_retailer": per_retailer,
        "totals": totals,
        "worst": [{"case": case, "sla": sla_state(case, now)} for case in worst],
        "workload": workload,
        "now": now,
    }

"""The supervisor overview: cases waiting per retailer and tab, SLA breaches, and what
each person holds and decided today, over every kind of case."""

import heapq
from datetime import datetime

from django.db.models import Count, F, Q
from django.utils import timezone

from desk.kinds import case_kinds
from desk.presenters import queue_rows
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
WORST = 10


def _every_open(kind, viewer, now) -> Q:
    condition = Q()
    for tab in kind.tabs:
        condition |= tab.condition(viewer, now)
    return condition


def overview_build(*, viewer, now: datetime | None = None) -> dict:
    """Cases per retailer and tab, SLA breaches and agent workload, in a fixed handful
    of aggregate queries per kind of case."""
    now = now or timezone.now()
    kinds = case_kinds()
    breached = Q(due_at__lt=now)
    tabs = [tab for kind in kinds for tab in kind.tabs]
    per_retailer: dict[int, dict] = {}
    worst_per_kind, assigned = [], {}
    for kind in kinds:
        open_cases = kind.cases(viewer).filter(_every_open(kind, viewer, now))
        for row in (
            open_cases.values("retailer_id", name=F("retailer__name"))
            .annotate(
                total=Count("pk"),
                unassigned=Count("pk", filter=Q(assigned_to__isnull=True)),
                breached=Count("pk", filter=breached),
                **{tab.value: Count("pk", filter=tab.condition(viewer, now)) for tab in kind.tabs},
            )
            .order_by()
        ):
            merged = per_retailer.setdefault(
                row["retailer_id"],
                {
                    "retailer_id": row["retailer_id"],
                    "name": row["name"],
                    **dict.fromkeys(
                        ("total", "unassigned", "breached", *(tab.value for tab in tabs)), 0
                    ),
                },
            )
            for key, value in row.items():
                if key not in ("retailer_id", "name"):
                    merged[key] += value
        worst_per_kind.append(
            kind.rows(open_cases.filter(breached).order_by("due_at", "pk")[:WORST])
        )
        for row in (
            open_cases.filter(assigned_to__isnull=False)
            .values("assigned_to")
            .annotate(assigned=Count("pk"), breached=Count("pk", filter=breached))
            .order_by()
        ):
            held = assigned.setdefault(row["assigned_to"], {"assigned": 0, "breached": 0})
            held["assigned"] += row["assigned"]
            held["breached"] += row["breached"]
    rows = sorted(per_retailer.values(), key=lambda row: row["name"])
    totals = {
        key: sum(row[key] for row in rows)
        for key in ("total", "unassigned", "breached", *(tab.value for tab in tabs))
    }
    worst = list(heapq.merge(*worst_per_kind, key=lambda row: (row["due_at"], row["pk"])))[:WORST]
    start_of_day = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
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
        "tabs": tabs,
        "per_retailer": rows,
        "totals": totals,
        "worst": queue_rows(
            worst, kinds={kind.name: kind for kind in kinds}, now=now, viewer=viewer
        ),
        "workload": workload,
        "now": now,
    }

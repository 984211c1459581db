"""Cancellation requests as a kind of case in the desk's queue."""

from django.db.models import Q

from cancellations.assignment import cancellation_claim, cancellation_claim_next, workable
from cancellations.models import CancellationRequest, Channel, Reason, Status
from cancellations.rules import RULE_CODES
from cancellations.selectors import cancellation_get, chasing, due_at, needs_person
from desk.kinds import CaseKind, Tab, kind_register

TABS = (
    Tab(
        "in_review",
        "In review",
        lambda viewer, now: Q(status=Status.IN_REVIEW),
        hint="agents decide",
    ),
    Tab(
        "escalated",
        "Escalated",
        lambda viewer, now: Q(status=Status.ESCALATED),
        supervisors_only=True,
        hint="supervisors decide",
    ),
    Tab(
        "awaiting_customer",
        "Awaiting customer",
        lambda viewer, now: chasing(now),
        short="Awaiting",
        headline="Customer silent",
        hint="confirmation lapses within a day",
    ),
    # Only an approved request can be waiting on a failed refund; saying so lets the
    # database use the queue index instead of scanning every request.
    Tab(
        "needs_attention",
        "Needs attention",
        lambda viewer, now: Q(status=Status.APPROVED, needs_attention=True),
        short="Attention",
        hint="refunds that failed",
    ),
)


def cases(viewer):
    """Every request the viewer may see, with when each is due."""
    return viewer.scope(CancellationRequest.objects.annotate(due_at=due_at()))


def open_cases(viewer, now) -> Q:
    """What waits for a person, for this viewer: escalations only for supervisors (and
    managers, who watch but never act)."""
    condition = Q()
    for tab in TABS:
        if tab.supervisors_only and viewer.is_agent:
            continue
        condition |= tab.condition(viewer, now)
    return condition


# What a queue row reads: the request's own columns (its due time is the `due_at`
# annotation of `cases`) and one or two of each related row. Read as values, not
# instances: at 50 rows, building model instances of four tables and parsing every date
# column cost more than the query.
ROW_COLUMNS = {
    "pk": "pk",
    "status": "status",
    "needs_attention": "needs_attention",
    "attention_reason": "attention_reason",
    "rule": "decision_rule",
    "reason": "reason",
    "channel": "channel",
    "amount": "refund_total",
    "currency": "order__currency",
    "created_at": "created_at",
    "due_at": "due_at",
    "assigned_to_id": "assigned_to_id",
    "assignee": "assigned_to__username",
    "retailer_id": "retailer_id",
    "retailer_name": "retailer__name",
    "order_ref": "order__external_id",
    "customer_name": "order__customer__name",
    "customer_email": "order__customer__email",
}


def rows(queryset):
    return [
        {"kind": "cancellation", **{name: row[source] for name, source in ROW_COLUMNS.items()}}
        for row in queryset.values(*ROW_COLUMNS.values())
    ]


def may_claim(viewer, row: dict) -> bool:
    return (
        not viewer.read_only
        and row["assigned_to_id"] is None
        and needs_person(row["status"], row["needs_attention"])
        and (row["status"] != Status.ESCALATED or viewer.is_supervisor)
    )


def may_claim_case(viewer, cancellation) -> bool:
    """`may_claim` for a request read as a model instance (its screen)."""
    return may_claim(
        viewer,
        {
            "assigned_to_id": cancellation.assigned_to_id,
            "status": cancellation.status,
            "needs_attention": cancellation.needs_attention,
        },
    )


def is_open(row: dict) -> bool:
    return needs_person(row["status"], row["needs_attention"])


RULE_LABELS = {
    code: code.replace("_", " ").capitalize()
    for code in [
        *RULE_CODES,
        "agent_escalation",
        "agent_decision",
        "supervisor_decision",
        # the warehouse hold (SPEC §12) and cancellations made in the retailer's system
        "warehouse_no_answer",
        "warehouse_stopped",
        "warehouse_refused",
        "cancelled_by_retailer",
    ]
}


KIND = CaseKind(
    name="cancellation",
    label="Cancellation request",
    noun="request",
    cases=cases,
    open=open_cases,
    workable=workable,
    rows=rows,
    tabs=TABS,
    filter_fields={"reason": "reason", "channel": "channel", "rule": "decision_rule"},
    status_labels=dict(Status.choices),
    reason_labels=dict(Reason.choices),
    channel_labels=dict(Channel.choices),
    rule_labels=RULE_LABELS,
    screen="queue:case",
    action="queue:action",
    get=cancellation_get,
    claim=lambda case, actor: cancellation_claim(cancellation=case, actor=actor),
    claim_next=cancellation_claim_next,
    may_claim=may_claim,
    is_open=is_open,
)


def register() -> None:
    kind_register(KIND)

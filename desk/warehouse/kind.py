"""Requests awaiting the warehouse (SPEC §12) as a kind of case in the desk's queue.

They are cancellation requests, worked on the request's own screen (where an agent can
record the warehouse's answer, given on the phone), but a kind of their own in the
queue: due when the warehouse's answer is due, not on an agent's SLA. With no answer by
then the no-answer sweep hands the request to agents (`in_review`), where it becomes a
case of the cancellation kind.
"""

from django.db.models import F, Q

from cancellations.assignment import cancellation_claim
from cancellations.models import CancellationRequest, Channel, Reason, Status
from cancellations.selectors import cancellation_get
from desk.cancellations.kind import ROW_COLUMNS, RULE_LABELS, may_claim
from desk.kinds import CaseKind, Tab, kind_register

AWAITING = Q(status=Status.AWAITING_WAREHOUSE)

TABS = (
    Tab(
        "awaiting_warehouse",
        "Awaiting warehouse",
        lambda viewer, now: AWAITING,
        short="Warehouse",
        headline="Warehouse deciding",
        hint="the warehouse answers within hours",
    ),
)


def cases(viewer):
    """The requests the viewer may see that wait for the warehouse, due when its answer is."""
    return viewer.scope(
        CancellationRequest.objects.filter(AWAITING).annotate(due_at=F("warehouse_due_at"))
    )


def open_cases(viewer, now) -> Q:
    return AWAITING


def workable(actor, now) -> Q:
    # "Next case" gives agents requests to decide; chasing a warehouse is taken by hand.
    return Q(pk__in=[])


def rows(queryset):
    return [
        {"kind": "warehouse", **{name: row[source] for name, source in ROW_COLUMNS.items()}}
        for row in queryset.values(*ROW_COLUMNS.values())
    ]


def is_open(row: dict) -> bool:
    return row["status"] == Status.AWAITING_WAREHOUSE


KIND = CaseKind(
    name="warehouse",
    label="Awaiting the warehouse",
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
    claim_next=lambda **kwargs: None,
    may_claim=may_claim,
    is_open=is_open,
)


def register() -> None:
    kind_register(KIND)

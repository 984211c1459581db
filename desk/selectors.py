"""Reads for the agent screens: who is looking, what they may see, and the queue.

Every read here is scoped by the viewer's retailers first; a case outside them is a
404, never a 403, so its existence does not leak (SPEC §1).
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from cancellations.models import (
    CancellationLine,
    CancellationRequest,
    Channel,
    Reason,
    Status,
)
from cancellations.quotes import quote_build
from cancellations.selectors import chasing, due_at, is_open, needs_person
from desk.models import Macro
from desk.templatetags.desk import (
    age,
    format_moment,
    humanize_code,
    money,
    time_left,
)
from kernel.errors import DomainError
from orders.models import Order, OrderEvent, OrderLine, Payment
from refunds.models import Refund
from retailers.models import Policy, Retailer, StaffMember
from retailers.services import policy_current


@dataclass(frozen=True)
class Viewer:
    """A signed-in BPO user, their role and the retailers they serve (None: all).
    `active_retailers` are those of them open for business, as (pk, name) by name, when
    they were read with the role (None: not read)."""

    user: object
    role: str
    retailer_ids: frozenset | None
    active_retailers: tuple | None = None

    @property
    def is_supervisor(self) -> bool:
        return self.role == StaffMember.Role.SUPERVISOR

    @property
    def is_agent(self) -> bool:
        return self.role == StaffMember.Role.AGENT

    @property
    def read_only(self) -> bool:
        return self.role == StaffMember.Role.RETAILER_MANAGER

    def scope(self, queryset, field: str = "retailer_id"):
        if self.retailer_ids is None:
            return queryset
        return queryset.filter(**{f"{field}__in": self.retailer_ids})

    def serves(self, retailer_id: int) -> bool:
        return self.retailer_ids is None or retailer_id in self.retailer_ids


def viewer_for(user) -> Viewer | None:
    """The viewer for `user`, or None when they are not BPO staff at all.

    One query, on every back-office request: the role with each retailer served (one
    row per retailer, or one row of None for a supervisor or someone serving none)."""
    if not user.is_authenticated:
        return None
    rows = list(
        StaffMember.objects.filter(user=user)
        .order_by("retailers__name", "retailers__pk")
        .values_list("role", "retailers__pk", "retailers__name", "retailers__is_active")
    )
    if not rows:
        if user.is_superuser:  # an operator made with createsuperuser
            return Viewer(user=user, role=StaffMember.Role.SUPERVISOR, retailer_ids=None)
        return None
    role = rows[0][0]
    if role == StaffMember.Role.SUPERVISOR or user.is_superuser:
        return Viewer(user=user, role=StaffMember.Role.SUPERVISOR, retailer_ids=None)
    return Viewer(
        user=user,
        role=role,
        retailer_ids=frozenset(pk for _role, pk, _name, _active in rows if pk is not None),
        active_retailers=tuple((pk, name) for _role, pk, name, active in rows if active),
    )


def retailers_for(viewer: Viewer):
    return viewer.scope(Retailer.objects.filter(is_active=True), field="pk").order_by("name")


def retailer_choices(viewer: Viewer) -> list[tuple[int, str]]:
    """(pk, name) of the active retailers the viewer serves, by name: read with the
    viewer when it could be, else in one query."""
    if viewer.active_retailers is not None:
        return list(viewer.active_retailers)
    return list(retailers_for(viewer).values_list("pk", "name"))


# --- the queue --------------------------------------------------------------------------


def tab_conditions(now: datetime) -> dict[str, Q]:
    """Each queue tab's condition. `open` is filled in per viewer by `open_condition`."""
    return {
        "in_review": Q(status=Status.IN_REVIEW),
        "escalated": Q(status=Status.ESCALATED),
        "awaiting_customer": chasing(now),
        # Only an approved request can be waiting on a failed refund; saying so lets the
        # database use the queue index instead of scanning every request.
        "needs_attention": Q(status=Status.APPROVED, needs_attention=True),
    }


def open_condition(viewer: Viewer, now: datetime) -> Q:
    """What needs a person, for this viewer: escalations only for supervisors (and for
    managers, who watch but never act)."""
    tabs = tab_conditions(now)
    condition = tabs["in_review"] | tabs["awaiting_customer"] | tabs["needs_attention"]
    if not viewer.is_agent:
        condition |= tabs["escalated"]
    return condition


def any_open_condition(now: datetime) -> Q:
    tabs = tab_conditions(now)
    return (
        tabs["in_review"] | tabs["escalated"] | tabs["awaiting_customer"] | tabs["needs_attention"]
    )


def cases_for_viewer(viewer: Viewer):
    """Every request the viewer may see, with when each is due."""
    return viewer.scope(CancellationRequest.objects.annotate(due_at=due_at()))


def queue_tab_counts(queryset, viewer: Viewer, now: datetime) -> dict[str, int]:
    """How many cases each tab holds, in one aggregate over the open cases only (never
    over the whole history, which grows without bound)."""
    tabs = tab_conditions(now)
    if viewer.is_agent:
        tabs.pop("escalated")
    counts = queryset.filter(any_open_condition(now)).aggregate(
        open=Count("pk", filter=open_condition(viewer, now)),
        **{name: Count("pk", filter=condition) for name, condition in tabs.items()},
    )
    return counts


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue. `total` comes from the tab counts (None on the history
    tab, which is never counted), so a page costs one query, not a count and a fetch."""

    cases: list
    number: int
    size: int
    has_next: bool
    total: int | None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.cases else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.cases)

    def __iter__(self):
        return iter(self.cases)

    def __len__(self):
        return len(self.cases)


def queue_page(queryset, *, number, total: int | None, size: int = 50) -> QueuePage:
    """Fetch page `number` (bad or out-of-range numbers give the nearest page) with one
    extra row, which says whether a next page exists without counting. Each case is a
    dict of the columns a queue row shows (`QUEUE_COLUMNS`): at 50 rows, building model
    instances of four tables and parsing every date column cost more than the query."""
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    if total is not None:
        number = min(number, max((total + size - 1) // size, 1))
    offset = (number - 1) * size
    assignee = F(f"assigned_to__{get_user_model().USERNAME_FIELD}")
    rows = list(queryset.values(*QUEUE_COLUMNS, assignee=assignee)[offset : offset + size + 1])
    return QueuePage(
        cases=rows[:size], number=number, size=size, has_next=len(rows) > size, total=total
    )


# What a queue row reads: the case's own columns (its due time is the `due_at`
# annotation of `cases_for_viewer`) and one or two of each related row; the assignee's
# name is added as `assignee`.
QUEUE_COLUMNS = (
    "pk",
    "status",
    "needs_attention",
    "attention_reason",
    "decision_rule",
    "reason",
    "channel",
    "refund_total",
    "created_at",
    "due_at",
    "assigned_to_id",
    "retailer_id",
    "retailer__name",
    "order__external_id",
    "order__currency",
    "order__customer__name",
    "order__customer__email",
)
STATUS_LABELS = dict(Status.choices)
FULFILLMENT_LABELS = dict(Order._meta.get_field("fulfillment_status").flatchoices)
REASON_LABELS = dict(Reason.choices)
CHANNEL_LABELS = dict(Channel.choices)


def short_datetime(moment: datetime, zone=None) -> str:
    """`moment` in `zone` (default: the current time zone) as the date filter's
    "D j M, H:i" gives it ("Thu 26 Nov, 07:05"), without the filter's cost: a queue
    page shows two per row."""
    return format_moment(moment.astimezone(zone or timezone.get_current_timezone()), "D j M, H:i")


def queue_page_rows(page: QueuePage, now: datetime, viewer: Viewer) -> list[dict]:
    """Each row as the template shows it, every value worked out here once: the queue
    template only writes them out (a filter, a tag or a lookup through related objects
    in a 50-row loop was most of the page's CPU)."""
    case_url = url_pattern("queue:case", 0)
    claim_url = url_pattern("queue:action", 0, "claim")
    user_pk = viewer.user.pk
    zone = timezone.get_current_timezone()
    rows = []
    for case in page:
        pk, status, currency = case["pk"], case["status"], case["order__currency"]
        needs_attention = case["needs_attention"]
        open_ = needs_person(status, needs_attention)
        due = case["due_at"]
        left = int((due - now).total_seconds()) if open_ and due else None
        sla = SlaState(due_at=due, seconds_left=left)
        assigned = case["assigned_to_id"]
        rows.append(
            {
                "pk": pk,
                "retailer_id": case["retailer_id"],
                "url": case_url.format(pk),
                "breached": sla.breached,
                "sla_class": "breached" if sla.breached else "urgent" if sla.urgent else "",
                "time_left": time_left(left) if left is not None else "",
                "due": short_datetime(due, zone) if left is not None else "",
                "customer": case["order__customer__name"] or case["order__customer__email"] or "",
                "order": case["order__external_id"],
                "retailer": case["retailer__name"],
                "status": status,
                "status_label": STATUS_LABELS.get(status, status),
                "needs_attention": needs_attention,
                "attention_reason": case["attention_reason"],
                "rule": case["decision_rule"],
                "rule_label": humanize_code(case["decision_rule"]) or "—",
                "reason": REASON_LABELS.get(case["reason"], case["reason"]),
                "channel": CHANNEL_LABELS.get(case["channel"], case["channel"]),
                "refund": money(case["refund_total"], currency),
                "currency": currency,
                "age": age(case["created_at"]),
                "received": short_datetime(case["created_at"], zone),
                "mine": assigned is not None and assigned == user_pk,
                "assignee": case["assignee"] if assigned is not None else "",
                "claim_url": (
                    claim_url.format(pk)
                    if _may_claim(viewer, status, needs_attention, assigned)
                    else ""
                ),
            }
        )
    return rows


def url_pattern(name: str, *args) -> str:
    """The URL `name` reversed once, as a format string for its first (integer)
    argument: `url_pattern("queue:case", 0).format(pk)` is `reverse("queue:case",
    args=[pk])` at a fraction of the cost, for URLs written once per row."""
    sentinel = 987654321987654321
    return reverse(name, args=[sentinel, *args[1:]]).replace(str(sentinel), "{}")


def _may_claim(viewer: Viewer, status: str, needs_attention: bool, assigned_to_id) -> bool:
    return (
        not viewer.read_only
        and assigned_to_id is None
        and needs_person(status, needs_attention)
        and (status != Status.ESCALATED or viewer.is_supervisor)
    )


def may_claim(viewer: Viewer, case: CancellationRequest) -> bool:
    return _may_claim(viewer, case.status, case.needs_attention, case.assigned_to_id)


@dataclass(frozen=True)
class SlaState:
    due_at: datetime | None
    seconds_left: int | None

    @property
    def breached(self) -> bool:
        return self.seconds_left is not None and self.seconds_left < 0

    @property
    def urgent(self) -> bool:
        return self.seconds_left is not None and 0 <= self.seconds_left < 3600


def sla_state(case: CancellationRequest, now: datetime) -> SlaState:
    due = getattr(case, "due_at", None) or case.sla_due_at or case.confirmation_expires_at
    if not is_open(case) or due is None:
        return SlaState(due_at=due, seconds_left=None)
    return SlaState(due_at=due, seconds_left=int((due - now).total_seconds()))


# --- one case ---------------------------------------------------------------------------


def cancellation_for_viewer(viewer: Viewer, pk: int) -> CancellationRequest:
    """The request if the viewer serves its retailer; otherwise 404."""
    cancellation = (
        viewer.scope(CancellationRequest.objects.all())
        .select_related("retailer", "order", "order__customer", "policy", "assigned_to")
        .filter(pk=pk)
        .first()
    )
    if cancellation is None:
        raise Http404("No such cancellation request.")
    return cancellation


def case_load(viewer: Viewer, pk: int, *, refunds: bool = True) -> CancellationRequest:
    """The request with everything the case screen shows prefetched, so the screen runs
    the same number of queries whatever the size of the order or its history. Without
    `refunds`, `cancellation.refunds` is left to be read when needed.

    Each prefetch is ordered on its own table's columns: the models' default orderings
    start with the parent row ("request", "order"), which for a request's lines joins
    the requests table and costs more to compile than the query costs to run."""
    lookups = [
        Prefetch("order__lines", queryset=OrderLine.objects.order_by("position", "id")),
        Prefetch("lines", queryset=CancellationLine.objects.order_by("id")),
        Prefetch("order__payments", queryset=Payment.objects.order_by("position", "id")),
    ]
    if refunds:
        lookups.append(Prefetch("refunds", queryset=Refund.objects.select_related("payment")))
    # One row at most (by primary key): no ORDER BY/LIMIT for first() to compile.
    found = list(
        viewer.scope(CancellationRequest.objects.all())
        .select_related("retailer", "order", "order__customer", "policy", "assigned_to")
        .prefetch_related(*lookups)
        .annotate(
            # The retailer's current policy, so a request decided under it needs no
            # second query for it (see case_policy).
            current_policy_id=Subquery(
                Policy.objects.filter(retailer_id=OuterRef("retailer_id"))
                .order_by("-version")
                .values("pk")[:1]
            )
        )
        .filter(pk=pk)
        .order_by()
    )
    if not found:
        raise Http404("No such cancellation request.")
    cancellation = found[0]
    _link_request_lines(cancellation)
    return cancellation


def case_policy(cancellation: CancellationRequest) -> Policy:
    """The retailer's current policy: the request's own when it is the current one
    (read with the request by case_load), otherwise read."""
    current = getattr(cancellation, "current_policy_id", None)
    if current is not None and current == cancellation.policy_id:
        return cancellation.policy
    return policy_current(retailer=cancellation.retailer)


def _link_request_lines(cancellation: CancellationRequest) -> None:
    """Point each request line at its order line from the order's lines already read
    (the same rows: no second join or instances), in the order's line order."""
    order_lines = {line.pk: line for line in cancellation.order.lines.all()}
    requested = cancellation.lines.all()
    for request_line in requested:
        line = order_lines.get(request_line.line_id)
        if line is not None:
            request_line.line = line
    requested._result_cache.sort(key=lambda rl: (rl.line.position, rl.pk))


HISTORY_LIMIT = 10


def customer_history(cancellation: CancellationRequest) -> dict:
    """The customer's other orders and past requests at this retailer (latest first),
    as the columns the case screen shows (dicts: no model instances for a side panel)."""
    order = cancellation.order
    orders = list(
        Order.objects.filter(retailer_id=order.retailer_id, customer_id=order.customer_id)
        .exclude(pk=order.pk)
        .order_by("-placed_at")
        .values("pk", "external_id", "placed_at", "fulfillment_status", "total", "currency")[
            :HISTORY_LIMIT
        ]
    )
    for other in orders:
        other["fulfillment_label"] = FULFILLMENT_LABELS.get(
            other["fulfillment_status"], other["fulfillment_status"]
        )
    requests = list(
        CancellationRequest.objects.filter(
            retailer_id=order.retailer_id, order__customer_id=order.customer_id
        )
        .exclude(pk=cancellation.pk)
        .order_by("-created_at")
        .values("pk", "status", "created_at", order_external_id=F("order__external_id"))[
            :HISTORY_LIMIT
        ]
    )
    for past in requests:
        past["status_label"] = STATUS_LABELS.get(past["status"], past["status"])
    return {"orders": orders, "requests": requests}


def case_timeline(cancellation: CancellationRequest) -> list[OrderEvent]:
    """The whole order's timeline, newest last (each event names who did it)."""
    return list(
        OrderEvent.objects.filter(order_id=cancellation.order_id).order_by("created_at", "id")
    )


def routing_event(cancellation: CancellationRequest, timeline: list[OrderEvent]):
    """The rule's decision that sent this request to people (the latest one: a confirmed
    request is verified again)."""
    found = None
    for event in timeline:
        if (
            event.subject_type == "cancellationrequest"
            and event.subject_id == cancellation.pk
            and event.actor_kind == "rule"
        ):
            found = event
    return found


def macros_for(cancellation: CancellationRequest) -> list[Macro]:
    return list(
        Macro.objects.filter(
            Q(retailer_id=cancellation.retailer_id) | Q(retailer__isnull=True), is_active=True
        ).order_by("name")
    )


def assignees_for(retailer_id: int) -> list:
    """Who a case of this retailer may be given to: its agents and every supervisor."""
    members = (
        StaffMember.objects.filter(
            Q(role=StaffMember.Role.SUPERVISOR)
            | Q(role=StaffMember.Role.AGENT, retailers__pk=retailer_id),
            user__is_active=True,
        )
        .select_related("user")
        .distinct()
        .order_by("user__username")
    )
    return [member.user for member in members]


# --- the refund preview -----------------------------------------------------------------


@dataclass(frozen=True)
class RefundPreview:
    """What approving would refund now, per line and per payment, or why it cannot."""

    quote: object | None
    error: str
    limit: object
    above_limit: bool


def refund_preview(
    cancellation: CancellationRequest, *, policy, viewer: Viewer, requested=None
) -> RefundPreview:
    """Price `requested` ([{line, quantity}]; None: what the request asks) on the order as
    it is now, with the same quote the approval will use, writing nothing."""
    if requested is None:
        requested = [
            {"line": cl.line.external_id, "quantity": cl.quantity}
            for cl in cancellation.lines.all()
        ]
    limit = policy.agent_approval_limit
    try:
        quote = quote_build(
            order=cancellation.order,
            requested=requested,
            refund_shipping=policy.refund_shipping_on_full_cancel,
        )
    except DomainError as error:
        return RefundPreview(quote=None, error=error.detail, limit=limit, above_limit=False)
    above = quote.total > limit and not viewer.is_supervisor
    return RefundPreview(quote=quote, error="", limit=limit, above_limit=above)

"""The kinds of case the desk's one queue holds, registered by the desk's module for each.

A case is any domain object a person must work: a cancellation request today; returns,
disputes, chargebacks and orders awaiting the warehouse as their domains arrive. One
queue, one "Next case" and one SLA ordering serve them all: each kind tells the desk
how to find its open cases, when each is due, what its queue row shows, who may take
it, and which screen works it. The domain apps know nothing of this (they never import
the desk); the desk's module for a kind (`desk/<kind>/kind.py`) registers it from
domain selectors and services, when the desk app is ready.

To add a kind: write `desk/<kind>/kind.py` registering a `CaseKind`, its screen
(`views.py`, a template under `templates/desk/`) and its actions (forms calling the
domain's services), and import the module in `DeskConfig.ready`. See
docs/architecture.md.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

# The values every kind's queue rows give, under these names (see CaseKind.rows):
QUEUE_COLUMNS = (
    "kind",
    "pk",
    "status",
    "needs_attention",
    "attention_reason",
    "rule",
    "reason",
    "channel",
    "amount",
    "currency",
    "created_at",
    "due_at",
    "assigned_to_id",
    "assignee",
    "retailer_id",
    "retailer_name",
    "order_ref",
    "customer_name",
    "customer_email",
)


@dataclass(frozen=True)
class Tab:
    """One tab of the queue: the cases of a kind in some state. `condition(viewer, now)`
    narrows the kind's cases to it; `supervisors_only` hides it from agents (managers,
    who watch everything, see it)."""

    value: str
    label: str
    condition: Callable[[object, datetime], Q]
    supervisors_only: bool = False
    # The overview's words for it: a column heading, a headline and what it means.
    short: str = ""
    headline: str = ""
    hint: str = ""


@dataclass(frozen=True)
class CaseKind:
    name: str  # "cancellation": in URLs, filters and saved views
    label: str  # "Cancellation request": in menus
    noun: str  # "request": in sentences ("You are now working request #12.")
    # Every case of the kind the viewer may see (scoped to their retailers), with a
    # `due_at` annotation: when it needs a person (its SLA, or when it lapses).
    cases: Callable[[object], QuerySet]
    # Of those, the ones that wait for this viewer (escalations only for supervisors).
    open: Callable[[object, datetime], Q]
    # Of those, the ones a person takes with "Next case": workable(actor, now), by role.
    workable: Callable[[object, datetime], Q]
    # The queue rows: rows(queryset of `cases`) -> dicts keyed by QUEUE_COLUMNS.
    rows: Callable[[QuerySet], list[dict]]
    tabs: tuple[Tab, ...]
    # Filter name -> the kind's field it narrows ("reason": "reason"); a filter the kind
    # has no field for keeps none of its cases when set.
    filter_fields: dict
    # Which labels its status, reason, channel and rule codes have in the queue.
    status_labels: dict
    reason_labels: dict
    channel_labels: dict
    rule_labels: dict
    # The screen that works one case: a URL name taking the case's pk; and the URL name
    # its actions post to, taking (pk, action name), "claim" among them.
    screen: str
    action: str
    # The domain's tenant-scoped fetcher: get(pk=, retailer_ids=, for_update=), raising
    # NotFound; and assignment through its services: claim(case, actor),
    # claim_next(actor=, retailer_ids=, now=) -> case | None.
    get: Callable[..., object]
    claim: Callable[..., object]
    claim_next: Callable[..., object]
    # Whether a row (a dict of QUEUE_COLUMNS) may be claimed by this viewer.
    may_claim: Callable[[object, dict], bool]
    # Whether a row still needs a person (its SLA clock runs).
    is_open: Callable[[dict], bool]


_kinds: dict[str, CaseKind] = {}


def kind_register(kind: CaseKind) -> None:
    _kinds[kind.name] = kind


def case_kinds() -> list[CaseKind]:
    """Every registered kind, in registration order."""
    return list(_kinds.values())


def case_kind(name: str) -> CaseKind:
    return _kinds[name]

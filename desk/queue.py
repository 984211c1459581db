"""The one queue: cases of every kind, filtered, counted per tab, in due order, and the
next case for whoever asks.

Each kind's cases are read with its own query on its own index (a kind's open cases
come in due order from that index, without scanning its history), then merged: a page
of 50 reads at most 51 rows of each kind shown.
"""

import hashlib
import heapq
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, F

from desk.access import Viewer
from desk.filters import QueueFilter
from desk.kinds import case_kinds
from kernel.actors import Actor
from kernel.cache import cache_get_or_set

PAGE_SIZE = 50


@dataclass(frozen=True)
class QueuePage:
    """One page of the queue. `total` comes from the tab counts (None on the history
    tab, which is never counted), so a page costs one query per kind, not a count and a
    fetch."""

    rows: list  # dicts of desk.kinds.QUEUE_COLUMNS, each with its `kind`
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
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)


@dataclass(frozen=True)
class Queue:
    filter: QueueFilter  # the first kind's: its form is the page's filter bar
    tab: str
    counts: dict  # tab value -> cases
    page: QueuePage


def queue_read(
    *, viewer: Viewer, request, params, now: datetime, page_number=None, size: int = PAGE_SIZE
) -> Queue:
    """The queue as `viewer` asked for it (`params`: the filters and tab of the URL)."""
    search_cache = {}
    filters = [
        (
            kind,
            QueueFilter(
                params,
                queryset=kind.cases(viewer),
                request=request,
                now=now,
                kind=kind,
                search_cache=search_cache,
            ),
        )
        for kind in case_kinds()
    ]
    first = filters[0][1]
    tab = first.tab
    counts = _counts_cached(
        viewer,
        params,
        lambda: _tab_counts(viewer, now, filters),
    )
    page = _page(filters, tab=tab, number=page_number, total=counts.get(tab), size=size)
    return Queue(filter=first, tab=tab, counts=counts, page=page)


def _tab_counts(viewer: Viewer, now: datetime, filters) -> dict[str, int]:
    """How many cases each tab holds, in one aggregate per kind over its open cases only
    (never over the whole history, which grows without bound)."""
    counts = {"open": 0}
    for kind, filterset in filters:
        tabs = [tab for tab in kind.tabs if not (tab.supervisors_only and viewer.is_agent)]
        every_open = None
        for tab in kind.tabs:
            condition = tab.condition(viewer, now)
            every_open = condition if every_open is None else every_open | condition
        base = filterset.filter_queryset(kind.cases(viewer), skip=("state",))
        found = base.filter(every_open).aggregate(
            open=Count("pk", filter=kind.open(viewer, now)),
            **{tab.value: Count("pk", filter=tab.condition(viewer, now)) for tab in tabs},
        )
        counts["open"] += found.pop("open")
        counts.update(found)
    return counts


def _counts_cached(viewer: Viewer, params, count) -> dict:
    """The tab counts, kept QUEUE_COUNTS_CACHE_SECONDS per user and filter (0: counted on
    every view). Counting 100k open cases is most of a queue page's database time (50 ms
    at scale); counts a few seconds old change nothing an agent does, and the rows of
    the page itself are always read fresh."""
    seconds = settings.QUEUE_COUNTS_CACHE_SECONDS
    if not seconds:
        return count()
    query = params.copy()
    query.pop("page", None)
    query.pop("state", None)
    scope = hashlib.sha256(f"{viewer.user.pk}?{query.urlencode()}".encode()).hexdigest()
    # Counted without the cache when it is down (kernel.cache logs and counts that).
    return cache_get_or_set("queue_counts", f"rescind:queue-counts:{scope}", count, seconds)


def _page(filters, *, tab: str, number, total: int | None, size: int) -> QueuePage:
    """Page `number` (bad or out-of-range numbers give the nearest page), with one extra
    row, which says whether a next page exists without counting."""
    try:
        number = max(int(number), 1)
    except (TypeError, ValueError):
        number = 1
    if total is not None:
        number = min(number, max((total + size - 1) // size, 1))
    offset = (number - 1) * size
    history = tab == "all"
    shown = [(kind, filterset.qs) for kind, filterset in filters]
    if len(shown) == 1:
        # One kind: the database pages it (OFFSET), as it always did.
        kind, cases = shown[0]
        rows = kind.rows(_ordered(cases, history)[offset : offset + size + 1])
    else:
        # Several: each kind's first rows up to the end of the page, merged in order.
        per_kind = [
            kind.rows(_ordered(cases, history)[: offset + size + 1]) for kind, cases in shown
        ]
        merged = heapq.merge(*per_kind, key=_history_key if history else _due_key)
        rows = list(merged)[offset : offset + size + 1]
    return QueuePage(
        rows=rows[:size], number=number, size=size, has_next=len(rows) > size, total=total
    )


def _ordered(cases, history: bool):
    if history:
        # Newest first; ids grow with time and their index makes this instant.
        return cases.order_by("-pk")
    return cases.order_by(F("due_at").asc(nulls_last=True), "pk")


def _due_key(row: dict):
    due = row["due_at"]
    return (due is None, due.timestamp() if due else 0.0, row["pk"])


def _history_key(row: dict):
    return -row["created_at"].timestamp()


# --- the next case ----------------------------------------------------------------------


def case_claim_next(*, viewer: Viewer, actor: Actor, now: datetime) -> tuple:
    """Claim, for `actor`, the unassigned case due first of all those they may work, of
    every kind. Returns (kind, case), or (None, None) when nothing waits for them.

    Each kind claims its own (SKIP LOCKED, so people pressing "next" at once each get a
    different case); with several kinds, each is asked in the order of its first
    workable case."""
    kinds = case_kinds()
    if len(kinds) > 1:
        firsts = []
        for index, kind in enumerate(kinds):
            first = (
                kind.cases(viewer)
                .filter(kind.workable(actor, now), assigned_to__isnull=True)
                .order_by(F("due_at").asc(nulls_last=True), "pk")
                .values("pk", "due_at")
                .first()
            )
            if first is not None:
                firsts.append((_due_key(first), index, kind))
        kinds = [kind for _key, _index, kind in sorted(firsts, key=lambda first: first[:2])]
    for kind in kinds:
        case = kind.claim_next(actor=actor, retailer_ids=viewer.retailer_ids, now=now)
        if case is not None:
            return kind, case
    return None, None

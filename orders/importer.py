"""Bulk import of orders from JSON lines: the path for migrating history in.

Each line is one order in the shape of the `PUT /api/v1/orders/{external_id}` body plus
its `"external_id"` (and `"retailer"`, a slug, unless the caller names one for all).
Every line is read by `orders.import_lines` and validated by the API's own
`OrderInput` (its fields, validators and `validate()` methods, run by
`orders.import_validation` without DRF's per-field machinery, or by the serializer
itself for any line that plan is unsure of), so a file accepts exactly what the API
accepts. New orders take the fast path: a batch is
written in a constant number of queries (`kernel.bulk`: COPY on PostgreSQL,
`bulk_create` elsewhere), with the same rows `order_upsert` would write (customer,
order with its total, lines, payments, the stock reservations of unfulfilled lines and
one `order.created` event each). An order that already exists takes the slow path,
`order_upsert` itself, unless the line would change nothing, so importing the same
file twice writes nothing twice.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import DatabaseError, IntegrityError, OperationalError, connection, transaction
from django.db.models import F, Prefetch

from inventory.models import StockLevel, StockMovement
from inventory.services import lines_stock_reserve_new
from kernel.actors import Actor
from kernel.bulk import AnyOf, rows_insert, rows_insert_ignoring_conflicts
from kernel.errors import DomainError
from kernel.money import format_amount
from orders.import_lines import LineReader, Rejection, plain
from orders.models import Customer, Order, OrderEvent, OrderLine, Payment
from orders.services import order_upsert

logger = logging.getLogger(__name__)

CUSTOMER_FIELDS = ("email", "name", "phone")
# Tables a batch looks rows up in, and every table an import fills.
LOOKED_UP = (Order, Customer, OrderLine, Payment, StockLevel)
FILLED = (*LOOKED_UP, OrderEvent, StockMovement)
DEADLOCK_RETRIES = 3
# Statistics are refreshed while importing each time the orders table has grown
# fourfold since the planner last counted it, and at the end when the import added a
# tenth of it (autovacuum's own threshold, autovacuum_analyze_scale_factor).
GROWTH_BEFORE_ANALYZE = 3
GROWTH_ANALYZED_AT_END = 0.1


@dataclass
class BatchResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated + self.unchanged

    def add(self, other: "BatchResult") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected.extend(other.rejected)


class LineHolding(NamedTuple):
    """A new line and the units it holds, as lines_stock_reserve_new reads it."""

    pk: int
    order_id: int
    sku: str
    warehouse: str
    reserved_quantity: int


class OrderImporter:
    """Imports batches of JSON lines; one instance per process, reused for every batch."""

    def __init__(self, *, retailer_slug=None, actor=None, announce_stock=False):
        self.retailer_slug = retailer_slug
        self.actor = actor or Actor.system("import_orders")
        self.announce_stock = announce_stock
        self._lines = LineReader(retailer_slug=retailer_slug)
        self._planned_orders: int | None = None  # the planner's row count, when read
        self._created_since_analyze = 0

    def import_batch(self, rows: list[tuple[int, str]]) -> BatchResult:
        """Import (line number, text) rows; bad rows are reported, never fatal."""
        result = BatchResult()
        items = []
        for number, text in rows:
            parsed = self._lines.read(number, text)
            if isinstance(parsed, Rejection):
                result.rejected.append(parsed)
            else:
                items.append(parsed)

        by_retailer = defaultdict(list)
        for item in items:
            by_retailer[item.retailer].append(item)
        for retailer, group in by_retailer.items():
            self._import_group(retailer, group, result)
        result.rejected.sort(key=lambda rejection: rejection.line)
        self._keep_statistics_current(result.created)
        return result

    def finish(self, *, created: int) -> None:
        """After the last batch, which created `created` orders in all: when that is
        more than a tenth of the orders, the application's own queries plan on the new sizes
        at once rather than when autovacuum gets to it. Below that, the statistics
        describe the tables well enough, and re-sampling millions of rows (seconds) would
        cost more than a small import itself."""
        planned = _planned_rows(Order)
        if planned is not None and created > GROWTH_ANALYZED_AT_END * planned:
            _refresh_statistics(FILLED)

    def _keep_statistics_current(self, created: int) -> None:
        """ANALYZE the tables a batch looks rows up in once the orders have grown 4-fold
        since the planner last counted them (after 1, 4, 16, 64... thousand orders into
        an empty database; never during a 50,000-order import into a million)."""
        if self._planned_orders is None:
            self._planned_orders = _planned_rows(Order)
            if self._planned_orders is None:  # not PostgreSQL, or inside a transaction
                return
        self._created_since_analyze += created
        if self._created_since_analyze > GROWTH_BEFORE_ANALYZE * self._planned_orders:
            _refresh_statistics(LOOKED_UP)
            self._planned_orders = _planned_rows(Order) or self._created_since_analyze
            self._created_since_analyze = 0

    # --- writing ----------------------------------------------------------------------

    def _import_group(self, retailer, items, result) -> None:
        existing = set(
            Order.objects.filter(
                AnyOf(F("external_id"), [item.external_id for item in items]), retailer=retailer
            ).values_list("external_id", flat=True)
        )
        new, old, repeats, seen = [], [], [], set()
        for item in items:
            if item.external_id in seen:
                repeats.append(item)  # applied after the first one, as an update
            elif item.external_id in existing:
                old.append(item)
            else:
                new.append(item)
            seen.add(item.external_id)

        self._apply_existing(retailer, old, result)
        if new:
            for attempt in range(DEADLOCK_RETRIES):
                try:
                    # Customers are written in the batch's own transaction: a batch that
                    # fails (or an import killed mid-batch) leaves none of its rows behind.
                    # Concurrent importers creating the same customer wait for each other
                    # (sorted inserts, conflicts ignored) rather than deadlock.
                    with transaction.atomic():
                        _commit_without_waiting_for_disk()
                        customers = self._customers(retailer, new)
                        self._insert_new(retailer, new, customers)
                    result.created += len(new)
                    break
                except IntegrityError:
                    # Someone created one of these orders meanwhile: one by one, each
                    # becomes an update where it must.
                    for item in new:
                        self._apply_existing(retailer, [item], result)
                    break
                except OperationalError as error:
                    # Two writers locking the same levels in different orders: the
                    # database picked us to give way, and nothing of ours was kept.
                    deadlock = getattr(error.__cause__, "sqlstate", None) == "40P01"
                    if not deadlock or attempt == DEADLOCK_RETRIES - 1:
                        raise
        for item in repeats:
            self._apply_existing(retailer, [item], result)

    def _insert_new(self, retailer, items, customers: dict[str, int]) -> None:
        """Write new orders with the rows order_upsert would write, in bulk."""
        order_ids = rows_insert(
            Order,
            [
                {
                    "retailer_id": retailer.pk,
                    "external_id": item.external_id,
                    "customer_id": customers[item.data["customer"]["external_id"]],
                    "currency": item.data["currency"],
                    "placed_at": item.data["placed_at"],
                    "fulfillment_status": item.status,
                    "shipped_at": item.data["shipped_at"],
                    "delivered_at": item.data["delivered_at"],
                    "shipping": item.data["shipping"],
                    "total": item.total,
                }
                for item in items
            ],
        )

        lines, payments, events = [], [], []
        actor = self.actor
        default_warehouse = retailer.default_warehouse
        for order_id, item in zip(order_ids, items, strict=True):
            holds_stock = item.status in (
                Order.Fulfillment.UNFULFILLED,
                Order.Fulfillment.IN_PROGRESS,
            )
            for position, line in enumerate(item.data["lines"]):
                lines.append(
                    {
                        "order_id": order_id,
                        "external_id": line["external_id"],
                        "position": position,
                        "sku": line["sku"],
                        "title": line["title"],
                        "quantity": line["quantity"],
                        "unit_price": line["unit_price"],
                        "discount": line["discount"],
                        "tax": line["tax"],
                        "final_sale": line["final_sale"],
                        "warehouse": line["warehouse"] or default_warehouse,
                        "reserved_quantity": line["quantity"] if holds_stock else 0,
                    }
                )
            for position, payment in enumerate(item.data["payments"]):
                payments.append(
                    {
                        "order_id": order_id,
                        "external_id": payment["external_id"],
                        "position": position,
                        "method": payment["method"],
                        "amount": payment["amount"],
                        "reference": payment["reference"],
                    }
                )
            currency = item.data["currency"]
            events.append(
                {
                    "order_id": order_id,
                    "kind": "order.created",
                    "message": (
                        f"Order received: {len(item.data['lines'])} line(s), total "
                        f"{format_amount(item.total, currency)} {currency}."
                    ),
                    "actor_kind": actor.kind,
                    "actor_label": actor.label,
                    "actor_user_id": actor.user.pk if actor.user else None,
                    "actor_api_key_id": actor.api_key.pk if actor.api_key else None,
                    "subject_type": "order",
                    "subject_id": order_id,
                    "to_state": item.status,
                }
            )
        line_ids = rows_insert(OrderLine, lines)
        rows_insert(Payment, payments)
        rows_insert(OrderEvent, events)
        # Last, so the level rows other writers wait on are locked only until commit.
        lines_stock_reserve_new(
            retailer=retailer,
            lines=[
                LineHolding(line_id, line["order_id"], line["sku"], line["warehouse"], held)
                for line_id, line in zip(line_ids, lines, strict=True)
                if (held := line["reserved_quantity"])
            ],
            actor=actor,
            announce=self.announce_stock,
        )

    def _customers(self, retailer, items) -> dict[str, int]:
        """Customer ids by external id, created or updated as customer_upsert would.

        Several orders of one customer in a batch leave the last one's details, as
        successive upserts would.
        """
        wanted = {item.data["customer"]["external_id"]: item.data["customer"] for item in items}
        ids, changed = {}, []
        for pk, external_id, *stored in Customer.objects.filter(
            AnyOf(F("external_id"), list(wanted)), retailer=retailer
        ).values_list("pk", "external_id", *CUSTOMER_FIELDS):
            ids[external_id] = pk
            given = [wanted[external_id].get(k) or "" for k in CUSTOMER_FIELDS]
            if given != stored:
                changed.append(Customer(pk=pk, **dict(zip(CUSTOMER_FIELDS, given, strict=True))))
        if changed:
            Customer.objects.bulk_update(changed, CUSTOMER_FIELDS)
        missing = sorted(set(wanted) - set(ids))
        if missing:
            # Sorted, and conflicts ignored: a concurrent import creating the same
            # customer waits for us rather than failing or deadlocking.
            rows_insert_ignoring_conflicts(
                Customer,
                [
                    {
                        "retailer_id": retailer.pk,
                        "external_id": external_id,
                        **{k: wanted[external_id].get(k) or "" for k in CUSTOMER_FIELDS},
                    }
                    for external_id in missing
                ],
            )
            ids.update(
                (external_id, pk)
                for external_id, pk in Customer.objects.filter(
                    AnyOf(F("external_id"), missing), retailer=retailer
                ).values_list("external_id", "pk")
            )
        return ids

    def _apply_existing(self, retailer, items, result) -> None:
        """Orders already here: unchanged ones are skipped, others go through order_upsert."""
        if not items:
            return
        stored = {
            order.external_id: order
            for order in Order.objects.filter(
                AnyOf(F("external_id"), [item.external_id for item in items]), retailer=retailer
            )
            .select_related("customer")
            .prefetch_related(
                Prefetch("lines", queryset=OrderLine.objects.order_by("position", "id")),
                Prefetch("payments", queryset=Payment.objects.order_by("position", "id")),
            )
        }
        for item in items:
            order = stored.get(item.external_id)
            if order is not None and _same_order(order, item.data, retailer.default_warehouse):
                result.unchanged += 1
                continue
            try:
                _order, created = order_upsert(
                    retailer=retailer,
                    external_id=item.external_id,
                    data=item.data,
                    actor=self.actor,
                )
            except DomainError as error:
                result.rejected.append(
                    Rejection(item.line, error.code.value, error.detail, plain(error.errors))
                )
                continue
            if created:
                result.created += 1
            else:
                result.updated += 1


def _same_order(order: Order, data: dict, default_warehouse: str) -> bool:
    """Would order_upsert with `data` change nothing stored on `order`?"""
    customer = data["customer"]
    if order.customer.external_id != customer["external_id"] or any(
        getattr(order.customer, k) != (customer.get(k) or "") for k in CUSTOMER_FIELDS
    ):
        return False
    if (
        order.currency,
        order.placed_at,
        order.fulfillment_status,
        order.shipped_at,
        order.delivered_at,
        order.shipping,
    ) != (
        data["currency"],
        data["placed_at"],
        data.get("fulfillment_status") or Order.Fulfillment.UNFULFILLED,
        data.get("shipped_at"),
        data.get("delivered_at"),
        data["shipping"],
    ):
        return False
    stored_lines = [
        (
            line.external_id,
            line.sku,
            line.title,
            line.quantity,
            line.unit_price,
            line.discount,
            line.tax,
            line.final_sale,
            line.warehouse,
        )
        for line in order.lines.all()
    ]
    given_lines = [
        (
            line["external_id"],
            line["sku"],
            line["title"],
            line["quantity"],
            line["unit_price"],
            line["discount"],
            line["tax"],
            line["final_sale"],
            line.get("warehouse") or default_warehouse,
        )
        for line in data["lines"]
    ]
    stored_payments = [
        (payment.external_id, payment.method, payment.amount, payment.reference)
        for payment in order.payments.all()
    ]
    given_payments = [
        (payment["external_id"], payment["method"], payment["amount"], payment["reference"])
        for payment in data["payments"]
    ]
    return stored_lines == given_lines and stored_payments == given_payments


def _commit_without_waiting_for_disk() -> None:
    """This transaction's COMMIT does not wait for its WAL to reach the disk.

    Safe for an import and only for it: a crash can lose the last fraction of a second
    of committed batches, never half of one, and importing the same file again creates
    exactly what was lost (existing orders are skipped). Waiting for the disk at every
    batch was where parallel workers spent much of their time. Before the import
    reports its total, `imports_make_durable` waits for all of them at once.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def imports_make_durable() -> None:
    """Wait until every batch committed so far (by any process) is on disk.

    One synchronous commit flushes the write-ahead log up to itself, so every earlier
    asynchronous commit with it: after this returns, the total an import reports
    survives a crash of the database. A transaction that wrote nothing commits without
    waiting, so this one takes a transaction id (which writes a commit record).
    """
    if connection.vendor != "postgresql":
        return  # SQLite and others commit synchronously already
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit = on")
        cursor.execute("SELECT pg_current_xact_id()")


def _planned_rows(model) -> int | None:
    """How many rows the planner believes `model`'s table holds (its last ANALYZE or
    VACUUM); None where statistics are not ours to refresh."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [model._meta.db_table]
        )
        row = cursor.fetchone()
    return max(0, int(row[0])) if row else 0  # -1: never counted


def _refresh_statistics(models) -> None:
    """Let PostgreSQL's planner see how big the tables an import fills have grown.

    With the statistics of near-empty tables the planner finds a batch's orders by
    scanning all of a retailer's orders, and a re-import's lines by scanning every line,
    so each batch gets slower than the one before. Run as the orders grow 4-fold on the
    tables the import looks things up in, and at the end on all it filled (autovacuum
    catches up only much later).
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    tables = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in models)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {tables}")
    except DatabaseError:
        logger.warning("Could not ANALYZE %s; imports may slow down as they grow.", tables)

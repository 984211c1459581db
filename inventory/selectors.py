"""Reads for stock, always scoped to one retailer."""

from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from inventory.filters import StockMovementFilter
from inventory.models import StockLevel, StockMovement
from kernel.errors import DomainError, ErrorCode, NotFound
from orders.models import Order, OrderLine


@dataclass(frozen=True)
class SkuStock:
    """One SKU across the retailer's warehouses: the totals are sums of its levels."""

    sku: str
    levels: list[StockLevel]

    @property
    def on_hand(self) -> int:
        return sum(level.on_hand for level in self.levels)

    @property
    def reserved(self) -> int:
        return sum(level.reserved for level in self.levels)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


def sku_stock_get(*, retailer, sku: str) -> SkuStock:
    """The SKU's levels; a SKU this retailer has no stock level for is not found."""
    levels = list(
        StockLevel.objects.filter(retailer=retailer, sku=sku)
        .select_related("warehouse")
        .order_by("warehouse__code")
    )
    if not levels:
        raise NotFound(f"No stock for SKU {sku!r} for this retailer.")
    return SkuStock(sku=sku, levels=levels)


def stock_movements_for_sku(*, retailer, sku: str, filters=None):
    """The SKU's ledger, newest first, narrowed by `StockMovementFilter` parameters."""
    if not StockLevel.objects.filter(retailer=retailer, sku=sku).exists():
        raise NotFound(f"No stock for SKU {sku!r} for this retailer.")
    movements = (
        StockMovement.objects.filter(retailer=retailer, level__sku=sku)
        .select_related("level__warehouse", "order")
        .order_by("-created_at", "-id")
    )
    filterset = StockMovementFilter(filters or {}, queryset=movements)
    if not filterset.is_valid():
        raise DomainError(
            ErrorCode.INVALID,
            f"Some filters are not valid: {', '.join(filterset.errors)}.",
            errors=filterset.errors,
        )
    return filterset.qs


@dataclass(frozen=True)
class LevelDrift:
    """A level whose stored counts differ from the sum of its movements."""

    retailer: str
    sku: str
    warehouse: str
    on_hand: int
    ledger_on_hand: int
    reserved: int
    ledger_reserved: int

    def __str__(self):
        parts = [
            f"{name} {stored} but its movements add up to {ledger} ({stored - ledger:+d})"
            for name, stored, ledger in (
                ("on_hand", self.on_hand, self.ledger_on_hand),
                ("reserved", self.reserved, self.ledger_reserved),
            )
            if stored != ledger
        ]
        return f"{self.retailer} {self.sku} @ {self.warehouse}: " + "; ".join(parts)


@dataclass(frozen=True)
class ReservationDrift:
    """An order whose lines hold a different reservation than its movements say."""

    retailer: str
    order: str
    sku: str
    warehouse: str
    lines_reserved: int
    ledger_reserved: int

    def __str__(self):
        return (
            f"{self.retailer} order {self.order} {self.sku} @ {self.warehouse}: lines hold "
            f"{self.lines_reserved} reserved but its movements add up to {self.ledger_reserved} "
            f"({self.lines_reserved - self.ledger_reserved:+d})"
        )


def _pk_chunks(queryset, chunk_size):
    """(first pk, last pk) of consecutive chunks, so each query stays small on big tables."""
    last = 0
    while True:
        pks = list(
            queryset.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk_size]
        )
        if not pks:
            return
        last = pks[-1]
        yield pks[0], last, len(pks)


def stock_level_drifts(*, retailer=None, chunk_size=5000, progress=None) -> list[LevelDrift]:
    """Every level whose on_hand or reserved differs from the sum of its movements.

    `progress(done, total)` is called after each chunk of levels.
    """
    levels = StockLevel.objects.all()
    if retailer is not None:
        levels = levels.filter(retailer=retailer)
    total, done, drifts = levels.count(), 0, []
    for first, last, size in _pk_chunks(levels, chunk_size):
        # One statement per chunk: the level and its movements are read from one snapshot.
        rows = (
            levels.filter(pk__gte=first, pk__lte=last)
            .annotate(
                ledger_on_hand=Coalesce(Sum("movements__on_hand_delta"), 0),
                ledger_reserved=Coalesce(Sum("movements__reserved_delta"), 0),
            )
            .filter(~Q(on_hand=F("ledger_on_hand")) | ~Q(reserved=F("ledger_reserved")))
            .values_list(
                "retailer__slug",
                "sku",
                "warehouse__code",
                "on_hand",
                "ledger_on_hand",
                "reserved",
                "ledger_reserved",
            )
            .order_by("sku", "warehouse__code")
        )
        drifts.extend(LevelDrift(*row) for row in rows)
        done += size
        if progress:
            progress(done, total)
    return drifts


def line_reservation_drifts(
    *, retailer=None, chunk_size=20000, progress=None
) -> list[ReservationDrift]:
    """Orders whose lines' reserved_quantity differs from their reserve/release/ship rows.

    Compared per order, SKU and warehouse: a cancellation releases against the order, not
    one line, so that is the finest grain the ledger answers for.
    """
    orders = Order.objects.all()
    if retailer is not None:
        orders = orders.filter(retailer=retailer)
    total, done, drifts = orders.count(), 0, []
    for first, last, size in _pk_chunks(orders, chunk_size):
        with _one_snapshot():
            held = {
                (row["order_id"], row["sku"], row["warehouse"]): row["held"]
                for row in OrderLine.objects.filter(
                    order_id__gte=first, order_id__lte=last, reserved_quantity__gt=0
                )
                .values("order_id", "sku", "warehouse")
                .annotate(held=Sum("reserved_quantity"))
                .order_by()
            }
            moved = {
                (row["order_id"], row["level__sku"], row["level__warehouse__code"]): row["held"]
                for row in StockMovement.objects.filter(order_id__gte=first, order_id__lte=last)
                .values("order_id", "level__sku", "level__warehouse__code")
                .annotate(held=Sum("reserved_delta"))
                .exclude(held=0)
                .order_by()
            }
        wrong = sorted(k for k in held.keys() | moved.keys() if held.get(k, 0) != moved.get(k, 0))
        if wrong:
            names = {
                pk: (slug, external_id)
                for pk, slug, external_id in Order.objects.filter(
                    pk__in={order_id for order_id, _sku, _code in wrong}
                ).values_list("pk", "retailer__slug", "external_id")
            }
            drifts.extend(
                ReservationDrift(
                    *names[key[0]], key[1], key[2], held.get(key, 0), moved.get(key, 0)
                )
                for key in wrong
            )
        done += size
        if progress:
            progress(done, total)
    return drifts


@contextmanager
def _one_snapshot():
    """Read several statements from one snapshot when the database can (PostgreSQL)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            # Must be the transaction's first statement; inside a caller's transaction
            # (a test) the caller's isolation applies instead.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield

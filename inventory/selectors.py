"""Reads for stock, always scoped to one retailer."""

from dataclasses import dataclass

from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from inventory.filters import StockMovementFilter
from inventory.models import StockLevel, StockMovement
from kernel.bulk import pk_chunks
from kernel.errors import DomainError, ErrorCode, NotFound


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


def stock_level_drifts(*, retailer=None, chunk_size=5000, progress=None) -> list[LevelDrift]:
    """Every level whose on_hand or reserved differs from the sum of its movements.

    `progress(done, total)` is called after each chunk of levels.
    """
    levels = StockLevel.objects.all()
    if retailer is not None:
        levels = levels.filter(retailer=retailer)
    total, done, drifts = levels.count(), 0, []
    for first, last, size in pk_chunks(levels, chunk_size):
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

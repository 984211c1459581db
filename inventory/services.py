"""Stock moves only through here: lock the level, write the ledger row, apply its deltas."""

from django.db import IntegrityError, transaction

from inventory.models import StockLevel, StockMovement, Warehouse
from orders.actors import Actor

Kind = StockMovement.Kind

# What each kind of movement does to (on_hand, reserved), per unit.
_EFFECT = {
    Kind.RECEIVE: (1, 0),
    Kind.RESERVE: (0, 1),
    Kind.RELEASE: (0, -1),
    Kind.SHIP: (-1, -1),
    Kind.RESTOCK: (1, 0),
    Kind.WRITE_OFF: (-1, 0),
}


def warehouse_get_or_create(*, retailer, code: str) -> Warehouse:
    warehouse, _ = Warehouse.objects.get_or_create(
        retailer=retailer, code=code, defaults={"name": code}
    )
    return warehouse


def stock_level_for_update(*, retailer, sku: str, warehouse_code: str) -> StockLevel:
    """The level row, locked; SKUs never seen before start at zero."""
    warehouse = warehouse_get_or_create(retailer=retailer, code=warehouse_code)
    level, created = StockLevel.objects.get_or_create(
        retailer=retailer, sku=sku, warehouse=warehouse
    )
    if not created:
        level = StockLevel.objects.select_for_update().get(pk=level.pk)
    return level


def stock_move(
    *,
    retailer,
    sku: str,
    warehouse_code: str,
    kind: str,
    quantity: int,
    actor: Actor,
    order=None,
    source=None,
    idempotency_key: str | None = None,
) -> StockMovement | None:
    """Move `quantity` units; returns None when this key already moved stock.

    For `adjust`, `quantity` is the signed change of on_hand.
    """
    if quantity == 0:
        return None
    with transaction.atomic():
        if (
            idempotency_key
            and StockMovement.objects.filter(
                retailer=retailer, idempotency_key=idempotency_key
            ).exists()
        ):
            return None
        level = stock_level_for_update(retailer=retailer, sku=sku, warehouse_code=warehouse_code)
        if kind == Kind.ADJUST:
            on_hand_delta, reserved_delta = quantity, 0
        else:
            per_unit_on_hand, per_unit_reserved = _EFFECT[Kind(kind)]
            on_hand_delta, reserved_delta = (
                per_unit_on_hand * quantity,
                per_unit_reserved * quantity,
            )
        try:
            with transaction.atomic():
                movement = StockMovement.objects.create(
                    retailer=retailer,
                    level=level,
                    kind=kind,
                    quantity=abs(quantity),
                    on_hand_delta=on_hand_delta,
                    reserved_delta=reserved_delta,
                    order=order,
                    source_type=source._meta.model_name if source is not None else "",
                    source_id=source.pk if source is not None else None,
                    idempotency_key=idempotency_key,
                    actor_label=actor.label,
                )
        except IntegrityError:
            return None  # the same key won a race; stock already moved once
        level.on_hand += on_hand_delta
        level.reserved += reserved_delta
        level.save(update_fields=["on_hand", "reserved", "updated_at"])
    return movement


def stock_set_on_hand(
    *, retailer, sku: str, warehouse_code: str, on_hand: int, actor: Actor
) -> StockLevel:
    """The storefront's count becomes ours: an `adjust` movement for the difference."""
    with transaction.atomic():
        level = stock_level_for_update(retailer=retailer, sku=sku, warehouse_code=warehouse_code)
        stock_move(
            retailer=retailer,
            sku=sku,
            warehouse_code=warehouse_code,
            kind=Kind.ADJUST,
            quantity=on_hand - level.on_hand,
            actor=actor,
        )
        level.refresh_from_db()
    return level


def line_stock_sync(*, line, actor: Actor) -> None:
    """Make the line's reservation match its order: active units while unfulfilled.

    When the order has shipped the reservation is consumed by a `ship` movement. An
    order that arrives already shipped never reserved anything here: the retailer's own
    stock feed accounts for it.
    """
    order = line.order
    reserved = line.reserved_quantity
    common = {
        "retailer": order.retailer,
        "sku": line.sku,
        "warehouse_code": line.warehouse,
        "actor": actor,
        "order": order,
        "source": line,
    }
    if order.is_shipped:
        if reserved:
            stock_move(kind=Kind.SHIP, quantity=reserved, **common)
    else:
        target = line.active_quantity
        if target > reserved:
            stock_move(kind=Kind.RESERVE, quantity=target - reserved, **common)
        elif target < reserved:
            stock_move(kind=Kind.RELEASE, quantity=reserved - target, **common)
    new_reserved = 0 if order.is_shipped else line.active_quantity
    if new_reserved != reserved:
        line.reserved_quantity = new_reserved
        line.save(update_fields=["reserved_quantity"])


def line_stock_release(*, line, quantity: int, source, actor: Actor) -> StockMovement | None:
    """Give back the reservation of `quantity` cancelled units, once per source."""
    units = min(quantity, line.reserved_quantity)
    if units <= 0:
        return None
    movement = stock_move(
        retailer=line.order.retailer,
        sku=line.sku,
        warehouse_code=line.warehouse,
        kind=Kind.RELEASE,
        quantity=units,
        actor=actor,
        order=line.order,
        source=source,
        idempotency_key=f"{source._meta.model_name}:{source.pk}:release",
    )
    if movement is not None:
        line.reserved_quantity -= units
        line.save(update_fields=["reserved_quantity"])
    return movement

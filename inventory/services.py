"""Stock moves only through here: lock the level, write the ledger row, apply its deltas."""

from collections import defaultdict

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import StockLevel, StockMovement, Warehouse
from kernel.actors import Actor
from kernel.bulk import AnyOf, rows_insert, rows_insert_ignoring_conflicts
from notifications.services import event_emit

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
# Units coming back from a customer were taken off on_hand when they shipped: a
# resellable one goes back on hand, a damaged one is written off as it arrives and
# never re-enters on_hand (its `write_off` row records it, moving nothing).
_RETURNED_EFFECT = {
    Kind.RESTOCK: (1, 0),
    Kind.WRITE_OFF: (0, 0),
}


def warehouse_get_or_create(*, retailer, code: str) -> Warehouse:
    warehouse, _ = Warehouse.objects.get_or_create(
        retailer=retailer, code=code, defaults={"name": code}
    )
    return warehouse


def stock_level_for_update(*, retailer, sku: str, warehouse_code: str) -> StockLevel:
    """The level row, locked, with its warehouse and retailer loaded; new SKUs start at zero."""
    level = (
        StockLevel.objects.select_for_update(of=("self",))
        .select_related("warehouse")
        .filter(retailer=retailer, sku=sku, warehouse__code=warehouse_code)
        .first()
    )
    if level is None:
        warehouse = warehouse_get_or_create(retailer=retailer, code=warehouse_code)
        # A concurrent first movement may create the same level: get_or_create settles
        # it on the unique constraint, then we lock whichever row won.
        level, created = StockLevel.objects.get_or_create(
            retailer=retailer, sku=sku, warehouse=warehouse
        )
        if not created:
            level = StockLevel.objects.select_for_update().get(pk=level.pk)
        level.warehouse = warehouse
    level.retailer = retailer
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
    returned: bool = False,
) -> StockMovement | None:
    """Move `quantity` units; returns None when this key already moved stock.

    For `adjust`, `quantity` is the signed change of on_hand; every other kind moves a
    positive number of units in the direction its kind says. `returned` is for units a
    customer sent back (`restock` or `write_off` only): a returned unit written off was
    never back on hand, so its row leaves on_hand unchanged.
    """
    if returned and kind not in _RETURNED_EFFECT:
        raise ValueError(f"A returned unit is restocked or written off, not {kind}.")
    if quantity == 0:
        return None
    if kind != Kind.ADJUST and quantity < 0:
        raise ValueError(f"A {kind} movement moves a positive quantity, not {quantity}.")
    # No savepoint of its own inside a caller's transaction: a failure here fails the
    # caller's change anyway. A key used before is refused by the unique constraint on
    # insert (below), after locking the level: the level lock orders writers of one
    # SKU, so a replay finds the first movement committed or waits for it.
    with transaction.atomic(savepoint=False):
        level = stock_level_for_update(retailer=retailer, sku=sku, warehouse_code=warehouse_code)
        if kind == Kind.ADJUST:
            on_hand_delta, reserved_delta = quantity, 0
        else:
            effects = _RETURNED_EFFECT if returned else _EFFECT
            per_unit_on_hand, per_unit_reserved = effects[Kind(kind)]
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
        # Same transaction as the movement: the retailer's stock system hears of every
        # change that commits, and of none that rolls back.
        stock_level_announce(level=level, kind=kind, quantity=movement.quantity)
    return movement


def stock_level_announce(*, level: StockLevel, kind: str, quantity: int) -> None:
    """Tell the retailer's systems (webhook `inventory.adjusted`) where a level stands now."""
    event_emit(
        retailer=level.retailer,
        event_type="inventory.adjusted",
        data={
            "sku": level.sku,
            "warehouse": level.warehouse.code,
            "on_hand": level.on_hand,
            "reserved": level.reserved,
            "available": level.available,
            "movement": {"kind": str(kind), "quantity": quantity},
        },
        subject=level,
    )


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


def line_stock_release(
    *, line, quantity: int, source, actor: Actor, save: bool = True
) -> StockMovement | None:
    """Give back the reservation of `quantity` cancelled units, once per source.

    `save=False` leaves saving the line's `reserved_quantity` to a caller that saves
    the line anyway.
    """
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
        if save:
            line.save(update_fields=["reserved_quantity"])
    return movement


def lines_stock_reserve_new(*, retailer, lines, actor: Actor, announce: bool = False) -> int:
    """Write the ledger for new lines created holding `reserved_quantity` (bulk import).

    The same rows `line_stock_sync` would write for each line, one `reserve` movement per
    line with the line as its source, with the levels raised by the sum per SKU and
    warehouse, in a constant number of queries whatever the number of lines. Call it in
    the transaction that created the lines. Returns the number of movements written.
    `announce` sends one `inventory.adjusted` per level touched rather than per line.
    `lines` are OrderLines, or anything with their `pk`, `order_id`, `sku`, `warehouse`
    and `reserved_quantity`.
    """
    lines = [line for line in lines if line.reserved_quantity > 0]
    if not lines:
        return 0
    added: dict[tuple[str, str], int] = defaultdict(int)
    for line in lines:
        added[(line.sku, line.warehouse)] += line.reserved_quantity
    warehouses = _warehouses_ensure(retailer=retailer, codes={code for _sku, code in added})
    level_ids = _level_ids(retailer=retailer, keys=added.keys(), warehouses=warehouses)
    rows_insert(
        StockMovement,
        [
            {
                "retailer_id": retailer.pk,
                "level_id": level_ids[(line.sku, line.warehouse)],
                "kind": Kind.RESERVE.value,
                "quantity": line.reserved_quantity,
                "reserved_delta": line.reserved_quantity,
                "order_id": line.order_id,
                "source_type": "orderline",
                "source_id": line.pk,
                "actor_label": actor.label,
            }
            for line in lines
        ],
    )
    now = timezone.now()
    by_id = {level_ids[key]: units for key, units in added.items()}
    _levels_add_reserved(by_id, now=now)
    if announce:
        levels = StockLevel.objects.filter(AnyOf(F("pk"), list(by_id))).select_related("warehouse")
        for level in levels:
            level.retailer = retailer
            stock_level_announce(level=level, kind=Kind.RESERVE, quantity=by_id[level.pk])
    return len(lines)


def _level_ids(*, retailer, keys, warehouses) -> dict[tuple[str, str], int]:
    """Level ids for (sku, warehouse code) pairs; pairs never seen start at zero.

    New levels are created in (SKU, warehouse) order with conflicts ignored, so two
    writers adding the same SKU wait for each other instead of failing.
    """
    keys = set(keys)
    codes = {warehouse.pk: code for code, warehouse in warehouses.items()}

    def find(skus):
        rows = StockLevel.objects.filter(
            AnyOf(F("sku"), sorted(skus)), AnyOf(F("warehouse_id"), list(codes)), retailer=retailer
        ).values_list("pk", "sku", "warehouse_id")
        return {(sku, codes[warehouse_id]): pk for pk, sku, warehouse_id in rows}

    found = find({sku for sku, _code in keys})
    missing = sorted(keys - found.keys())
    if missing:
        rows_insert_ignoring_conflicts(
            StockLevel,
            [
                {"retailer_id": retailer.pk, "sku": sku, "warehouse_id": warehouses[code].pk}
                for sku, code in missing
            ],
        )
        found.update(find({sku for sku, _code in missing}))
    return found


def _warehouses_ensure(*, retailer, codes) -> dict[str, Warehouse]:
    existing = {w.code: w for w in Warehouse.objects.filter(retailer=retailer, code__in=codes)}
    missing = sorted(set(codes) - set(existing))
    if missing:
        Warehouse.objects.bulk_create(
            [Warehouse(retailer=retailer, code=code, name=code) for code in missing],
            ignore_conflicts=True,
        )
        existing = {w.code: w for w in Warehouse.objects.filter(retailer=retailer, code__in=codes)}
    return existing


def _levels_add_reserved(added: dict[int, int], *, now) -> None:
    """Raise levels' `reserved` by their units (level id -> units), in one statement.

    Relative updates: each row is locked by the UPDATE itself and the addition applies
    to whatever a concurrent writer committed first, so no lost update and no read
    beforehand. Ids are sent sorted so concurrent batches tend to lock in one order.
    """
    ids = sorted(added)
    if connection.vendor == "postgresql":
        # Joined to arrays: bulk_update's CASE grows with the square of the rows.
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {StockLevel._meta.db_table} AS level"
                " SET reserved = level.reserved + added.units, updated_at = %s"
                " FROM unnest(%s::bigint[], %s::integer[]) AS added(id, units)"
                " WHERE level.id = added.id",
                [now, ids, [added[pk] for pk in ids]],
            )
    else:
        StockLevel.objects.bulk_update(
            [StockLevel(pk=pk, reserved=F("reserved") + added[pk], updated_at=now) for pk in ids],
            ["reserved", "updated_at"],
            batch_size=500,
        )


def _chunks(items, size=5000):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]

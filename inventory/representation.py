"""A stock level as retailers' systems see it (the `data` of `inventory.adjusted`)."""


def stock_level_data(level) -> dict:
    return {
        "sku": level.sku,
        "warehouse": level.warehouse.code,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.on_hand - level.reserved,
    }

"""The orders each HTTP phase cancels, and the request files wrk reads them from."""

import json
from pathlib import Path

from bench.common import say


def pick_targets(bench) -> None:
    """Orders for the HTTP phases, disjoint, none with a request yet, none pgbench's."""
    cfg = bench.cfg
    lo = bench.pgbench_range[0]
    submit_needed = (cfg.runs + 1) * cfg.duration * 500
    e2e_needed = cfg.runs * cfg.e2e_batch
    # Recent unfulfilled orders whose first line costs at most 200 a unit, paid without
    # a sandbox failure: cancelling one unit is approved and refunded at once.
    e2e = bench.sql(
        """
        SELECT o.id, o.external_id, o.retailer_id, l.external_id
        FROM orders_order o
        JOIN LATERAL (SELECT * FROM orders_orderline l WHERE l.order_id = o.id
                      ORDER BY position, id LIMIT 1) l ON true
        WHERE o.id %% 3 <> 0 AND o.id < %s AND o.fulfillment_status = 'unfulfilled'
          AND o.placed_at > now() - interval '20 hours'
          AND NOT l.final_sale AND l.unit_price + (l.tax - l.discount) / l.quantity <= 200
          AND NOT EXISTS (SELECT 1 FROM orders_payment p WHERE p.order_id = o.id
                          AND p.reference LIKE 'sandbox%%')
        ORDER BY md5(o.id::text) LIMIT %s
        """,
        [lo, e2e_needed],
        fetch=True,
    )
    taken = {row[0] for row in e2e}
    # The submit mix: half unfulfilled, half shipped or delivered; half of each a full
    # cancellation, half one unit of one line. Outcomes follow the rules: approved,
    # in review, escalated, return required, rejected (final sale, too late).
    submit = []
    for unfulfilled in (True, False):
        rows = bench.sql(
            f"""
            SELECT o.id, o.external_id, o.retailer_id, l.external_id
            FROM (SELECT id, external_id, retailer_id FROM orders_order
                  WHERE id %% 3 <> 0 AND id < %s AND fulfillment_status
                      {"=" if unfulfilled else "<>"} 'unfulfilled'
                  ORDER BY md5(id::text || 'submit') LIMIT %s) o
            JOIN LATERAL (SELECT external_id FROM orders_orderline l
                          WHERE l.order_id = o.id ORDER BY position, id LIMIT 1) l ON true
            """,
            [lo, submit_needed // 2 + len(taken)],
            fetch=True,
        )
        submit.append([row for row in rows if row[0] not in taken])
    mixed = [row for pair in zip(*submit, strict=False) for row in pair]
    bench.submit_targets = mixed
    bench.e2e_targets = e2e
    say(
        f"targets: {len(mixed):,} orders for submit, {len(e2e):,} auto-approvable for e2e, "
        f"pgbench ids {bench.pgbench_range[0]:,}-{bench.pgbench_range[1]:,}"
    )


def write_requests(bench, name: str, rows, *, partial_every: int, note: str) -> Path:
    """A file of cancellation requests for bench/lua/submit.lua, one per order."""
    numbers = bench.key_number()
    path = bench.data / f"{name}.tsv"
    with open(path, "w") as out:
        for n, (_pk, order, retailer_id, line) in enumerate(rows):
            body = {"order": order, "reason": "changed_mind", "note": note}
            if partial_every and n % partial_every == 0:
                body["lines"] = [{"line": line, "quantity": 1}]
            out.write(f"{numbers[retailer_id]}\t{name}-{n}\t{json.dumps(body)}\n")
    return path


def chunks(rows, parts: int):
    size = len(rows) // parts
    return [rows[i * size : (i + 1) * size] for i in range(parts)]

"""Returns completions per second: create → receive → inspect → refund settled.

Each return is one shipped order's first line, one unit, for a reason without fees:
three API calls (POST /returns, /receive, /inspect) made by `connections` clients at
once, with the Celery workers running; a return counts once it is `closed`, i.e. its
refund succeeded at the gateway and was reported back. The figure is closed returns per
second from the first create to the last close, and its ratio to the SQL limit (a).
"""

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from bench.common import bar, fail, say
from bench.measure import summarize
from bench.stack import start_workers


def _targets(bench, count: int):
    """Shipped orders inside the return window with no request or return yet, first line
    not final sale, paid without a sandbox failure."""
    return bench.sql(
        """
        SELECT o.external_id, o.retailer_id, l.external_id
        FROM orders_order o
        JOIN LATERAL (SELECT * FROM orders_orderline l WHERE l.order_id = o.id
                      ORDER BY position, id LIMIT 1) l ON true
        WHERE o.fulfillment_status <> 'unfulfilled'
          AND coalesce(o.delivered_at, o.shipped_at) > now() - interval '29 days'
          AND NOT l.final_sale AND l.quantity > l.cancelled_quantity
          AND NOT EXISTS (SELECT 1 FROM cancellations_cancellationrequest c
                          WHERE c.order_id = o.id)
          AND NOT EXISTS (SELECT 1 FROM returns_return r WHERE r.order_id = o.id)
          AND NOT EXISTS (SELECT 1 FROM orders_payment p WHERE p.order_id = o.id
                          AND p.reference LIKE 'sandbox%%')
        ORDER BY md5(o.id::text || 'returns') LIMIT %s
        """,
        [count],
        fetch=True,
    )


def _one(client, key, order, line, note) -> bool:
    headers = {"Authorization": f"Bearer {key}"}
    created = client.post(
        "/api/v1/returns",
        json={
            "order": order,
            "reason": "defective",
            "lines": [{"line": line, "quantity": 1}],
            "note": note,
        },
        headers=headers,
    )
    if created.status_code != 201:
        return False
    rid = created.json()["id"]
    received = client.post(
        f"/api/v1/returns/{rid}/receive",
        json={"lines": [{"line": line, "quantity": 1}]},
        headers=headers,
    )
    inspected = client.post(
        f"/api/v1/returns/{rid}/inspect",
        json={"lines": [{"line": line, "resellable": 1}]},
        headers=headers,
    )
    return received.status_code == 200 and inspected.status_code == 200


def measure(bench) -> None:
    cfg = bench.cfg
    say("returns: create, receive and inspect returns of shipped orders until their refunds settle")
    targets = _targets(bench, cfg.runs * cfg.e2e_batch)
    if len(targets) < cfg.runs:
        fail(f"returns: only {len(targets)} shipped orders inside the return window")
    start_workers(bench)
    keys = {
        bench.setup["retailers"][slug]["id"]: bench.setup["retailers"][slug]["key"]
        for slug in bench.setup["retailers"]
    }
    size = len(targets) // cfg.runs
    runs = []
    for n in range(1, cfg.runs + 1):
        chunk = targets[(n - 1) * size : n * size]
        note = f"bench-returns-{n}"
        t0 = time.monotonic()
        with (
            httpx.Client(base_url=bench.base, timeout=30) as client,
            ThreadPoolExecutor(max_workers=cfg.connections) as pool,
        ):
            done = list(
                pool.map(
                    lambda row, note=note: _one(client, keys[row[1]], row[0], row[2], note), chunk
                )
            )
        api_seconds = time.monotonic() - t0
        ok = sum(done)
        deadline = time.monotonic() + 600
        while True:
            closed, pending = bench.sql(
                """
                SELECT count(*) FILTER (WHERE status = 'closed'),
                       count(*) FILTER (WHERE status <> 'closed')
                FROM returns_return WHERE note = %s
                """,
                [note],
                fetch=True,
            )[0]
            elapsed = time.monotonic() - t0
            bar(
                f"returns run {n}/{cfg.runs}",
                closed if closed < ok else ok,
                ok or 1,
                f"{closed}/{ok} closed, {pending} open, {elapsed:.0f}s",
            )
            if closed >= ok:
                break
            if time.monotonic() > deadline:
                fail(f"returns did not settle in 600s: {closed}/{ok} closed")
            bench.stack.check("celery")
            time.sleep(0.25)
        elapsed = time.monotonic() - t0
        runs.append(
            {
                "completions_per_s": round(closed / elapsed, 1),
                "completed": closed,
                "attempted": len(chunk),
                "api_calls_per_s": round(3 * ok / api_seconds, 1),
                "seconds": round(elapsed, 1),
            }
        )
        bar(f"returns run {n}/{cfg.runs}", 1, 1, f"{runs[-1]['completions_per_s']}/s")
    bench.stack.stop("celery")
    bench.results["returns"] = summarize(runs, ["completions_per_s"])

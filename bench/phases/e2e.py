"""End-to-end completions per second: submitted, refunded, messages and webhooks sent."""

import time

from bench.common import bar, fail, say
from bench.measure import summarize, wrk
from bench.stack import start_workers
from bench.targets import chunks, write_requests


def measure(bench) -> None:
    cfg = bench.cfg
    say(
        "e2e: submit auto-approvable cancellations with workers running, until every "
        "refund succeeded and every message and webhook went out"
    )
    start_workers(bench)
    keys = bench.keys()
    runs = []
    for n, chunk in enumerate(chunks(bench.e2e_targets, cfg.runs), start=1):
        note = f"bench-e2e-{n}"
        path = write_requests(bench, f"e2e-{n}", chunk, partial_every=1, note=note)
        started_at = bench.sql("SELECT now()", fetch=True)[0][0]
        t0 = time.monotonic()
        sub = wrk(
            cfg,
            bench.base,
            "submit.lua",
            [str(path), "2", *keys],
            cfg.e2e_submit,
            f"e2e run {n}/{cfg.runs} submit",
        )
        deadline = time.monotonic() + 600
        settle = time.monotonic() + 1  # requests wrk left in flight still land
        while True:
            completed, approved, pending = bench.sql(
                """
                SELECT (SELECT count(*) FROM cancellations_cancellationrequest
                        WHERE note = %(note)s AND status = 'completed'),
                       (SELECT count(*) FROM cancellations_cancellationrequest
                        WHERE note = %(note)s AND status IN ('approved', 'completed')),
                       (SELECT count(*) FROM notifications_notification
                        WHERE status = 'pending' AND created_at >= %(t)s)
                     + (SELECT count(*) FROM notifications_webhookdelivery
                        WHERE status = 'pending' AND created_at >= %(t)s)
                     + (SELECT count(*) FROM refunds_refund
                        WHERE status = 'pending' AND created_at >= %(t)s)
                """,
                {"note": note, "t": started_at},
                fetch=True,
            )[0]
            elapsed = time.monotonic() - t0
            bar(
                f"e2e run {n}/{cfg.runs} drain",
                min(completed, approved - 1) if approved else 0,
                approved or 1,
                f"{completed}/{approved} completed, {pending} outbox rows pending, {elapsed:.0f}s",
            )
            if completed >= approved and pending == 0 and time.monotonic() > settle:
                break
            if time.monotonic() > deadline:
                fail(f"e2e did not drain in 600s: {completed}/{approved}, {pending} pending")
            bench.stack.check("celery")
            time.sleep(0.25)
        elapsed = time.monotonic() - t0
        sent = bench.sql(
            """
            SELECT (SELECT count(*) FROM notifications_notification
                    WHERE status = 'sent' AND created_at >= %(t)s),
                   (SELECT count(*) FROM notifications_webhookdelivery
                    WHERE status = 'delivered' AND created_at >= %(t)s)
            """,
            {"t": started_at},
            fetch=True,
        )[0]
        run = {
            "completions_per_s": round(completed / elapsed, 1),
            "completed": completed,
            "submitted": sub["ok"],
            "seconds": round(elapsed, 1),
            "submit_rps": sub["rps"],
            "messages_sent": sent[0],
            "webhooks_delivered": sent[1],
        }
        bar(
            f"e2e run {n}/{cfg.runs} drain",
            1,
            1,
            f"{run['completions_per_s']}/s: "
            f"{completed} completed in {elapsed:.1f}s, {sent[0]} e-mails, "
            f"{sent[1]} webhooks",
        )
        runs.append(run)
    bench.stack.stop("celery")
    bench.results["e2e"] = summarize(runs, ["completions_per_s"])

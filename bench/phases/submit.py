"""POST /api/v1/cancellations throughput and latency, full and partial, workers stopped."""

from bench.common import say
from bench.measure import summarize, wrk
from bench.targets import chunks, write_requests


def measure(bench) -> None:
    cfg = bench.cfg
    say("submit: POST /api/v1/cancellations, full and partial, a different order each")
    keys = bench.keys()
    parts = chunks(bench.submit_targets, cfg.runs + 1)
    runs = []
    for n, chunk in enumerate(parts):
        # Every other request cancels one unit of one line; the rest everything.
        path = write_requests(bench, f"submit-{n}", chunk, partial_every=2, note="")
        seconds = cfg.warmup if n == 0 else cfg.duration
        label = "submit warm-up" if n == 0 else f"submit run {n}/{cfg.runs}"
        run = wrk(cfg, bench.base, "submit.lua", [str(path), "2", *keys], seconds, label)
        if n:
            runs.append(run)
    outcomes = bench.sql(
        "SELECT status, count(*) FROM cancellations_cancellationrequest"
        " WHERE created_by LIKE 'api key%%' AND note = '' GROUP BY status ORDER BY 2 DESC",
        fetch=True,
    )
    bench.results["submit"] = summarize(runs, ["rps", "p50_ms", "p95_ms", "p99_ms"])
    bench.results["submit"]["outcomes"] = dict(outcomes)
    say(f"submit outcomes: {dict(outcomes)}")

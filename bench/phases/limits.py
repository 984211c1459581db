"""The machine's limits: (a) one cancellation's SQL under pgbench, (b) a minimal DRF read."""

import re
import subprocess
import time

from bench.common import BENCH, RETAILERS, bar, fail, say
from bench.measure import summarize, wrk


def measure(bench) -> None:
    cfg = bench.cfg
    say("limit (a): one cancellation's database work in SQL, pgbench, 8 clients")
    lo, hi = bench.pgbench_range
    runs = []
    for n in range(cfg.runs + 1):
        seconds = cfg.warmup if n == 0 else cfg.duration
        label = "pgbench warm-up" if n == 0 else f"pgbench run {n}/{cfg.runs}"
        proc = subprocess.Popen(
            [
                "pgbench",
                "-n",
                "-M",
                "prepared",
                "-c",
                str(cfg.pg_clients),
                "-j",
                "2",
                "-T",
                str(seconds),
                "-D",
                f"lo={lo}",
                "-D",
                f"hi={hi - 1}",
                "-f",
                str(BENCH / "sql" / "cancellation.pgbench"),
                bench.db_url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started = time.monotonic()
        while proc.poll() is None:
            elapsed = time.monotonic() - started
            bar(label, min(elapsed, seconds - 0.01), seconds, f"{elapsed:4.0f}/{seconds}s")
            time.sleep(0.5)
        output = proc.stdout.read()
        match = re.search(r"tps = ([\d.]+) \(without initial connection time\)", output)
        failed = re.search(r"number of failed transactions: (\d+)", output)
        if proc.returncode != 0 or match is None:
            fail(f"pgbench failed:\n{output[-2000:]}")
        latency = re.search(r"latency average = ([\d.]+) ms", output)
        run = {
            "tps": float(match.group(1)),
            "latency_ms": float(latency.group(1)) if latency else None,
            "failed": int(failed.group(1)) if failed else 0,
        }
        bar(label, seconds, seconds, f"{run['tps']:.0f} tps")
        if n:
            runs.append(run)
    bench.results["limits"]["sql"] = summarize(runs, ["tps"])
    bench.results["limits"]["sql_tps"] = bench.results["limits"]["sql"]["tps"]

    say("limit (b): minimal authenticated DRF read by primary key, wrk, 16 connections")
    retailer = bench.setup["retailers"][RETAILERS[0]]
    ids = bench.sql(
        "SELECT id FROM orders_order WHERE retailer_id = %s ORDER BY md5(id::text) LIMIT 5000",
        [retailer["id"]],
        fetch=True,
    )
    paths = bench.data / "read.paths"
    paths.write_text("".join(f"/bench/orders/{pk}\n" for (pk,) in ids))
    auth = [f"Authorization: Bearer {retailer['key']}"]
    wrk(cfg, bench.base, "get.lua", [str(paths), "2"], cfg.warmup, "read warm-up", auth)
    runs = [
        wrk(
            cfg,
            bench.base,
            "get.lua",
            [str(paths), "2"],
            cfg.duration,
            f"read run {n}/{cfg.runs}",
            auth,
        )
        for n in range(1, cfg.runs + 1)
    ]
    bench.results["limits"]["read"] = summarize(runs, ["rps", "p50_ms", "p99_ms"])
    bench.results["limits"]["read_rps"] = bench.results["limits"]["read"]["rps"]

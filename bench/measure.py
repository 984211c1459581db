"""Driving load and reading what it measured: wrk runs, and medians of runs."""

import json
import re
import statistics
import subprocess
import time

from bench.common import ROOT, bar, fail


def wrk(cfg, url: str, script: str, args: list[str], seconds: int, label: str, headers=()):
    argv = [
        "wrk",
        f"-t{cfg.threads}",
        f"-c{cfg.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        f"bench/lua/{script}",
    ]
    for header in headers:
        argv += ["-H", header]
    argv += [url, "--", *args]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    started = time.monotonic()
    while proc.poll() is None:
        elapsed = time.monotonic() - started
        bar(label, min(elapsed, seconds - 0.01), seconds, f"{elapsed:4.0f}/{seconds}s")
        time.sleep(0.5)
    output = proc.stdout.read().decode()
    match = re.search(r"BENCH_JSON (\{.*\})", output)
    if proc.returncode != 0 or match is None:
        fail(f"wrk failed ({proc.returncode}):\n{output[-2000:]}")
    result = json.loads(match.group(1))
    seconds_run = result["duration_us"] / 1e6
    statuses = {int(k): v for k, v in result["statuses"].items()}
    ok = sum(n for status, n in statuses.items() if 200 <= status < 300)
    run = {
        "rps": round(ok / seconds_run, 1),
        "requests": result["requests"],
        "ok": ok,
        "statuses": statuses,
        "p50_ms": round(result["p50_us"] / 1000, 1),
        "p95_ms": round(result["p95_us"] / 1000, 1),
        "p99_ms": round(result["p99_us"] / 1000, 1),
        "max_ms": round(result["max_us"] / 1000, 1),
        "errors": result["socket_errors"] + result["timeouts"],
        "exhausted": bool(result["exhausted_threads"]),
    }
    bar(
        label,
        seconds,
        seconds,
        f"{run['rps']:.0f}/s p50 {run['p50_ms']}ms p99 {run['p99_ms']}ms"
        + ("" if ok == result["requests"] else f" statuses {statuses}"),
    )
    return run


def summarize(runs: list[dict], keys: list[str]) -> dict:
    out = {"runs": runs}
    for key in keys:
        values = [run[key] for run in runs]
        out[key] = round(statistics.median(values), 1)
        out[f"{key}_min"] = min(values)
        out[f"{key}_max"] = max(values)
    return out

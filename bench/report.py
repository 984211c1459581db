"""The results of a run: ratios, targets met or not, the table and the JSON."""

import json

from bench.common import RESULTS

# Targets of issue 7, checked in the table and the JSON.
TARGETS = {
    "submit_vs_sql_limit": 0.20,
    "submit_vs_read_baseline": 0.25,
    "submit_p99_ms": 150,
    "e2e_vs_sql_limit": 0.12,
    "queue_p95_ms": 150,
    "case_p95_ms": 150,
    "import_orders_per_s": 5000,
}


def ratios(bench) -> None:
    r = bench.results
    sql = r["limits"].get("sql_tps")
    read = r["limits"].get("read_rps")
    submit = r.get("submit", {}).get("rps")
    e2e = r.get("e2e", {}).get("completions_per_s")
    returns = r.get("returns", {}).get("completions_per_s")
    ratios = r["ratios"]
    if sql and submit:
        ratios["submit_vs_sql_limit"] = round(submit / sql, 3)
    if read and submit:
        ratios["submit_vs_read_baseline"] = round(submit / read, 3)
    if sql and e2e:
        ratios["e2e_vs_sql_limit"] = round(e2e / sql, 3)
    if read and e2e:
        ratios["e2e_vs_read_baseline"] = round(e2e / read, 3)
    if sql and returns:
        ratios["returns_vs_sql_limit"] = round(returns / sql, 3)
    if sql and read:
        ratios["read_vs_sql_limit"] = round(read / sql, 3)
    targets = r["targets"]

    def check(name, value, ok):
        if value is not None:
            targets[name] = {"target": TARGETS[name], "value": value, "met": ok}

    check(
        "submit_vs_sql_limit",
        ratios.get("submit_vs_sql_limit"),
        ratios.get("submit_vs_sql_limit", 0) >= TARGETS["submit_vs_sql_limit"],
    )
    check(
        "submit_vs_read_baseline",
        ratios.get("submit_vs_read_baseline"),
        ratios.get("submit_vs_read_baseline", 0) >= TARGETS["submit_vs_read_baseline"],
    )
    p99 = r.get("submit", {}).get("p99_ms")
    check("submit_p99_ms", p99, p99 is not None and p99 <= TARGETS["submit_p99_ms"])
    check(
        "e2e_vs_sql_limit",
        ratios.get("e2e_vs_sql_limit"),
        ratios.get("e2e_vs_sql_limit", 0) >= TARGETS["e2e_vs_sql_limit"],
    )
    for page in ("queue", "case"):
        p95 = r.get("pages", {}).get(page, {}).get("p95_ms")
        check(f"{page}_p95_ms", p95, p95 is not None and p95 <= TARGETS[f"{page}_p95_ms"])
    rate = r.get("import", {}).get("orders_per_s")
    check("import_orders_per_s", rate, rate is not None and rate >= TARGETS["import_orders_per_s"])
    # The flat keys issue 7 names, beside the detail.
    if "submit" in r:
        r["submit"]["rps"] = submit
    if "pages" in r:
        r["pages"]["queue_p95_ms"] = r["pages"]["queue"]["p95_ms"]
        r["pages"]["case_p95_ms"] = r["pages"]["case"]["p95_ms"]


def table(bench) -> str:
    r = bench.results
    sql = r["limits"].get("sql_tps")
    read = r["limits"].get("read_rps")
    rows = []

    def ratio(value, base):
        return f"{value / base:6.1%}" if value and base else "     -"

    def row(name, phase, key, unit, extra="", ratios=True):
        if not phase:
            return
        value = phase[key]
        spread = f"{phase[key + '_min']:g}-{phase[key + '_max']:g}"
        is_rate = unit == "/s" and ratios
        rows.append(
            f"{name:<34} {value:>10,.1f} {unit:<4} {spread:>19}  "
            f"{ratio(value, sql) if is_rate else '     -'}  "
            f"{ratio(value, read) if is_rate else '     -'}  {extra}"
        )

    limits = r["limits"]
    row("(a) SQL limit, pgbench 8 clients", limits.get("sql"), "tps", "/s")
    row(
        "(b) read baseline, DRF by pk",
        limits.get("read"),
        "rps",
        "/s",
        f"p99 {limits.get('read', {}).get('p99_ms', '-')} ms",
    )
    sub = r.get("submit")
    if sub:
        row("submit throughput", sub, "rps", "/s")
        row("submit p50", sub, "p50_ms", "ms")
        row("submit p95", sub, "p95_ms", "ms")
        row("submit p99", sub, "p99_ms", "ms", "target <= 150 ms")
    row("e2e completions", r.get("e2e"), "completions_per_s", "/s", "target >= 12% of (a)")
    row(
        "returns completions",
        r.get("returns"),
        "completions_per_s",
        "/s",
        "create, receive, inspect, refund settled",
    )
    for page in ("queue", "case"):
        p = r.get("pages", {}).get(page)
        row(f"{page} page p50", p, "p50_ms", "ms")
        row(f"{page} page p95", p, "p95_ms", "ms", "target <= 150 ms")
    row(
        "import_orders (orders/s)",
        r.get("import"),
        "orders_per_s",
        "/s",
        f"target >= 5,000/s; command's own clock "
        f"{r.get('import', {}).get('command_orders_per_s', 0):,.0f}/s; "
        f"load of {r.get('load', {}).get('orders', 0):,} "
        f"{r.get('load', {}).get('import_orders_per_s', 0):,.0f}/s",
        ratios=False,
    )
    header = (
        f"{'figure (median of ' + str(bench.cfg.runs) + ')':<34} {'value':>10} {'':<4} "
        f"{'min-max':>19}  {'vs (a)':>6}  {'vs (b)':>6}"
    )
    lines = [header, "-" * len(header), *rows, ""]
    for name, target in r["targets"].items():
        verdict = "met" if target["met"] else "NOT MET"
        lines.append(f"  target {name}: {target['value']} (target {target['target']}) {verdict}")
    return "\n".join(lines)


def write(bench):
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Only a full-scale run replaces the committed figures; smaller ones go beside.
    name = "latest" if bench.cfg.scale == 1 else f"latest-scale-{bench.cfg.scale:g}"
    path = RESULTS / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(bench.results, indent=2, default=str) + "\n")
    tmp.replace(path)
    # The same table as printed, for docs/performance.md.
    path.with_suffix(".txt").write_text(table(bench) + "\n")
    return path

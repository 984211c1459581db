"""`make bench`: the core flow measured at scale against this machine's own limits.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rescind REDIS_URL=redis://127.0.0.1:6379/0 \
        make bench [SCALE=0.01]

One run, end to end (issue 7; the figures and what they mean are in docs/performance.md):

1. Creates a fresh database (`rescind_bench` on DATABASE_URL's server) and uses its own
   Redis database (14), so nothing else on the machine is touched; both are dropped or
   flushed at the end (--db-name and --redis-db choose others, for a run beside it).
2. Loads the data set at SCALE (1 = 2 retailers, 1,000,000 orders of ~3 lines, 50,000
   SKUs over 2 warehouses, 200,000 historical cancellations, 100,000 of them open):
   orders through `manage.py import_orders`, history in bulk SQL (bench/sql/history.sql).
3. Starts the stack as the README deploys it (gunicorn with the production settings,
   Celery workers) plus a loopback SMTP/webhook sink, and measures from wrk with 16
   connections (pgbench with 8 clients for the SQL limit), each figure the median of 3
   runs with min and max:
   (a) limits.sql_tps: one cancellation's database work in hand-written SQL;
   (b) limits.read_rps: a minimal authenticated DRF endpoint reading one row by pk;
   submit: POST /api/v1/cancellations, full and partial, each on a different order;
   e2e: completions per second, submitted to refunded, messages and webhooks sent;
   returns: returns per second, created, received, inspected and refund settled;
   pages: the agent queue and a case page, logged in, at 100k open cases;
   import: `import_orders` rate.
4. Prints one table and writes bench/results/latest.json.

This module is the command line and the order of the phases; the parts live beside it:
config.py (options and sizes), machine.py (preflight, machine facts), stack.py
(gunicorn, Celery, the sink), dataset.py (database, load, history), targets.py (the
orders each phase cancels), measure.py (wrk, medians), phases/ (one module per figure)
and report.py (ratios, targets, table, JSON).
"""

import subprocess
import sys
import time
from datetime import UTC, datetime

from bench import dataset, report
from bench.common import ROOT, say
from bench.config import Config, parse_args
from bench.context import Bench
from bench.machine import busy_neighbours, loadavg, machine_info, preflight
from bench.phases import e2e, imports, limits, pages, returns, submit
from bench.stack import start_web
from bench.targets import pick_targets


def main(argv=None) -> int:
    args = parse_args(argv)
    database_url, redis_url = preflight()
    cfg = Config(args)
    bench = Bench(cfg, database_url, redis_url)
    started = time.monotonic()
    bench.results["machine"] = machine_info()
    bench.results["run"] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "scale": cfg.scale,
        "runs": cfg.runs,
        "seconds_per_run": cfg.duration,
        "connections": cfg.connections,
        "pgbench_clients": cfg.pg_clients,
        "gunicorn_workers": cfg.web_workers,
        "celery_concurrency": cfg.celery_concurrency,
        "import_workers": cfg.import_workers,
        "loadavg_at_start": loadavg(),
        "git": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, text=True, capture_output=True
        ).stdout.strip(),
    }
    say(
        f"machine: {bench.results['machine']['cores']} cores, "
        f"{bench.results['machine']['cpu_model']}; load average {loadavg()}"
    )
    try:
        dataset.load(bench)
        pick_targets(bench)
        start_web(bench)
        neighbours = busy_neighbours(bench.stack.pids())
        bench.results["run"]["busy_neighbours_at_measure"] = neighbours
        say(f"other busy processes on the machine: {', '.join(neighbours) or 'none'}")
        if cfg.wants("limits"):
            limits.measure(bench)
        if cfg.wants("submit"):
            submit.measure(bench)
        if cfg.wants("e2e"):
            e2e.measure(bench)
        if cfg.wants("returns"):
            returns.measure(bench)
        if cfg.wants("pages"):
            pages.measure(bench)
        bench.stack.stop("gunicorn")
        if cfg.wants("import"):
            imports.measure(bench)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        bench.stack.stop_all()
        dataset.drop_database(bench)
    bench.results["run"]["loadavg_at_end"] = loadavg()
    bench.results["run"]["total_seconds"] = round(time.monotonic() - started)
    report.ratios(bench)
    path = report.write(bench)
    print()
    print(report.table(bench))
    print()
    say(f"done in {bench.results['run']['total_seconds']}s; wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The benchmark's database: created fresh, loaded at scale, dropped at the end.

Orders go in through `manage.py import_orders` (the product's own bulk path), history
through bench/sql/history.sql.
"""

import contextlib
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from bench.common import AGENT_PASSWORD, BENCH, PY, RETAILERS, ROOT, bar, fail, say
from bench.stack import django

# Tables the bench's own SQL writes (bench/sql/history.sql and cancellation.pgbench).
SQL_TABLES = (
    "cancellations_cancellationrequest",
    "cancellations_cancellationline",
    "refunds_refund",
    "orders_orderevent",
    "notifications_notification",
    "notifications_webhookdelivery",
    "inventory_stockmovement",
)


def create_database(bench) -> None:
    import psycopg
    import redis

    with psycopg.connect(bench.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench.cfg.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{bench.cfg.db_name}"')
    redis.Redis.from_url(bench.redis_url).flushdb()


def drop_database(bench) -> None:
    import psycopg
    import redis

    with contextlib.suppress(Exception):
        redis.Redis.from_url(bench.redis_url).flushdb()
    if bench.cfg.keep_db:
        say(f"kept database {bench.cfg.db_name} (--keep-db)")
        return
    with psycopg.connect(bench.admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{bench.cfg.db_name}" WITH (FORCE)')


def generate(bench, path: Path, count: int, start: int, seed: int, prefix="ord-"):
    """Start bench/gen_orders.py writing `count` orders to `path`; returns the process."""
    argv = [PY, "bench/gen_orders.py", str(path), "--count", str(count)]
    for slug in RETAILERS:
        argv += ["--retailer", slug]
    argv += ["--skus", str(bench.cfg.skus), "--warehouses", "2", "--start", str(start)]
    argv += ["--seed", str(seed), "--prefix", prefix]
    # Customers stay shared across the parts: a third of all orders, as in one file.
    argv += ["--customers", str(max(1, bench.cfg.orders // 3))]
    return subprocess.Popen(argv, cwd=ROOT)


def load(bench) -> None:
    cfg = bench.cfg
    bench.data.mkdir(parents=True, exist_ok=True)
    say(
        f"loading: {cfg.orders:,} orders, {cfg.skus:,} SKUs x 2 retailers, "
        f"{cfg.history:,} historical cancellations ({cfg.history // 2:,} open)"
    )
    started = time.monotonic()
    # Generation (CPU) overlaps migrations (mostly waiting on PostgreSQL).
    parts = 2
    per_part = -(-cfg.orders // parts)
    files = [bench.data / f"orders-{n}.jsonl" for n in range(parts)]
    generators = [
        generate(bench, path, min(per_part, cfg.orders - n * per_part), 1 + n * per_part, n + 1)
        for n, path in enumerate(files)
    ]
    create_database(bench)
    say("migrating the fresh database and collecting static files")
    django(bench.env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
    django(bench.env, "collectstatic", "--noinput", stdout=subprocess.DEVNULL)
    sink = f"http://127.0.0.1:{bench.sink_port}/hook"
    out = subprocess.run(
        [
            PY,
            "-m",
            "bench.prepare",
            "--skus",
            str(cfg.skus),
            "--webhook-url",
            sink,
            "--password",
            AGENT_PASSWORD,
        ]
        + [arg for slug in RETAILERS for arg in ("--retailer", slug)],
        cwd=ROOT,
        env=bench.env,
        check=True,
        text=True,
        capture_output=True,
    )
    bench.setup = json.loads(out.stdout.strip().splitlines()[-1])
    say(f"generating {cfg.orders:,} orders as JSON lines (bench/gen_orders.py)")
    for gen in generators:
        if gen.wait() != 0:
            fail("bench/gen_orders.py failed")
    orders_file = bench.data / "orders.jsonl"
    with open(orders_file, "wb") as out_file:
        for path in files:
            with open(path, "rb") as part:
                shutil.copyfileobj(part, out_file, 1 << 20)
            path.unlink()
    run = import_orders(bench, orders_file, cfg.orders, "import_orders (load)")
    orders_file.unlink()
    bench.results["load"] = {
        "orders": cfg.orders,
        "import_orders_per_s": run["orders_per_s"],
        "import_command_orders_per_s": run["command_orders_per_s"],
    }

    say(f"writing {cfg.history:,} historical cancellations (bench/sql/history.sql)")
    max_id = bench.sql("SELECT max(id) FROM orders_order", fetch=True)[0][0]
    # The top 5% of order ids are the pgbench limit's; nothing else touches them.
    bench.pgbench_range = (int(max_id * 0.95), max_id)
    history(bench)
    say("VACUUM ANALYZE (as autovacuum would leave a settled database)")
    t = time.monotonic()
    bench.sql("VACUUM (ANALYZE)")
    say(f"vacuum done in {time.monotonic() - t:.0f}s")
    bench.results["load"]["seconds"] = round(time.monotonic() - started)
    counts = bench.sql(
        "SELECT (SELECT count(*) FROM orders_order), (SELECT count(*) FROM orders_orderline),"
        " (SELECT count(*) FROM cancellations_cancellationrequest),"
        " (SELECT count(*) FROM cancellations_cancellationrequest WHERE status IN"
        "  ('in_review','escalated','awaiting_customer') OR needs_attention),"
        " (SELECT count(*) FROM inventory_stocklevel),"
        " pg_size_pretty(pg_database_size(current_database()))",
        fetch=True,
    )[0]
    bench.results["data"] = dict(
        zip(
            ["orders", "order_lines", "cancellations", "open_cases", "stock_levels", "db_size"],
            counts,
            strict=True,
        )
    )
    say(f"data set ready in {bench.results['load']['seconds']}s: {bench.results['data']}")


def import_orders(bench, path: Path, count: int, label: str) -> dict:
    """Run `manage.py import_orders` on `path` and time it as its user would.

    `orders_per_s` is the orders imported over the command's whole life, from starting
    the interpreter to its exit (Django's start-up, forking its workers, the batches,
    its closing ANALYZE): what `time manage.py import_orders` gives. The command's own
    figure, which starts its clock inside `handle()`, is kept beside it.
    """
    argv = [
        PY,
        "manage.py",
        "import_orders",
        str(path),
        "--workers",
        str(bench.cfg.import_workers),
    ]
    started = time.monotonic()
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=bench.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Its progress lines ("N lines: ... - R orders/s") drive our bar.
    for line in proc.stderr:
        match = re.match(r"([\d,]+) lines: .* - ([\d,]+) orders/s", line)
        if match:
            done = int(match.group(1).replace(",", ""))
            bar(label, min(done, count - 1), count, f"{done:,}/{count:,} {match.group(2)}/s")
        elif line.strip():
            print("  " + line.rstrip(), flush=True)
    output = proc.stdout.read()
    if proc.wait() != 0:
        fail(f"import_orders failed:\n{output[-2000:]}")
    seconds = time.monotonic() - started
    match = re.search(r"Imported ([\d,]+) orders in ([\d.]+)s", output)
    imported, own_seconds = int(match.group(1).replace(",", "")), float(match.group(2))
    run = {
        "orders_per_s": round(imported / seconds, 1),
        "orders": imported,
        "seconds": round(seconds, 2),
        "command_orders_per_s": round(imported / own_seconds, 1),
    }
    bar(
        label,
        count,
        count,
        f"{imported:,} orders in {seconds:.1f}s = {run['orders_per_s']:,.0f}/s "
        f"(command's own clock {run['command_orders_per_s']:,.0f}/s)",
    )
    return run


def history(bench) -> None:
    import psycopg

    agent_id = bench.sql(
        "SELECT id FROM auth_user WHERE username = %s", [bench.setup["agent"]], fetch=True
    )[0][0]
    query = (BENCH / "sql" / "history.sql").read_text()
    with psycopg.connect(bench.db_url) as conn, psycopg.ClientCursor(conn) as cursor:
        # The bench's SQL (history, pgbench) names the columns it knows; a column added
        # later is NOT NULL without a database default (Django fills it in Python), so
        # give such columns an empty default in this throwaway database. The product
        # always writes every column, so this changes nothing it does.
        empty_defaults(cursor, SQL_TABLES)
        cursor.execute(
            query,
            {"count": bench.cfg.history, "below": bench.pgbench_range[0], "agent_id": agent_id},
        )
        conn.commit()


def empty_defaults(cursor, tables) -> list[tuple[str, str]]:
    empty = {
        "jsonb": "'{}'::jsonb",
        "boolean": "false",
        "uuid": "gen_random_uuid()",
        "timestamp with time zone": "now()",
        "date": "current_date",
    }
    cursor.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_name = ANY(%s) AND is_nullable = 'NO' AND column_default IS NULL"
        " AND is_identity = 'NO'",
        [list(tables)],
    )
    added = []
    for table, column, data_type in cursor.fetchall():
        if data_type in ("character varying", "text"):
            default = "''"
        elif data_type in ("integer", "bigint", "smallint", "numeric", "double precision"):
            default = "0"
        elif data_type in empty:
            default = empty[data_type]
        else:
            continue
        cursor.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" SET DEFAULT {default}')
        added.append((table, column))
    return added

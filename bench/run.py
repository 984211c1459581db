"""`make bench`: the core flow measured at scale against this machine's own limits.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/rescind REDIS_URL=redis://127.0.0.1:6379/0 \
        make bench [SCALE=0.01]

One run, end to end (issue 7; the figures and what they mean are in docs/performance.md):

1. Creates a fresh database (`rescind_bench` on DATABASE_URL's server) and uses its own
   Redis database (14), so nothing else on the machine is touched; both are dropped or
   flushed at the end.
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
   pages: the agent queue and a case page, logged in, at 100k open cases;
   import: `import_orders` rate.
4. Prints one table and writes bench/results/latest.json.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
RESULTS = BENCH / "results"
PY = sys.executable
BIN = Path(PY).parent
RETAILERS = ["acme", "globex"]
AGENT_PASSWORD = "bench-" + secrets.token_hex(8)

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


# --- output --------------------------------------------------------------------------


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def bar(label: str, done: float, total: float, extra: str = "") -> None:
    width = 30
    filled = int(width * min(1.0, done / total)) if total else width
    end = "\n" if done >= total else ""
    print(
        f"\r  {label:<28} [{'#' * filled}{'.' * (width - filled)}] {extra}",
        end=end,
        flush=True,
    )


def fail(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
    sys.exit(2)


# --- configuration -------------------------------------------------------------------


class Config:
    def __init__(self, args):
        self.scale = args.scale
        self.runs = args.runs
        self.orders = max(2000, int(1_000_000 * args.scale))
        self.skus = max(500, int(50_000 * args.scale))
        self.history = max(200, int(200_000 * args.scale))
        small = args.scale < 0.1
        self.duration = args.duration or (5 if small else 15)
        self.warmup = 2 if small else 5
        self.e2e_submit = args.e2e_seconds or (2 if small else 4)
        # Requests per e2e run: a fixed batch, so a run ends when that batch is through.
        self.e2e_batch = args.e2e_batch or (40 if small else 200)
        # Orders per import run: enough that process start-up does not dominate the rate.
        self.topup = max(2000, int(50_000 * min(1.0, args.scale * 10)))
        self.connections = args.connections
        self.threads = 2
        self.pg_clients = 8
        self.web_workers = args.web_workers
        self.celery_concurrency = args.celery_concurrency
        self.import_workers = args.import_workers
        self.keep_db = args.keep_db
        self.db_name = args.db_name
        self.redis_db = args.redis_db
        self.only = set(args.only.split(",")) if args.only else None

    def wants(self, phase: str) -> bool:
        return self.only is None or phase in self.only


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Rescind benchmark (issue 7).")
    parser.add_argument(
        "--scale",
        type=float,
        default=float(os.environ.get("SCALE") or 1.0),
        help="Data set size; 1 = 1M orders (env SCALE). 0.01 is a ~2 minute smoke run.",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=int, default=0, help="Seconds per measured run.")
    parser.add_argument("--e2e-seconds", type=int, default=0, help="Submission time per e2e run.")
    parser.add_argument("--e2e-batch", type=int, default=0, help="Requests per e2e run.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--web-workers", type=int, default=int(os.environ.get("WEB_WORKERS", 5)))
    parser.add_argument(
        "--celery-concurrency", type=int, default=int(os.environ.get("CELERY_CONCURRENCY", 4))
    )
    parser.add_argument("--import-workers", type=int, default=2)
    parser.add_argument("--db-name", default="rescind_bench")
    parser.add_argument("--redis-db", type=int, default=14)
    parser.add_argument("--keep-db", action="store_true", help="Leave the database for study.")
    parser.add_argument(
        "--only", default="", help="Comma list of phases: limits,submit,e2e,pages,import."
    )
    return parser.parse_args(argv)


# --- environment ---------------------------------------------------------------------


def preflight():
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        fail(
            "the benchmark runs on PostgreSQL only; SQLite (the default) would measure "
            "SQLite's single writer, not Rescind. Set DATABASE_URL=postgres://user@host:port/db "
            "(the bench creates and drops its own database on that server) and "
            "REDIS_URL=redis://host:port/0, then run `make bench` again."
        )
    if not redis_url.startswith("redis://"):
        fail("the benchmark needs Redis for the broker and workers: set REDIS_URL=redis://...")
    for tool in ("wrk", "pgbench"):
        if shutil.which(tool) is None:
            fail(f"{tool} is not installed (apt-get install {tool}).")
    return database_url, redis_url


def with_path(url: str, path: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path=path))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine_info() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory_gb = 0.0
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    return {
        "cores": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "memory_gb": memory_gb,
        "kernel": platform.release(),
        "python": platform.python_version(),
    }


def loadavg() -> list[float]:
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except OSError:
        return []


def busy_neighbours(own: set[int]) -> list[str]:
    """Processes not started by the benchmark that used CPU in the last second."""

    def ticks():
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                name = stat[stat.index("(") + 1 : stat.rindex(")")]
                fields = stat[stat.rindex(")") + 2 :].split()
                found[int(entry.name)] = (name, int(fields[11]) + int(fields[12]))
        return found

    before = ticks()
    time.sleep(1)
    after = ticks()
    busy = []
    for pid, (name, total) in after.items():
        if pid in own or pid == os.getpid():
            continue
        used = total - before.get(pid, (name, total))[1]
        if used > 5:  # >5% of one core
            busy.append(f"{name}({used}%)")
    return sorted(busy)[:12]


class Stack:
    """The processes the benchmark starts; stopped in reverse order, by their own ids."""

    def __init__(self, env):
        self.env = env
        self.procs: dict[str, subprocess.Popen] = {}
        DATA.mkdir(parents=True, exist_ok=True)

    def start(self, name: str, argv: list[str], **kwargs) -> subprocess.Popen:
        log = open(DATA / f"{name}.log", "w")  # noqa: SIM115
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=kwargs.pop("env", self.env),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopping it stops its children
            **kwargs,
        )
        self.procs[name] = proc
        return proc

    def stop(self, name: str, timeout: float = 20) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in reversed(list(self.procs)):
            self.stop(name)

    def pids(self) -> set[int]:
        """Our processes and their children (for telling our load from the neighbours')."""
        own = set()
        children: dict[int, list[int]] = {}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, ValueError, IndexError):
                    stat = (entry / "stat").read_text()
                    ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
                    children.setdefault(ppid, []).append(int(entry.name))
        todo = [os.getpid(), *(p.pid for p in self.procs.values())]
        while todo:
            pid = todo.pop()
            if pid not in own:
                own.add(pid)
                todo.extend(children.get(pid, []))
        return own

    def check(self, name: str) -> None:
        proc = self.procs.get(name)
        if proc is not None and proc.poll() is not None:
            tail = (DATA / f"{name}.log").read_text()[-3000:]
            fail(f"{name} exited ({proc.returncode}); end of bench/data/{name}.log:\n{tail}")


def django(env, *args, check=True, capture=False, **kwargs):
    return subprocess.run(
        [PY, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        text=True,
        capture_output=capture,
        **kwargs,
    )


def wait_http(url: str, headers: dict, timeout: float, what: str, stack: Stack, name: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check(name)
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2):
                return
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    fail(f"{what} did not answer within {timeout:.0f}s")


# --- measuring -----------------------------------------------------------------------


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


# --- the phases ----------------------------------------------------------------------


class Bench:
    def __init__(self, cfg: Config, database_url: str, redis_url: str):
        self.cfg = cfg
        self.admin_url = with_path(database_url, "/postgres")
        self.db_url = with_path(database_url, f"/{cfg.db_name}")
        self.redis_url = with_path(redis_url, f"/{cfg.redis_db}")
        self.smtp_port, self.sink_port, self.web_port = free_port(), free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.web_port}"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(40),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: no TLS proxy in front, so no redirect to https.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DATABASE_URL": self.db_url,
            "REDIS_URL": self.redis_url,
            # The load comes from two API keys; the per-key limit must not be what we measure.
            "API_RATE_LIMIT": "10000000/min",
            "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true",  # the sink listens on loopback
            "BENCH_SMTP_PORT": str(self.smtp_port),
            "SITE_URL": self.base,
            "LOG_LEVEL": "WARNING",
        }
        self.stack = Stack(self.env)
        self.results: dict = {"limits": {}, "ratios": {}, "targets": {}}
        self.setup: dict = {}

    # database --------------------------------------------------------------------------

    def sql(self, query, params=None, *, fetch=False, db=None):
        import psycopg

        with psycopg.connect(db or self.db_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if fetch else None

    def create_database(self):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.cfg.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.cfg.db_name}"')
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()

    def drop_database(self):
        import psycopg
        import redis

        with contextlib.suppress(Exception):
            redis.Redis.from_url(self.redis_url).flushdb()
        if self.cfg.keep_db:
            say(f"kept database {self.cfg.db_name} (--keep-db)")
            return
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.cfg.db_name}" WITH (FORCE)')

    # loading ---------------------------------------------------------------------------

    def generate(self, path: Path, count: int, start: int, seed: int, prefix="ord-"):
        argv = [PY, "bench/gen_orders.py", str(path), "--count", str(count)]
        for slug in RETAILERS:
            argv += ["--retailer", slug]
        argv += ["--skus", str(self.cfg.skus), "--warehouses", "2", "--start", str(start)]
        argv += ["--seed", str(seed), "--prefix", prefix]
        # Customers stay shared across the parts: a third of all orders, as in one file.
        argv += ["--customers", str(max(1, self.cfg.orders // 3))]
        return subprocess.Popen(argv, cwd=ROOT)

    def load(self):
        cfg = self.cfg
        DATA.mkdir(parents=True, exist_ok=True)
        say(
            f"loading: {cfg.orders:,} orders, {cfg.skus:,} SKUs x 2 retailers, "
            f"{cfg.history:,} historical cancellations ({cfg.history // 2:,} open)"
        )
        started = time.monotonic()
        # Generation (CPU) overlaps migrations (mostly waiting on PostgreSQL).
        parts = 2
        per_part = -(-cfg.orders // parts)
        files = [DATA / f"orders-{n}.jsonl" for n in range(parts)]
        generators = [
            self.generate(path, min(per_part, cfg.orders - n * per_part), 1 + n * per_part, n + 1)
            for n, path in enumerate(files)
        ]
        self.create_database()
        say("migrating the fresh database and collecting static files")
        django(self.env, "migrate", "--noinput", stdout=subprocess.DEVNULL)
        django(self.env, "collectstatic", "--noinput", stdout=subprocess.DEVNULL)
        sink = f"http://127.0.0.1:{self.sink_port}/hook"
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
            env=self.env,
            check=True,
            text=True,
            capture_output=True,
        )
        self.setup = json.loads(out.stdout.strip().splitlines()[-1])
        say(f"generating {cfg.orders:,} orders as JSON lines (bench/gen_orders.py)")
        for gen in generators:
            if gen.wait() != 0:
                fail("bench/gen_orders.py failed")
        orders_file = DATA / "orders.jsonl"
        with open(orders_file, "wb") as out_file:
            for path in files:
                with open(path, "rb") as part:
                    shutil.copyfileobj(part, out_file, 1 << 20)
                path.unlink()
        rate = self.import_orders(orders_file, cfg.orders, "import_orders (load)")
        orders_file.unlink()
        self.results["load"] = {"orders": cfg.orders, "import_orders_per_s": rate}

        say(f"writing {cfg.history:,} historical cancellations (bench/sql/history.sql)")
        max_id = self.sql("SELECT max(id) FROM orders_order", fetch=True)[0][0]
        # The top 5% of order ids are the pgbench limit's; nothing else touches them.
        self.pgbench_range = (int(max_id * 0.95), max_id)
        self.history()
        say("VACUUM ANALYZE (as autovacuum would leave a settled database)")
        t = time.monotonic()
        self.sql("VACUUM (ANALYZE)")
        say(f"vacuum done in {time.monotonic() - t:.0f}s")
        self.results["load"]["seconds"] = round(time.monotonic() - started)
        counts = self.sql(
            "SELECT (SELECT count(*) FROM orders_order), (SELECT count(*) FROM orders_orderline),"
            " (SELECT count(*) FROM cancellations_cancellationrequest),"
            " (SELECT count(*) FROM cancellations_cancellationrequest WHERE status IN"
            "  ('in_review','escalated','awaiting_customer') OR needs_attention),"
            " (SELECT count(*) FROM inventory_stocklevel),"
            " pg_size_pretty(pg_database_size(current_database()))",
            fetch=True,
        )[0]
        self.results["data"] = dict(
            zip(
                ["orders", "order_lines", "cancellations", "open_cases", "stock_levels", "db_size"],
                counts,
                strict=True,
            )
        )
        say(f"data set ready in {self.results['load']['seconds']}s: {self.results['data']}")

    def import_orders(self, path: Path, count: int, label: str) -> float:
        argv = [
            PY,
            "manage.py",
            "import_orders",
            str(path),
            "--workers",
            str(self.cfg.import_workers),
        ]
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
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
        match = re.search(r"Imported ([\d,]+) orders in ([\d.]+)s", output)
        imported, seconds = int(match.group(1).replace(",", "")), float(match.group(2))
        rate = imported / seconds
        bar(label, count, count, f"{imported:,} orders in {seconds:.1f}s = {rate:,.0f}/s")
        return rate

    def history(self):
        import psycopg

        agent_id = self.sql(
            "SELECT id FROM auth_user WHERE username = %s", [self.setup["agent"]], fetch=True
        )[0][0]
        query = (BENCH / "sql" / "history.sql").read_text()
        with psycopg.connect(self.db_url) as conn, psycopg.ClientCursor(conn) as cursor:
            # The bench's SQL (history, pgbench) names the columns it knows; a column added
            # later is NOT NULL without a database default (Django fills it in Python), so
            # give such columns an empty default in this throwaway database. The product
            # always writes every column, so this changes nothing it does.
            self.empty_defaults(cursor, SQL_TABLES)
            cursor.execute(
                query,
                {"count": self.cfg.history, "below": self.pgbench_range[0], "agent_id": agent_id},
            )
            conn.commit()

    @staticmethod
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

    # targets ---------------------------------------------------------------------------

    def keys(self) -> list[str]:
        return [self.setup["retailers"][slug]["key"] for slug in RETAILERS]

    def key_number(self) -> dict[int, int]:
        return {self.setup["retailers"][slug]["id"]: n + 1 for n, slug in enumerate(RETAILERS)}

    def pick_targets(self):
        """Orders for the HTTP phases, disjoint, none with a request yet, none pgbench's."""
        cfg = self.cfg
        lo = self.pgbench_range[0]
        submit_needed = (cfg.runs + 1) * cfg.duration * 500
        e2e_needed = cfg.runs * cfg.e2e_batch
        # Recent unfulfilled orders whose first line costs at most 200 a unit, paid without
        # a sandbox failure: cancelling one unit is approved and refunded at once.
        e2e = self.sql(
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
            rows = self.sql(
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
        self.submit_targets = mixed
        self.e2e_targets = e2e
        say(
            f"targets: {len(mixed):,} orders for submit, {len(e2e):,} auto-approvable for e2e, "
            f"pgbench ids {self.pgbench_range[0]:,}-{self.pgbench_range[1]:,}"
        )

    def write_requests(self, name: str, rows, *, partial_every: int, note: str) -> Path:
        numbers = self.key_number()
        path = DATA / f"{name}.tsv"
        with open(path, "w") as out:
            for n, (_pk, order, retailer_id, line) in enumerate(rows):
                body = {"order": order, "reason": "changed_mind", "note": note}
                if partial_every and n % partial_every == 0:
                    body["lines"] = [{"line": line, "quantity": 1}]
                out.write(f"{numbers[retailer_id]}\t{name}-{n}\t{json.dumps(body)}\n")
        return path

    def chunks(self, rows, parts: int):
        size = len(rows) // parts
        return [rows[i * size : (i + 1) * size] for i in range(parts)]

    # stack -----------------------------------------------------------------------------

    def start_web(self):
        cfg = self.cfg
        self.stack.start(
            "sink",
            [
                PY,
                "-m",
                "bench.sink",
                "--smtp-port",
                str(self.smtp_port),
                "--http-port",
                str(self.sink_port),
            ],
        )
        # The README's production command; the worker count is the one knob we choose.
        self.stack.start(
            "gunicorn",
            [
                str(BIN / "gunicorn"),
                "config.wsgi",
                "--workers",
                str(cfg.web_workers),
                "--bind",
                f"127.0.0.1:{self.web_port}",
            ],
        )
        key = self.keys()[0]
        wait_http(
            f"{self.base}/bench/orders/1",
            {"Authorization": f"Bearer {key}"},
            60,
            "gunicorn",
            self.stack,
            "gunicorn",
        )
        say(f"gunicorn up on :{self.web_port} ({cfg.web_workers} workers, production settings)")

    def start_workers(self):
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()  # tasks left by the submit phase
        self.stack.start(
            "celery",
            [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                str(self.cfg.celery_concurrency),
            ],
        )
        deadline = time.monotonic() + 60
        while "ready." not in (DATA / "celery.log").read_text():
            self.stack.check("celery")
            if time.monotonic() > deadline:
                fail("the Celery worker did not start within 60s (bench/data/celery.log)")
            time.sleep(0.3)
        say(f"celery worker ready ({self.cfg.celery_concurrency} processes)")

    # phases ----------------------------------------------------------------------------

    def phase_limits(self):
        cfg = self.cfg
        say("limit (a): one cancellation's database work in SQL, pgbench, 8 clients")
        lo, hi = self.pgbench_range
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
                    self.db_url,
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
        self.results["limits"]["sql"] = summarize(runs, ["tps"])
        self.results["limits"]["sql_tps"] = self.results["limits"]["sql"]["tps"]

        say("limit (b): minimal authenticated DRF read by primary key, wrk, 16 connections")
        retailer = self.setup["retailers"][RETAILERS[0]]
        ids = self.sql(
            "SELECT id FROM orders_order WHERE retailer_id = %s ORDER BY md5(id::text) LIMIT 5000",
            [retailer["id"]],
            fetch=True,
        )
        paths = DATA / "read.paths"
        paths.write_text("".join(f"/bench/orders/{pk}\n" for (pk,) in ids))
        auth = [f"Authorization: Bearer {retailer['key']}"]
        wrk(cfg, self.base, "get.lua", [str(paths), "2"], cfg.warmup, "read warm-up", auth)
        runs = [
            wrk(
                cfg,
                self.base,
                "get.lua",
                [str(paths), "2"],
                cfg.duration,
                f"read run {n}/{cfg.runs}",
                auth,
            )
            for n in range(1, cfg.runs + 1)
        ]
        self.results["limits"]["read"] = summarize(runs, ["rps", "p50_ms", "p99_ms"])
        self.results["limits"]["read_rps"] = self.results["limits"]["read"]["rps"]

    def phase_submit(self):
        cfg = self.cfg
        say("submit: POST /api/v1/cancellations, full and partial, a different order each")
        keys = self.keys()
        chunks = self.chunks(self.submit_targets, cfg.runs + 1)
        runs = []
        for n, chunk in enumerate(chunks):
            # Every other request cancels one unit of one line; the rest everything.
            path = self.write_requests(f"submit-{n}", chunk, partial_every=2, note="")
            seconds = cfg.warmup if n == 0 else cfg.duration
            label = "submit warm-up" if n == 0 else f"submit run {n}/{cfg.runs}"
            run = wrk(cfg, self.base, "submit.lua", [str(path), "2", *keys], seconds, label)
            if n:
                runs.append(run)
        outcomes = self.sql(
            "SELECT status, count(*) FROM cancellations_cancellationrequest"
            " WHERE created_by LIKE 'api key%%' AND note = '' GROUP BY status ORDER BY 2 DESC",
            fetch=True,
        )
        self.results["submit"] = summarize(runs, ["rps", "p50_ms", "p95_ms", "p99_ms"])
        self.results["submit"]["outcomes"] = dict(outcomes)
        say(f"submit outcomes: {dict(outcomes)}")

    def phase_e2e(self):
        cfg = self.cfg
        say(
            "e2e: submit auto-approvable cancellations with workers running, until every "
            "refund succeeded and every message and webhook went out"
        )
        self.start_workers()
        keys = self.keys()
        runs = []
        for n, chunk in enumerate(self.chunks(self.e2e_targets, cfg.runs), start=1):
            note = f"bench-e2e-{n}"
            path = self.write_requests(f"e2e-{n}", chunk, partial_every=1, note=note)
            started_at = self.sql("SELECT now()", fetch=True)[0][0]
            t0 = time.monotonic()
            sub = wrk(
                cfg,
                self.base,
                "submit.lua",
                [str(path), "2", *keys],
                cfg.e2e_submit,
                f"e2e run {n}/{cfg.runs} submit",
            )
            deadline = time.monotonic() + 600
            settle = time.monotonic() + 1  # requests wrk left in flight still land
            while True:
                completed, approved, pending = self.sql(
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
                    f"{completed}/{approved} completed, {pending} "
                    f"outbox rows pending, {elapsed:.0f}s",
                )
                if completed >= approved and pending == 0 and time.monotonic() > settle:
                    break
                if time.monotonic() > deadline:
                    fail(f"e2e did not drain in 600s: {completed}/{approved}, {pending} pending")
                self.stack.check("celery")
                time.sleep(0.25)
            elapsed = time.monotonic() - t0
            sent = self.sql(
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
        self.stack.stop("celery")
        self.results["e2e"] = summarize(runs, ["completions_per_s"])

    def login(self) -> str:
        """Sign the agent in through /accounts/login/ and return the Cookie header."""
        jar = {}

        def remember(response):
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                jar[name.strip()] = rest.split(";", 1)[0]

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        with opener.open(f"{self.base}/accounts/login/") as response:
            remember(response)
            page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {
                "username": self.setup["agent"],
                "password": AGENT_PASSWORD,
                "csrfmiddlewaretoken": token,
            }
        ).encode()
        request = urllib.request.Request(
            f"{self.base}/accounts/login/",
            data=form,
            headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        )
        try:
            opener.open(request)
        except urllib.error.HTTPError as exc:  # the 302 to /queue/ on success
            if exc.code != 302:
                fail(f"agent login failed: HTTP {exc.code}")
            remember(exc)
        if "sessionid" not in jar:
            fail("agent login failed: no session cookie")
        return f"Cookie: sessionid={jar['sessionid']}"

    def phase_pages(self):
        cfg = self.cfg
        say("pages: the agent queue and case pages, signed in as an agent")
        cookie = self.login()
        cases = self.sql(
            "SELECT id FROM cancellations_cancellationrequest WHERE status IN"
            " ('in_review', 'awaiting_customer') OR needs_attention"
            " ORDER BY md5(id::text) LIMIT 2000",
            fetch=True,
        )
        pages = {
            "queue": ["/queue/"],
            "case": [f"/queue/cases/{pk}/" for (pk,) in cases],
        }
        for name, paths in pages.items():
            path_file = DATA / f"{name}.paths"
            path_file.write_text("".join(p + "\n" for p in paths))
            args = [str(path_file), "2"]
            wrk(cfg, self.base, "get.lua", args, cfg.warmup, f"{name} warm-up", [cookie])
            runs = [
                wrk(
                    cfg,
                    self.base,
                    "get.lua",
                    args,
                    cfg.duration,
                    f"{name} run {n}/{cfg.runs}",
                    [cookie],
                )
                for n in range(1, cfg.runs + 1)
            ]
            for run in runs:
                if run["ok"] != run["requests"]:
                    fail(f"{name} page answered {run['statuses']}: see bench/data/gunicorn.log")
            self.results.setdefault("pages", {})[name] = summarize(
                runs, ["rps", "p50_ms", "p95_ms", "p99_ms"]
            )

    def phase_import(self):
        cfg = self.cfg
        say(f"import: import_orders of {cfg.topup:,} new orders into the loaded database, x3")
        rates = []
        for n in range(1, cfg.runs + 1):
            path = DATA / f"topup-{n}.jsonl"
            gen = self.generate(path, cfg.topup, 1, 100 + n, prefix=f"top{n}-")
            if gen.wait() != 0:
                fail("bench/gen_orders.py failed")
            rates.append(
                {
                    "orders_per_s": round(
                        self.import_orders(path, cfg.topup, f"import run {n}/{cfg.runs}"), 1
                    )
                }
            )
            path.unlink()
        self.results["import"] = summarize(rates, ["orders_per_s"])

    # report ----------------------------------------------------------------------------

    def ratios(self):
        r = self.results
        sql = r["limits"].get("sql_tps")
        read = r["limits"].get("read_rps")
        submit = r.get("submit", {}).get("rps")
        e2e = r.get("e2e", {}).get("completions_per_s")
        ratios = r["ratios"]
        if sql and submit:
            ratios["submit_vs_sql_limit"] = round(submit / sql, 3)
        if read and submit:
            ratios["submit_vs_read_baseline"] = round(submit / read, 3)
        if sql and e2e:
            ratios["e2e_vs_sql_limit"] = round(e2e / sql, 3)
        if read and e2e:
            ratios["e2e_vs_read_baseline"] = round(e2e / read, 3)
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
        check(
            "import_orders_per_s", rate, rate is not None and rate >= TARGETS["import_orders_per_s"]
        )
        # The flat keys issue 7 names, beside the detail.
        if "submit" in r:
            r["submit"]["rps"] = submit
        if "pages" in r:
            r["pages"]["queue_p95_ms"] = r["pages"]["queue"]["p95_ms"]
            r["pages"]["case_p95_ms"] = r["pages"]["case"]["p95_ms"]

    def table(self) -> str:
        r = self.results
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
        for page in ("queue", "case"):
            p = r.get("pages", {}).get(page)
            row(f"{page} page p50", p, "p50_ms", "ms")
            row(f"{page} page p95", p, "p95_ms", "ms", "target <= 150 ms")
        row(
            "import_orders (orders/s)",
            r.get("import"),
            "orders_per_s",
            "/s",
            f"target >= 5,000/s; 1M load {r.get('load', {}).get('import_orders_per_s', 0):,.0f}/s",
            ratios=False,
        )
        header = (
            f"{'figure (median of ' + str(self.cfg.runs) + ')':<34} {'value':>10} {'':<4} "
            f"{'min-max':>19}  {'vs (a)':>6}  {'vs (b)':>6}"
        )
        lines = [header, "-" * len(header), *rows, ""]
        for name, target in r["targets"].items():
            verdict = "met" if target["met"] else "NOT MET"
            lines.append(
                f"  target {name}: {target['value']} (target {target['target']}) {verdict}"
            )
        return "\n".join(lines)

    def write(self):
        RESULTS.mkdir(parents=True, exist_ok=True)
        # Only a full-scale run replaces the committed figures; smaller ones go beside.
        name = "latest" if self.cfg.scale == 1 else f"latest-scale-{self.cfg.scale:g}"
        path = RESULTS / f"{name}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.results, indent=2, default=str) + "\n")
        tmp.replace(path)
        # The same table as printed, for docs/performance.md.
        path.with_suffix(".txt").write_text(self.table() + "\n")
        return path


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
        bench.load()
        bench.pick_targets()
        bench.start_web()
        neighbours = busy_neighbours(bench.stack.pids())
        bench.results["run"]["busy_neighbours_at_measure"] = neighbours
        say(f"other busy processes on the machine: {', '.join(neighbours) or 'none'}")
        if cfg.wants("limits"):
            bench.phase_limits()
        if cfg.wants("submit"):
            bench.phase_submit()
        if cfg.wants("e2e"):
            bench.phase_e2e()
        if cfg.wants("pages"):
            bench.phase_pages()
        bench.stack.stop("gunicorn")
        if cfg.wants("import"):
            bench.phase_import()
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    finally:
        bench.stack.stop_all()
        bench.drop_database()
    bench.results["run"]["loadavg_at_end"] = loadavg()
    bench.results["run"]["total_seconds"] = round(time.monotonic() - started)
    bench.ratios()
    path = bench.write()
    print()
    print(bench.table())
    print()
    say(f"done in {bench.results['run']['total_seconds']}s; wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

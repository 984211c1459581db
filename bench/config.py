"""The command line of `make bench` and the sizes of a run it derives from the scale."""

import argparse
import os


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
        # Orders per import run, timed from process start to exit: 100k at full scale is
        # a migration-sized file whose rate a start-up of about a second shifts by ~6%,
        # and three runs of it take about a minute.
        self.topup = max(2000, int(100_000 * min(1.0, args.scale * 10)))
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
        "--only",
        default="",
        help="Comma list of phases: limits,submit,e2e,returns,pages,import.",
    )
    return parser.parse_args(argv)

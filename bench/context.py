"""One run of the benchmark: its configuration, environment, processes and results."""

import os
import secrets

from bench.common import DATA, RETAILERS, free_port, with_path
from bench.config import Config
from bench.stack import Stack


class Bench:
    """What the phases share; each phase is a function of it (bench/phases/)."""

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
        # Files of the run (request lists, logs, generated orders): a run on another
        # database writes beside, so it can run while the default one does.
        self.data = DATA if cfg.db_name == "rescind_bench" else DATA / cfg.db_name
        self.stack = Stack(self.env, self.data)
        self.results: dict = {"limits": {}, "ratios": {}, "targets": {}}
        # Filled by bench.dataset.load (tenants, the pgbench id range) and
        # bench.targets.pick_targets (the orders each HTTP phase cancels).
        self.setup: dict = {}
        self.pgbench_range: tuple[int, int] = (0, 0)
        self.submit_targets: list = []
        self.e2e_targets: list = []

    def sql(self, query, params=None, *, fetch=False, db=None):
        import psycopg

        with psycopg.connect(db or self.db_url, autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if fetch else None

    def keys(self) -> list[str]:
        return [self.setup["retailers"][slug]["key"] for slug in RETAILERS]

    def key_number(self) -> dict[int, int]:
        return {self.setup["retailers"][slug]["id"]: n + 1 for n, slug in enumerate(RETAILERS)}

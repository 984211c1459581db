"""pytest plugin: real Celery worker processes for tests marked `redis`.

Registered for the whole suite in conftest.py (`pytest_plugins`). It lets a test run
its tasks the way production does, in separate `celery -A config worker` processes that
read the pytest-django TEST database, and kill them at will.

Requirements: PostgreSQL (a worker cannot open the in-memory SQLite test database) and
Redis, i.e. run with `DATABASE_URL=postgres://... REDIS_URL=redis://...`. Mark such
tests `postgres` and `redis` (they then skip locally without the services and fail under
CI=true) and `django_db(transaction=True)`: the worker only sees committed rows.

    pytestmark = [
        pytest.mark.postgres,
        pytest.mark.redis,
        pytest.mark.django_db(transaction=True),
    ]

    def test_refund_goes_out(celery_worker, live_celery):
        with transaction.atomic():
            ...  # a service that enqueues with transaction.on_commit
        wait_until(lambda: Refund.objects.get().status == "succeeded", timeout=10)

Fixtures:
- `celery_broker_url` (session): REDIS_URL's server, on a dedicated database (/15).
  Several suites may share that Redis (developers, helpers, CI): every key this session
  uses carries its own prefix (`KEY_PREFIX`, kombu's `global_keyprefix`, handed to the
  workers as CELERY_TEST_KEY_PREFIX, which config/settings/test.py reads), so no session
  consumes or deletes another's messages.
- `live_celery`: in the test process, eager mode off and the publisher pointed at the
  test broker (restored afterwards); yields the Celery app. Without it, `.delay()`
  still runs tasks in-process (eager), as everywhere else in the suite.
- `celery_workers`: a `WorkerFactory`. `celery_workers.start(concurrency=1, env={...})`
  starts a worker (extra environment variables, e.g. a test knob, go in `env`) and
  waits until it consumes; `worker.kill()` SIGKILLs its whole process group (main
  process and pool children) like a crashed host; `worker.stop()` shuts it down warmly;
  `celery_workers.restart(worker)` stops it and starts a fresh one with the same
  options. This session's broker keys are deleted when the fixture starts, and every
  worker is stopped at teardown, before pytest-django flushes the database.
- `celery_worker`: one running worker (concurrency 2), for tests that need just one.

Helpers (import from `tests.celery_worker`):
- `wait_until(predicate, timeout=10, interval=0.05, message="")`: polls until the
  predicate is truthy, returns its value, fails the test with `message` on timeout.
- `broker_idle(url)`: no message queued nor delivered-but-unacknowledged.
- `broker_unreachable(app)`: a context manager pointing the test process's publisher at
  a dead port, i.e. a broker outage as seen by the web process; on exit it points back.

Each worker writes its log to pytest's tmp dir; a worker that fails to start fails the
test with the tail of that log.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import quote, urlparse, urlunparse

import pytest

BROKER_DB = 15
QUEUE = "celery"
# Several suites may share one Redis (developers, CI, parallel runs): each session keeps
# its messages under its own key prefix, so nobody consumes or flushes another's.
KEY_PREFIX = f"test{os.getpid()}:"
START_TIMEOUT = 30.0


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, message: str = ""):
    """Poll `predicate` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(message or f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)


def _redis(url: str):
    import redis

    return redis.Redis.from_url(url)


def broker_idle(url: str) -> bool:
    """True when the queue is empty and no delivered message awaits its ack (acks_late)."""
    client = _redis(url)
    return client.llen(KEY_PREFIX + QUEUE) == 0 and client.hlen(KEY_PREFIX + "unacked") == 0


def _test_database_url() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.fail(
            "a real Celery worker needs a test database another process can open: "
            "set DATABASE_URL=postgres://...",
            pytrace=False,
        )
    credentials = quote(db.get("USER") or "", safe="")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{credentials}@{host}:{port}/{db['NAME']}"


def _point_publisher(app, broker_url: str) -> None:
    """Make the app publish to `broker_url`, dropping pooled connections to the old one."""
    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = {
        **(app.conf.broker_transport_options or {}),
        "global_keyprefix": KEY_PREFIX,
    }
    # Drop, don't close: kombu keeps one pool per URL for the process and would hand the
    # closed pool back the next time this URL is used.
    app._pool = None
    app.amqp._producer_pool = None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def celery_live(broker_url: str):
    """Eager off in this process, publishing to `broker_url`; restored on exit."""
    from config.celery import app

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    _point_publisher(app, broker_url)
    try:
        yield app
    finally:
        app.conf.task_always_eager = saved[0]
        _point_publisher(app, saved[1])


@contextmanager
def broker_unreachable(app):
    """The broker is down as far as this process can tell; it is back on exit."""
    live_url = app.conf.broker_url
    _point_publisher(app, f"redis://127.0.0.1:{_free_port()}/{BROKER_DB}")
    try:
        yield
    finally:
        _point_publisher(app, live_url)


class Worker:
    """One `celery -A config worker` process group."""

    def __init__(self, *, name, command, env, log_path: Path, options: dict):
        self.name = name
        self.log_path = log_path
        self.options = options
        self._log = log_path.open("ab")
        self.process = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches pool children
        )

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"worker {self.name} exited at start:\n{self.log_tail()}")
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            time.sleep(0.05)
        self.kill()
        pytest.fail(f"worker {self.name} not ready within {timeout}s:\n{self.log_tail()}")

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Kill the main process and its pool children at once, as a crash would."""
        if self.alive:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 3.0) -> None:
        """Warm shutdown (finish the running task), then kill if it takes too long."""
        if self.alive:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()


class WorkerFactory:
    def __init__(self, *, broker_url: str, database_url: str, log_dir: Path):
        self.broker_url = broker_url
        self.database_url = database_url
        self.log_dir = log_dir
        self.workers: list[Worker] = []

    def start(self, *, concurrency: int = 1, env: dict | None = None) -> Worker:
        name = f"test-{uuid.uuid4().hex[:8]}"
        worker_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.broker_url,
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TEST_KEY_PREFIX": KEY_PREFIX,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            "--pool=prefork",
            f"--hostname={name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            f"--queues={QUEUE}",
        ]
        worker = Worker(
            name=name,
            command=command,
            env=worker_env,
            log_path=self.log_dir / f"{name}.log",
            options={"concurrency": concurrency, "env": env},
        )
        self.workers.append(worker)
        worker.wait_ready()
        return worker

    def restart(self, worker: Worker) -> Worker:
        worker.stop()
        return self.start(**worker.options)

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture(scope="session")
def celery_broker_url() -> str:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        pytest.skip("needs Redis: set REDIS_URL=redis://...")
    parsed = urlparse(url)
    return urlunparse(parsed._replace(path=f"/{BROKER_DB}"))


@pytest.fixture
def live_celery(celery_broker_url):
    with celery_live(celery_broker_url) as app:
        yield app


@pytest.fixture
def celery_workers(transactional_db, celery_broker_url, tmp_path):
    # Depending on transactional_db orders teardown: workers stop before the flush.
    client = _redis(celery_broker_url)
    stale = list(client.scan_iter(match=KEY_PREFIX + "*"))
    if stale:
        client.delete(*stale)
    factory = WorkerFactory(
        broker_url=celery_broker_url, database_url=_test_database_url(), log_dir=tmp_path
    )
    yield factory
    factory.stop_all()


@pytest.fixture
def celery_worker(celery_workers) -> Worker:
    return celery_workers.start(concurrency=2)

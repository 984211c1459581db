"""Fault tests with real processes (issue 16): a real Celery worker on a PRIVATE Redis
that this test stops and starts under load; the cache unavailable while a worker
refunds. Each ends with the sweeps run, nothing pending, and every invariant holding.

The shared Redis and PostgreSQL of the machine are never touched: the broker here is a
redis-server of the test's own, on a free port.
"""

import contextlib
import shutil
import subprocess
import time
from datetime import timedelta

import pytest

from cancellations.models import CancellationRequest
from notifications.models import Notification, WebhookDelivery
from notifications.tasks import sweep_pending_messages, sweep_pending_webhooks
from ops.invariants import invariants_check
from refunds.models import Refund
from refunds.tasks import sweep_pending_refunds
from tests.celery_worker import (
    WorkerFactory,
    _free_port,
    _test_database_url,
    celery_live,
    wait_until,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]
REQUESTS = 24


class PrivateRedis:
    """A redis-server of this test's own, stopped and started at will on one port."""

    def __init__(self, tmp_path):
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = tmp_path / "redis.log"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.log),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        wait_until(self._answers, timeout=10, message="private redis did not start")

    def stop(self):
        self.process.kill()  # as a crash would: no goodbye to the clients
        self.process.wait(timeout=10)

    def _answers(self):
        import redis

        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False


@pytest.fixture
def private_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the fault tests", pytrace=False)
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()


@pytest.fixture
def private_workers(private_redis, tmp_path, transactional_db):
    factory = WorkerFactory(
        broker_url=private_redis.url, database_url=_test_database_url(), log_dir=tmp_path
    )
    yield factory
    factory.stop_all()


def pending():
    return {
        "refunds": Refund.objects.filter(status="pending").count(),
        "messages": Notification.objects.filter(status="pending").count(),
        "webhooks": WebhookDelivery.objects.filter(status="pending").count(),
    }


# A worker that loses the broker mid-task terminates it (acks_late): the row it claimed
# waits out the claim's lease before the sweep sends it again. Short here, for both sides.
LEASE_SECONDS = 5


def sweep_until_nothing_pending(settings, timeout=60):
    """Run the beat's sweeps, as beat would every minute, until nothing is pending."""
    settings.REFUND_SWEEP_AFTER_SECONDS = 0
    settings.OUTBOX_CLAIM_LEASE_SECONDS = LEASE_SECONDS

    def settled():
        if not any(pending().values()):
            return True
        for sweep in (sweep_pending_refunds, sweep_pending_messages, sweep_pending_webhooks):
            with contextlib.suppress(Exception):  # the publisher reconnects next round
                sweep()
        time.sleep(0.5)
        return False

    try:
        wait_until(settled, timeout=timeout, interval=0)
    except BaseException:
        pytest.fail(f"still pending after {timeout}s: {pending()}")


def assert_books_balanced():
    violations = invariants_check(grace=timedelta(0))
    assert violations == [], "\n".join(map(str, violations))
    assert set(CancellationRequest.objects.values_list("status", flat=True)) == {"completed"}


def test_broker_stopped_and_started_under_load(
    private_redis, private_workers, api, make_order, settings
):
    # Given a worker consuming from our own Redis, and orders to cancel
    worker = private_workers.start(
        concurrency=2, env={"OUTBOX_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS)}
    )
    for n in range(REQUESTS):
        make_order(f"F-{n}", customer=f"fc-{n}")
    with celery_live(private_redis.url):
        # When cancellations keep coming while Redis is killed and, 3 s later, restarted
        for n in range(REQUESTS):
            if n == REQUESTS // 3:
                private_redis.stop()
                stopped_at = time.monotonic()
            if n == 2 * REQUESTS // 3:
                time.sleep(max(0.0, 3 - (time.monotonic() - stopped_at)))
                private_redis.start()
            response = api.post(
                "/api/v1/cancellations",
                {"order": f"F-{n}", "reason": "changed_mind"},
                format="json",
            )
            assert response.status_code == 201, response.content[:300]

        # Then the worker reconnected by itself (still the same process) and, with the
        # sweeps, every refund went out once and nothing is left pending
        sweep_until_nothing_pending(settings)
    assert worker.alive, worker.log_tail()
    assert "Connection to broker lost" in worker.log_tail(200_000), "the worker saw no outage"
    assert Refund.objects.filter(status="succeeded").count() == REQUESTS
    assert_books_balanced()


def test_cache_unavailable_while_a_worker_refunds(
    private_redis, private_workers, api, make_order, settings
):
    # Given the cache pointing at a Redis that is not there, in the web process and the
    # worker alike
    from kernel.cache import cache_reset

    dead = f"redis://127.0.0.1:{_free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": dead,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    cache_reset()
    worker = private_workers.start(
        concurrency=1,
        env={"TEST_CACHE_URL": dead, "OUTBOX_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS)},
    )
    for n in range(6):
        make_order(f"C-{n}", customer=f"cc-{n}")
    with celery_live(private_redis.url):
        # When storefronts submit, then every submission is answered
        for n in range(6):
            response = api.post(
                "/api/v1/cancellations",
                {"order": f"C-{n}", "reason": "changed_mind"},
                format="json",
            )
            assert response.status_code == 201, response.content[:300]
        sweep_until_nothing_pending(settings)
    cache_reset()
    assert worker.alive
    assert_books_balanced()

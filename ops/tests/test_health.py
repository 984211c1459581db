"""SPEC §13: /healthz, /readyz and /metrics."""

import pytest

from cancellations.models import CancellationRequest
from ops import readiness

pytestmark = pytest.mark.django_db


def test_healthz_says_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_200_when_database_migrations_and_broker_answer(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ok"
    assert body["outbox"]["status"] == "ok"


def test_readyz_names_unapplied_migrations(client, monkeypatch):
    # Given a database that misses a migration
    monkeypatch.setattr(readiness, "_migrations_applied", False)
    monkeypatch.setattr(
        readiness.MigrationExecutor,
        "migration_plan",
        lambda self, targets: [(self.loader.graph.nodes[targets[0]], False)],
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failing"] == ["migrations"]


def test_readyz_names_a_broker_that_does_not_answer(client):
    from config.celery import app
    from tests.celery_worker import _free_port, _point_publisher

    saved = (app.conf.task_always_eager, app.conf.broker_url)
    app.conf.task_always_eager = False
    _point_publisher(app, f"redis://127.0.0.1:{_free_port()}/0")
    try:
        response = client.get("/readyz")
    finally:
        app.conf.task_always_eager = saved[0]
        _point_publisher(app, saved[1])
    assert response.status_code == 503
    assert response.json()["failing"] == ["broker"]


def test_readyz_shows_a_stalled_outbox(client, make_order, submit, settings):
    # Given a refund due for an hour that no worker took
    from datetime import timedelta

    from django.utils import timezone

    from refunds.models import Refund

    settings.OUTBOX_STALL_SECONDS = 600
    make_order("ord-1")
    submit()
    Refund.objects.update(status="pending", next_attempt_at=timezone.now() - timedelta(hours=1))
    body = client.get("/readyz").json()
    assert body["status"] == "ok"  # the web process can serve
    assert body["outbox"]["status"] == "stalled"
    assert body["outbox"]["stalled"] == ["refund"]


def test_metrics_refuse_anyone_not_allowed(client, settings):
    settings.METRICS_ALLOWED_IPS = []
    settings.METRICS_TOKEN = "s3cret"
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403


def test_metrics_by_token_carry_requests_and_product_figures(
    client,
    settings,
    make_order,
    submit,
    django_assert_max_num_queries,
    django_capture_on_commit_callbacks,
):
    # Given a submission answered (auto-approved, refunded in-process)
    settings.METRICS_TOKEN = "s3cret"
    make_order("ord-1")
    with django_capture_on_commit_callbacks(execute=True):
        assert submit().status_code == 201
    assert CancellationRequest.objects.get().status == "completed"

    # When Prometheus scrapes: a handful of aggregate queries, whatever the data
    with django_assert_max_num_queries(8):
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert (
        'rescind_http_requests_total{method="POST",status="201",view="cancellation-list"}' in text
    )
    assert "rescind_http_request_duration_seconds_bucket" in text
    assert (
        'rescind_cancellation_requests{retailer="acme",rule="auto_approved",status="completed"} 1.0'
        in text
    )
    assert 'rescind_refunds{retailer="acme",status="succeeded"} 1.0' in text
    assert 'rescind_outbox_pending{kind="refund"} 0.0' in text
    assert 'rescind_outbox_overdue_seconds{kind="message"}' in text
    assert "rescind_outbox_oldest_pending_age_seconds" in text
    assert "rescind_task_outcomes_total" in text


def test_metrics_by_address(client, settings):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 403


def test_queue_size_and_sla_breaches_per_retailer(client, settings, make_order, submit):
    from datetime import timedelta

    from django.utils import timezone

    settings.METRICS_TOKEN = "t"
    make_order("ord-1", placed_at=timezone.now() - timedelta(days=3))  # outside the window
    make_order("ord-2", placed_at=timezone.now() - timedelta(days=3))
    assert submit("ord-1").json()["status"] == "in_review"
    assert submit("ord-2").json()["status"] == "in_review"
    CancellationRequest.objects.filter(order__external_id="ord-1").update(
        sla_due_at=timezone.now() - timedelta(minutes=1)
    )
    text = client.get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    assert 'rescind_queue_size{retailer="acme"} 2.0' in text
    assert 'rescind_queue_sla_breaches{retailer="acme"} 1.0' in text

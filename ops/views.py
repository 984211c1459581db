"""SPEC §13: /healthz, /readyz and /metrics. None of them needs a session or a key."""

import hmac
import logging
import os

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from ops import readiness
from ops.metrics import ProductCollector

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """The process serves. Deliberately touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request):
    """200 when the database answers, migrations are applied and the broker answers;
    503 naming what failed. The outbox's state comes along for the operator."""
    failures = [
        problem
        for check in (readiness.database_check, readiness.migrations_check, readiness.broker_check)
        if (problem := check()) is not None
    ]
    if failures:
        logger.warning("not ready: %s", "; ".join(failures))
        body = {
            "status": "unavailable",
            "failing": [f.split(":", 1)[0] for f in failures],
            "detail": failures,
        }
        return JsonResponse(body, status=503)
    try:
        outbox = readiness.outbox_state()
    except Exception as error:  # the checks above passed: a failure here is no reason
        outbox = {"status": "unknown", "detail": str(error)}
    return JsonResponse({"status": "ok", "outbox": outbox})


def _client_address(request) -> str:
    # REMOTE_ADDR only: X-Forwarded-For is whatever the client says it is.
    return request.META.get("REMOTE_ADDR", "")


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return True
    return _client_address(request) in settings.METRICS_ALLOWED_IPS


@never_cache
@require_GET
def metrics(request):
    if not metrics_allowed(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        body = generate_latest(processes)
    else:
        body = generate_latest(REGISTRY)
    product = CollectorRegistry(auto_describe=False)
    product.register(ProductCollector())
    body += generate_latest(product)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)

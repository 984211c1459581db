"""Requests by view, method and status, with their latency, for /metrics."""

import time

from ops.metrics import HTTP_LATENCY, HTTP_REQUESTS


def _view_label(request) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unnamed"


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetricsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        view = _view_label(request)
        # Labels come from a closed set: a client inventing methods or paths must not
        # grow the metrics without bound.
        method = request.method if request.method in _METHODS else "other"
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        HTTP_LATENCY.labels(view, method).observe(time.perf_counter() - started)
        return response

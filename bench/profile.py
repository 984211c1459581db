"""Where a request's time goes, measured in-process: CPU per request, SQL per request.

Wall-clock figures on a shared 2-core machine move with the neighbours' load; CPU time
and query counts of one process do not, so this is what to watch while optimising. The
database's CPU for the same requests is read from its backend's /proc/<pid>/schedstat
(PostgreSQL on this machine):

    python -m bench.run --scale 0.01 --keep-db        # leaves rescind_bench in place
    DATABASE_URL=postgres://.../rescind_bench REDIS_URL=redis://127.0.0.1:6379/14 \
        python -m bench.profile [--only submit] [--cprofile] [--queries]

Each request goes through Django's full stack (middleware, DRF, the view, the
database) via the test client, with the bench settings. Submissions use orders that
have no request yet, so they write for real: run it on a bench database only.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from collections import Counter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-profile")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("API_RATE_LIMIT", "10000000/min")
os.environ.setdefault("LOG_LEVEL", "ERROR")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from cancellations.models import CancellationRequest  # noqa: E402
from orders.models import Order  # noqa: E402
from retailers.models import Retailer  # noqa: E402
from retailers.services import api_key_create  # noqa: E402


def _backend_cpu_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend (same machine), from the kernel's
    scheduler statistics: what the database spent on our statements, commits included."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    with open(f"/proc/{pid}/schedstat") as stats:
        return int(stats.read().split()[0]) / 1e9


def measure(name, requests, *, n, cprofile=False, queries=False, sort="cumulative", restrict=""):
    """Run the first request once (warm), then n more; print CPU ms and SQL per request."""
    first = requests[0]()
    status = first.status_code
    captured = []

    def record(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append((time.perf_counter() - started, sql))

    with connection.execute_wrapper(record):
        requests[1]()
    profiler = cProfile.Profile(time.process_time) if cprofile else None
    db_cpu = _backend_cpu_seconds()
    cpu, wall = time.process_time(), time.perf_counter()
    statuses = Counter()
    if profiler:
        profiler.enable()
    for make in requests[2 : 2 + n]:
        statuses[make().status_code] += 1
    if profiler:
        profiler.disable()
    done = len(requests[2 : 2 + n]) or 1
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    db_cpu = _backend_cpu_seconds() - db_cpu
    print(
        f"{name:<22} {cpu / done * 1000:7.2f} ms CPU {db_cpu / done * 1000:6.2f} ms db CPU "
        f"{wall / done * 1000:7.2f} ms wall "
        f"{len(captured):3d} queries  statuses {dict(statuses) or status}"
    )
    if queries:
        for seconds, sql in captured:
            print(f"    {seconds * 1000:6.2f} ms  {sql[:220]}")
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats(sort)
        if restrict:
            stats.print_stats(restrict, 40)
        else:
            stats.print_stats(60)
        print(out.getvalue())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="read,submit,partial,queue,case")
    parser.add_argument("-n", type=int, default=100)
    parser.add_argument("--cprofile", action="store_true")
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime")
    parser.add_argument("--restrict", default="", help="Only functions matching this regex.")
    args = parser.parse_args()
    only = set(args.only.split(","))
    retailer = Retailer.objects.order_by("pk").first()
    _row, key = api_key_create(retailer=retailer, name="bench profile")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
    n = args.n
    kw = {
        "cprofile": args.cprofile,
        "queries": args.queries,
        "sort": args.sort,
        "restrict": args.restrict,
    }

    if "read" in only:
        ids = list(Order.objects.filter(retailer=retailer).values_list("pk", flat=True)[: n + 2])
        measure(
            "read baseline",
            [lambda pk=pk: api.get(f"/bench/orders/{pk}") for pk in ids],
            n=n,
            **kw,
        )
    fresh = (
        Order.objects.filter(retailer=retailer, cancellations__isnull=True)
        .exclude(pk__gte=Order.objects.order_by("-pk").values_list("pk", flat=True)[0] * 0.95)
        .order_by("?")
        .prefetch_related("lines")
    )
    for kind, filters in (
        ("submit", {}),
        ("partial", {"fulfillment_status": "unfulfilled"}),
    ):
        if kind not in only:
            continue
        orders = list(fresh.filter(**filters)[: n + 2])

        def submit(order, partial=kind == "partial"):
            body = {"order": order.external_id, "reason": "changed_mind"}
            if partial:
                body["lines"] = [{"line": order.lines.all()[0].external_id, "quantity": 1}]
            return api.post(
                "/api/v1/cancellations",
                body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY=f"profile-{order.pk}",
            )

        measure(
            f"{kind} (unfulfilled)" if kind == "partial" else kind,
            [lambda o=o: submit(o) for o in orders],
            n=n,
            **kw,
        )
    agent = Client(HTTP_HOST="127.0.0.1")
    from django.contrib.auth import get_user_model

    agent.force_login(get_user_model().objects.get(username="bench-agent"))
    if "queue" in only:
        measure("queue page", [lambda: agent.get("/queue/")] * (min(n, 30) + 2), n=min(n, 30), **kw)
    if "case" in only:
        cases = list(
            CancellationRequest.objects.filter(status="in_review")
            .order_by("?")
            .values_list("pk", flat=True)[: n + 2]
        )
        measure(
            "case page",
            [lambda pk=pk: agent.get(f"/queue/cases/{pk}/") for pk in cases],
            n=n,
            **kw,
        )


if __name__ == "__main__":
    sys.exit(main())

"""What /metrics exposes (Prometheus text).

Process-level counters (requests, tasks, cache fallbacks) are prometheus-client
metrics in the default registry; with PROMETHEUS_MULTIPROC_DIR set (gunicorn with
several workers, see docs/operations.md) they are summed over the processes.

The product's own figures are read from the database at scrape time by
`ProductCollector`, in a handful of aggregate queries, so every web process answers
the same numbers and nothing has to be kept in step.
"""

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

from cancellations.models import CancellationRequest, Status
from cancellations.selectors import due_at
from notifications.models import Notification, WebhookDelivery
from refunds.models import Refund

HTTP_REQUESTS = Counter(
    "rescind_http_requests_total", "HTTP requests answered.", ["view", "method", "status"]
)
HTTP_LATENCY = Histogram(
    "rescind_http_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TASK_OUTCOMES = Counter(
    "rescind_task_outcomes_total",
    "Celery tasks finished, by task and outcome (succeeded, failed, retried, rejected).",
    ["task", "outcome"],
)

# A case waits for a person (cancellations.selectors.needs_person, as a condition).
QUEUE = Q(status__in=[Status.IN_REVIEW, Status.ESCALATED, Status.AWAITING_CUSTOMER]) | Q(
    status=Status.APPROVED, needs_attention=True
)


def task_signals_connect() -> None:
    from celery import signals

    def outcome(name):
        def record(sender=None, **kwargs):
            task = getattr(sender, "name", None) or str(sender)
            TASK_OUTCOMES.labels(task, name).inc()

        return record

    # Kept referenced: Celery's signals hold receivers weakly.
    task_signals_connect.receivers = [outcome(n) for n in ("succeeded", "failed", "retried")]
    succeeded, failed, retried = task_signals_connect.receivers
    signals.task_success.connect(succeeded)
    signals.task_failure.connect(failed)
    signals.task_retry.connect(retried)

    def rejected(sender=None, request=None, **kwargs):
        TASK_OUTCOMES.labels(getattr(request, "name", None) or "unknown", "rejected").inc()

    task_signals_connect.receivers.append(rejected)
    signals.task_rejected.connect(rejected)


def outbox_backlog(now=None) -> dict[str, dict]:
    """Per kind (message, webhook, refund): rows pending, the age of the oldest one, and
    how long the most overdue one has been due (retries wait their turn; a due row
    that stays due means no worker is taking the work)."""
    now = now or timezone.now()
    sources = {
        "message": (Notification, Notification.Status.PENDING, "next_attempt_at"),
        "webhook": (WebhookDelivery, WebhookDelivery.Status.PENDING, "next_attempt_at"),
        "refund": (Refund, Refund.Status.PENDING, Coalesce("next_attempt_at", "created_at")),
    }
    backlog = {}
    for kind, (model, pending, due) in sources.items():
        row = model.objects.filter(status=pending).aggregate(
            pending=Count("pk"), oldest=Min("created_at"), first_due=Min(due)
        )
        overdue = (now - row["first_due"]).total_seconds() if row["first_due"] else 0.0
        backlog[kind] = {
            "pending": row["pending"],
            "oldest_age_seconds": (now - row["oldest"]).total_seconds() if row["oldest"] else 0.0,
            "overdue_seconds": max(0.0, overdue),
        }
    return backlog


class ProductCollector:
    """The product's figures, read when Prometheus scrapes."""

    def collect(self):
        now = timezone.now()
        requests = GaugeMetricFamily(
            "rescind_cancellation_requests",
            "Cancellation requests by retailer, status (outcome) and deciding rule.",
            labels=["retailer", "status", "rule"],
        )
        for row in CancellationRequest.objects.values(
            "retailer__slug", "status", "decision_rule"
        ).annotate(n=Count("pk")):
            requests.add_metric(
                [row["retailer__slug"], row["status"], row["decision_rule"] or "none"], row["n"]
            )
        yield requests

        refunds = GaugeMetricFamily(
            "rescind_refunds", "Refunds by retailer and status.", labels=["retailer", "status"]
        )
        refund_amounts = GaugeMetricFamily(
            "rescind_refunds_amount",
            "Refunded amounts by retailer, currency and status.",
            labels=["retailer", "currency", "status"],
        )
        counts: dict[tuple, int] = {}
        for row in Refund.objects.values("retailer__slug", "currency", "status").annotate(
            n=Count("pk"), amount=Sum("amount")
        ):
            key = (row["retailer__slug"], row["status"])
            counts[key] = counts.get(key, 0) + row["n"]
            refund_amounts.add_metric(
                [row["retailer__slug"], row["currency"], row["status"]], float(row["amount"])
            )
        for (retailer, status), n in counts.items():
            refunds.add_metric([retailer, status], n)
        yield refunds
        yield refund_amounts

        pending = GaugeMetricFamily(
            "rescind_outbox_pending",
            "Outbox rows (messages, webhooks, refunds) not yet done.",
            labels=["kind"],
        )
        oldest = GaugeMetricFamily(
            "rescind_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox row.",
            labels=["kind"],
        )
        overdue = GaugeMetricFamily(
            "rescind_outbox_overdue_seconds",
            "How long the most overdue pending row has been due (0: none is due). "
            "Growing: no worker is taking the work.",
            labels=["kind"],
        )
        for kind, row in outbox_backlog(now).items():
            pending.add_metric([kind], row["pending"])
            oldest.add_metric([kind], row["oldest_age_seconds"])
            overdue.add_metric([kind], row["overdue_seconds"])
        yield pending
        yield oldest
        yield overdue

        queue = GaugeMetricFamily(
            "rescind_queue_size", "Cases waiting for a person, per retailer.", labels=["retailer"]
        )
        breaches = GaugeMetricFamily(
            "rescind_queue_sla_breaches",
            "Cases waiting for a person past their due time, per retailer.",
            labels=["retailer"],
        )
        for row in (
            CancellationRequest.objects.filter(QUEUE)
            .annotate(due=due_at())
            .values("retailer__slug")
            .annotate(size=Count("pk"), breached=Count("pk", filter=Q(due__lt=now)))
        ):
            queue.add_metric([row["retailer__slug"]], row["size"])
            breaches.add_metric([row["retailer__slug"]], row["breached"])
        yield queue
        yield breaches

"""Workers' entry points: thin, take ids, safe to run twice.

Retries are not Celery countdowns: a failed attempt stores `next_attempt_at` and the
sweeps (every minute, see CELERY_BEAT_SCHEDULE) pick rows when they are due. Long
countdowns are fragile on a Redis broker (its visibility timeout redelivers them) and
are lost with the broker; a due date in the database survives both.
"""

import logging

from celery import shared_task
from django.db.models import Q
from django.utils import timezone

from kernel.journal import inline_now
from notifications.models import Notification, WebhookDelivery
from notifications.outbox import OUTBOX, outbox_work_run
from notifications.sending import claim_lease, outbox_send

log = logging.getLogger(__name__)

SWEEP_BATCH = 500
# Rows per task when the sweeps re-enqueue: small enough that a backlog still spreads
# over every worker process, large enough that Celery's per-task cost is shared.
SWEEP_CHUNK = 20


@shared_task(acks_late=True, ignore_result=True)
def send_outbox(notification_ids: list[int], delivery_ids: list[int], work=None) -> dict:
    """Send the rows one transaction wrote (or a sweep found due), one after the other,
    then run the other work that followed the commit (`work`: {name: ids}, e.g. the
    approval's refunds; see `notifications.outbox.outbox_work_on_commit`).

    Each row is claimed, sent and recorded on its own, exactly as the single-row tasks
    do, so a batch cut short loses nothing (the rest stay pending for the sweep) and a
    batch delivered twice sends nothing twice. Ids whose rows are gone are skipped.
    """
    outcomes = outbox_send(notification_ids=notification_ids, delivery_ids=delivery_ids)
    outbox_work_run(work)
    return outcomes


def outbox_dispatch(work: dict) -> None:
    """What one commit handed over ({name: ids}, see notifications.outbox): its rows and
    the other work that follows it, sent by one `send_outbox` task; or, in a worker that
    is already running (`kernel.journal.inline`), sent here and now.

    A broker outage must not fail the web request that already committed: the rows are
    pending in the database and the sweeps send them when the broker is back."""
    notification_ids = list(work.get("notification_ids", ()))
    delivery_ids = list(work.get("delivery_ids", ()))
    rest = {name: list(ids) for name, ids in work.items() if name not in OUTBOX and ids}
    if not (notification_ids or delivery_ids or rest):
        return
    if inline_now():
        try:
            outbox_send(notification_ids=notification_ids, delivery_ids=delivery_ids)
        except Exception:
            log.exception("sending %s, %s failed; the sweep will", notification_ids, delivery_ids)
        outbox_work_run(rest)
        return
    try:
        if rest:
            send_outbox.delay(notification_ids, delivery_ids, rest)
        else:
            send_outbox.delay(notification_ids, delivery_ids)
    except Exception:
        log.warning(
            "enqueue send_outbox(%s, %s, %s) failed; the sweep will send them again",
            notification_ids,
            delivery_ids,
            rest,
            exc_info=True,
        )


def _due(model):
    now = timezone.now()
    return (
        model.objects.filter(status=model.Status.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_lease()))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )


@shared_task(ignore_result=True)
def sweep_pending_messages() -> int:
    """Re-enqueue messages that are due: retries, and any whose enqueue was lost."""
    ids = list(_due(Notification))
    for start in range(0, len(ids), SWEEP_CHUNK):
        send_outbox.delay(ids[start : start + SWEEP_CHUNK], [])
    if ids:
        log.info("sweep: %d message(s) enqueued", len(ids))
    return len(ids)


@shared_task(ignore_result=True)
def sweep_pending_webhooks() -> int:
    """Re-enqueue webhook deliveries that are due (retries with backoff, lost enqueues)."""
    ids = list(_due(WebhookDelivery))
    for start in range(0, len(ids), SWEEP_CHUNK):
        send_outbox.delay([], ids[start : start + SWEEP_CHUNK])
    if ids:
        log.info("sweep: %d webhook deliveries enqueued", len(ids))
    return len(ids)

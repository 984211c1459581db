"""Handing outbox rows to workers once the transaction that wrote them has committed."""

import logging
from functools import partial

from django.db import transaction

log = logging.getLogger(__name__)


def outbox_publish_on_commit(*, notification_ids=(), delivery_ids=()) -> None:
    """Hand rows to workers once the transaction that wrote them has committed."""
    if notification_ids or delivery_ids:
        transaction.on_commit(
            partial(_publish, list(notification_ids), list(delivery_ids)), robust=True
        )


def _publish(notification_ids, delivery_ids) -> None:
    # A broker outage must not fail the web request that already committed: the rows
    # are pending in the database and the sweeps send them when the broker is back.
    from notifications import tasks

    for task, ids in (
        (tasks.send_notification, notification_ids),
        (tasks.deliver_webhook, delivery_ids),
    ):
        for pk in ids:
            try:
                task.delay(pk)
            except Exception:
                log.warning("enqueue %s(%s) failed; the sweep will", task.name, pk, exc_info=True)

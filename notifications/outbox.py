"""Handing outbox rows to workers once the transaction that wrote them has committed.

One task per commit, not one per row: every id written in one transaction is collected
in one batch, and the batch publishes one task carrying them all. An approving
submission writes a customer message and three webhook deliveries; that was four task
messages (four publishes on the web side, four task deliveries in a worker), it is one.

Each write adds its ids to the batch and registers a callback of the batch with
`transaction.on_commit` (a list append); after the commit the first of those callbacks
publishes everything and the rest find the batch done. So Django's own savepoint bookkeeping
decides: a savepoint rolled back drops the callbacks registered inside it, and a batch
left with none is never published (the next write starts a new one). Ids written
inside a rolled-back savepoint while an outer callback survives are published with the
rest: their rows no longer exist, and the task finds nothing to send for them (see
`notifications.sending.outbox_send`).
"""

import contextvars
import logging
from contextlib import contextmanager

from django.db import transaction

log = logging.getLogger(__name__)


class CommitBatch:
    """Ids collected during one transaction, published once after it commits."""

    def __init__(self, publish):
        self._publish = publish
        self.ids: dict[str, list[int]] = {}
        self.done = False

    def add(self, ids: dict) -> None:
        for name, values in ids.items():
            bucket = self.ids.setdefault(name, [])
            bucket.extend(pk for pk in values if pk not in bucket)

    def run(self, callback, own_ids: dict) -> None:
        if self.done:
            return  # an earlier callback of this commit published everything
        connection = transaction.get_connection()
        if _registered(connection, callback):
            # Still in the list: not a commit (Django takes the list before running
            # it) but a test harness running some callbacks of an open transaction.
            # Publish just what this write wrote, as if its own transaction committed.
            self._publish(**own_ids)
            return
        self.done = True
        self._publish(**self.ids)


def commit_batch(kind: str, publish, **ids) -> None:
    """Add `ids` (name=list of ids) to this transaction's `kind` batch, published by
    `publish(**ids)` once the transaction commits (at once outside a transaction)."""
    connection = transaction.get_connection()
    batches = connection.__dict__.setdefault("_rescind_commit_batches", {})
    batch = batches.get(kind)
    if batch is None or batch.done or not _waiting(connection, batch):
        batch = batches[kind] = CommitBatch(publish)
    own_ids = {name: list(values) for name, values in ids.items()}
    batch.add(own_ids)

    def publish_batch():
        batch.run(publish_batch, own_ids)

    publish_batch.batch = batch
    transaction.on_commit(publish_batch, robust=True)


def _registered(connection, callback) -> bool:
    return any(func is callback for _sids, func, _robust in connection.run_on_commit)


def _waiting(connection, batch) -> bool:
    """Whether a callback of `batch` still waits for this transaction's commit."""
    return connection.in_atomic_block and any(
        getattr(func, "batch", None) is batch for _sids, func, _robust in connection.run_on_commit
    )


def outbox_publish_on_commit(*, notification_ids=(), delivery_ids=()) -> None:
    """Hand rows to workers once the transaction that wrote them has committed."""
    if notification_ids or delivery_ids:
        commit_batch(
            "outbox",
            _publish,
            notification_ids=list(notification_ids),
            delivery_ids=list(delivery_ids),
        )


# Other apps' work that follows a commit, run by the same task as its outbox rows:
# name -> runner(ids). An approval's refunds go out in the task that sends its e-mail
# and webhooks (after them, so the customer hears "approved" before "refunded").
_work_runners: dict = {}


def outbox_work_register(name: str, runner) -> None:
    """Let `outbox_work_on_commit(name, ids)` run `runner(ids)` in a worker."""
    _work_runners[name] = runner


def outbox_work_on_commit(name: str, ids) -> None:
    """Run the registered `name` work on `ids` once this transaction commits, in the
    one task that also carries the transaction's outbox rows."""
    commit_batch("outbox", _publish, **{name: list(ids)})


def outbox_work_run(work: dict) -> None:
    """Run after-commit work in a worker; one kind failing does not stop the others."""
    for name, ids in (work or {}).items():
        runner = _work_runners.get(name)
        if runner is None:
            log.error("no runner for after-commit work %s (%s); the sweeps will", name, ids)
            continue
        try:
            runner(ids)
        except Exception:
            log.exception("after-commit work %s (%s) failed; the sweeps will", name, ids)


_send_inline = contextvars.ContextVar("outbox_send_inline", default=False)


@contextmanager
def outbox_sent_inline():
    """Inside this block, rows are sent by this process right after their transaction
    commits, instead of by a new task.

    For worker tasks whose change ends in messages (a refund that succeeded tells the
    customer and the webhooks): the rows go out just as a `send_outbox` task would send
    them, without a publish and a task delivery per change. Nothing is lost if the
    worker dies meanwhile: the rows are pending, and the sweeps send them.
    """
    token = _send_inline.set(True)
    try:
        yield
    finally:
        _send_inline.reset(token)


def _publish(notification_ids=(), delivery_ids=(), **work) -> None:
    # A broker outage must not fail the web request that already committed: the rows
    # are pending in the database and the sweeps send them when the broker is back.
    from notifications import tasks

    notification_ids, delivery_ids = list(notification_ids), list(delivery_ids)
    work = {name: list(ids) for name, ids in work.items() if ids}
    if not (notification_ids or delivery_ids or work):
        return
    if _send_inline.get():
        from notifications.sending import outbox_send

        try:
            outbox_send(notification_ids=notification_ids, delivery_ids=delivery_ids)
        except Exception:
            log.exception("sending %s, %s failed; the sweep will", notification_ids, delivery_ids)
        outbox_work_run(work)
        return
    try:
        if work:
            tasks.send_outbox.delay(notification_ids, delivery_ids, work)
        else:
            tasks.send_outbox.delay(notification_ids, delivery_ids)
    except Exception:
        log.warning(
            "enqueue send_outbox(%s, %s, %s) failed; the sweep will send them again",
            notification_ids,
            delivery_ids,
            work,
            exc_info=True,
        )

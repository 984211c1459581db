"""Handing outbox rows to workers once the transaction that wrote them has committed.

One hand-over per commit, not one per row: every id a transaction writes is collected
(`kernel.journal.after_commit`) and handed over once it commits, to the dispatcher in
`notifications.tasks`, which publishes one task carrying them all (or, in a worker
that is already running, sends them itself). An approving submission writes a customer
message and three webhook deliveries: that is one task, not four.

Other apps' work that follows a commit rides in the same hand-over (`outbox_work_*`):
an approval's refunds go out in the task that sends its e-mail and webhooks, after
them, so the customer hears "approved" before "refunded".
"""

import logging

from kernel.journal import after_commit

log = logging.getLogger(__name__)

# The outbox's own names in a hand-over; any other name is registered work.
OUTBOX = ("notification_ids", "delivery_ids")


def outbox_publish_on_commit(*, notification_ids=(), delivery_ids=()) -> None:
    """Hand rows to workers once the transaction that wrote them has committed."""
    if notification_ids or delivery_ids:
        after_commit(notification_ids=list(notification_ids), delivery_ids=list(delivery_ids))


# name -> runner(ids), for work other apps hand over with their commits.
_work_runners: dict = {}


def outbox_work_register(name: str, runner) -> None:
    """Let `outbox_work_on_commit(name, ids)` run `runner(ids)` in a worker."""
    if name in OUTBOX:
        raise ValueError(f"{name!r} is the outbox's own")
    _work_runners[name] = runner


def outbox_work_on_commit(name: str, ids) -> None:
    """Run the registered `name` work on `ids` once this transaction commits, in the
    one task that also carries the transaction's outbox rows."""
    after_commit(**{name: list(ids)})


def outbox_work_run(work: dict) -> None:
    """Run after-commit work in a worker; one kind failing does not stop the others."""
    for name, ids in (work or {}).items():
        if name in OUTBOX:
            continue
        runner = _work_runners.get(name)
        if runner is None:
            log.error("no runner for after-commit work %s (%s); the sweeps will", name, ids)
            continue
        try:
            runner(ids)
        except Exception:
            log.exception("after-commit work %s (%s) failed; the sweeps will", name, ids)

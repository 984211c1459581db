"""Celery tasks for refunds, and handing refunds to workers (enqueueing, the sweep).

Tasks take ids and call the services; the services never import this module. Refunds a
transaction creates reach a worker through the after-commit work registered below (the
task that sends the transaction's messages runs them), or through `refunds_enqueue`.
"""

import logging

from celery import shared_task

from kernel.journal import inline
from refunds import services

logger = logging.getLogger(__name__)

# Celery must not give up before the service does (it fails the refund for good after
# REFUND_MAX_ATTEMPTS); the extra room covers deliveries that found the refund not due.
MAX_RETRIES = 20


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def refund_execute(self, refund_id: int) -> None:
    """Make one gateway attempt for the refund; after a transient failure, run again
    when the service says the next attempt is due. Safe to deliver twice."""
    # The messages and webhooks of the outcome go out from here, after it commits.
    with inline():
        retry_in = services.refund_execute(refund_id=refund_id)
    if retry_in is None:
        return
    try:
        raise self.retry(countdown=retry_in)
    except self.MaxRetriesExceededError:
        # Nothing is lost: the refund is still pending and the sweep will send it.
        logger.warning("refund %s: out of task retries; left to the sweep", refund_id)


@shared_task(acks_late=True, ignore_result=True)
def refunds_execute(refund_ids: list[int]) -> None:
    """Execute several refunds written by one transaction, one after the other.

    Each is claimed, sent and recorded on its own (see `services.refund_execute`), so
    a batch cut short leaves the rest pending for the sweep and a batch delivered twice
    moves no money twice. One that fails transiently is handed to its own
    `refund_execute` task, due when its next attempt is.
    """
    refunds_execute_now(refund_ids)


def refunds_execute_now(refund_ids) -> None:
    """The body of `refunds_execute`, for a task that already runs (after a commit)."""
    for refund_id in refund_ids:
        try:
            with inline():
                retry_in = services.refund_execute(refund_id=refund_id)
        except Exception:
            logger.exception("refund %s: attempt failed; left to the sweep", refund_id)
            continue
        if retry_in is not None:
            try:
                refund_execute.apply_async((refund_id,), countdown=retry_in)
            except Exception:
                logger.warning("refund %s: retry not enqueued; left to the sweep", refund_id)


def refund_enqueue(refund_id: int) -> bool:
    """Hand a refund to a worker; never raises.

    A broker outage must not fail the change that created the refund (it is already
    committed): the row stays pending and the sweep sends it again later.
    """
    try:
        refund_execute.delay(refund_id)
    except Exception:
        logger.warning(
            "could not hand refund %s to a worker; the sweep will send it again",
            refund_id,
            exc_info=True,
        )
        return False
    return True


def refunds_sweep(*, now=None) -> int:
    """Hand pending refunds that should have run by now, and were not sent lately, to
    workers again (see `services.refunds_due_again`). Returns how many."""
    ids = services.refunds_due_again(now=now)
    for refund_id in ids:
        refund_enqueue(refund_id)
    if ids:
        logger.info("refund sweep re-sent %s pending refund(s)", len(ids))
    return len(ids)


@shared_task(ignore_result=True)
def sweep_pending_refunds() -> int:
    """Re-send pending refunds that should have run and were not sent lately (beat)."""
    return refunds_sweep()


# --- store credit: issued like refunds are executed -------------------------------------


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES, ignore_result=True)
def store_credit_issue(self, store_credit_id: int) -> None:
    """Make one issuer attempt for the store credit; retry when the service says so."""
    from refunds.store_credit.services import store_credit_execute

    with inline():
        retry_in = store_credit_execute(store_credit_id=store_credit_id)
    if retry_in is None:
        return
    try:
        raise self.retry(countdown=retry_in)
    except self.MaxRetriesExceededError:
        logger.warning("store credit %s: out of task retries; left to the sweep", store_credit_id)


def store_credits_issue_now(store_credit_ids) -> None:
    """Issue the credits one transaction created, from the task that sent its messages."""
    from refunds.store_credit.services import store_credit_execute

    for credit_id in store_credit_ids:
        try:
            with inline():
                retry_in = store_credit_execute(store_credit_id=credit_id)
        except Exception:
            logger.exception("store credit %s: attempt failed; left to the sweep", credit_id)
            continue
        if retry_in is not None:
            try:
                store_credit_issue.apply_async((credit_id,), countdown=retry_in)
            except Exception:
                logger.warning("store credit %s: retry not enqueued; left to the sweep", credit_id)


def store_credits_sweep(*, now=None) -> int:
    """Hand pending store credits that should have been issued by now to workers again."""
    from refunds.store_credit.services import store_credits_due_again

    ids = store_credits_due_again(now=now)
    for credit_id in ids:
        try:
            store_credit_issue.delay(credit_id)
        except Exception:
            logger.warning("could not hand store credit %s to a worker", credit_id, exc_info=True)
    return len(ids)


@shared_task(ignore_result=True)
def sweep_pending_store_credits() -> int:
    """Re-send pending store credits that should have been issued (beat)."""
    return store_credits_sweep()

"""Scheduled work for cancellation requests (beat schedule in config/settings/base.py)."""

from celery import shared_task

from cancellations.services import cancellation_expire_confirmations


@shared_task
def expire_awaiting_confirmations() -> int:
    """Withdraw requests whose customer did not confirm in time; safe to run twice."""
    return cancellation_expire_confirmations()


@shared_task
def warehouse_no_answer() -> int:
    """Requests the warehouse did not answer in time go to an agent; safe to run twice."""
    from cancellations.warehouse import cancellations_warehouse_overdue

    return cancellations_warehouse_overdue()

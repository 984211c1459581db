"""Scheduled work for orders: telling warehouses what they were not told yet."""

from celery import shared_task

from orders.fulfillment.services import fulfillment_requests_due, fulfillment_requests_send


@shared_task(ignore_result=True)
def sweep_fulfillment_requests() -> int:
    """Send stop/go-on requests that are due (retries, and any whose hand-over was lost)."""
    ids = fulfillment_requests_due()
    fulfillment_requests_send(ids)
    return len(ids)

"""Workers' entry points for connectors: thin, take ids, safe to run twice."""

from celery import shared_task

from connectors.services import deliveries_due, deliveries_process


@shared_task(acks_late=True, ignore_result=True)
def process_shopify_deliveries(delivery_ids: list[int]) -> None:
    deliveries_process(delivery_ids)


@shared_task(ignore_result=True)
def sweep_shopify_deliveries() -> int:
    """Apply deliveries that are due: retries, and any whose hand-over was lost."""
    ids = deliveries_due()
    deliveries_process(ids)
    return len(ids)

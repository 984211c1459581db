"""Scheduled work for retailers' API state (beat schedule in config/settings/base.py)."""

from celery import shared_task

from retailers.idempotency import idempotency_keys_purge


@shared_task
def purge_idempotency_keys() -> int:
    """Forget Idempotency-Keys past their retention."""
    return idempotency_keys_purge()

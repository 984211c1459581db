"""Scheduled work for returns (beat schedule in config/settings/base.py)."""

from celery import shared_task

from returns.receiving import returns_expire


@shared_task
def expire_returns() -> int:
    """Expire returns with nothing received by their ship-by date; safe to run twice."""
    return returns_expire()

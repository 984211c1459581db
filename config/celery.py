"""The Celery app. Settings come from Django's, prefixed CELERY_."""

import logging
import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("rescind")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.after_setup_logger.connect
def _quiet_http_client(**kwargs):
    # `--loglevel INFO` would print a line per webhook POST from httpx: formatting and
    # writing it is CPU spent on every delivery, and every attempt is already recorded
    # (WebhookAttempt) with its status and latency.
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

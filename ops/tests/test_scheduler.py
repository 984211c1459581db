"""The embedded default runs CELERY_BEAT_SCHEDULE itself (SPEC §13)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cancellations.models import CancellationRequest, Status
from ops.scheduler import EmbeddedScheduler, scheduler_start_embedded
from tests.celery_worker import wait_until


@pytest.mark.django_db(transaction=True)
def test_a_request_past_its_confirmation_expiry_is_withdrawn_by_the_scheduler(
    make_order, submit, settings
):
    # Given a request awaiting the customer whose confirmation lapsed a minute ago
    make_order("ord-1")
    request_id = submit(channel="chat").json()["id"]
    CancellationRequest.objects.filter(pk=request_id).update(
        confirmation_expires_at=timezone.now() - timedelta(minutes=1)
    )

    # When the embedded scheduler runs the project's own schedule in its thread
    scheduler = EmbeddedScheduler(settings.CELERY_BEAT_SCHEDULE, tick=0.05).start()
    try:
        # Then the expiry task withdraws it, with the worker as actor
        wait_until(
            lambda: CancellationRequest.objects.get(pk=request_id).status == Status.WITHDRAWN,
            timeout=10,
            message="the scheduler did not withdraw the lapsed request",
        )
    finally:
        scheduler.stop()
    order = CancellationRequest.objects.get(pk=request_id).order
    assert order.events.filter(actor_label="confirmation expiry", to_state="withdrawn").exists()


def test_entries_run_when_due_and_not_before(settings):
    scheduler = EmbeddedScheduler(
        {
            "sweep": {
                "task": "notifications.tasks.sweep_pending_messages",
                "schedule": timedelta(minutes=1),
            }
        },
        run_at_start=False,
    )
    start = scheduler.last_run["sweep"]
    assert scheduler.run_due(now=start + timedelta(seconds=30)) == []


def test_not_started_in_tests_or_under_a_broker(settings):
    settings.EMBEDDED_SCHEDULER = False
    assert scheduler_start_embedded() is None

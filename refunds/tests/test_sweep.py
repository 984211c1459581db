"""The sweep re-sends pending refunds that a lost message or a dead worker left behind."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from refunds import services, tasks
from refunds.models import Refund
from refunds.services import refund_execute
from refunds.tasks import refunds_sweep, sweep_pending_refunds
from refunds.tests.conftest import payment

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    """The refund ids handed to workers (the broker is the external edge)."""
    ids = []
    monkeypatch.setattr(tasks, "refund_enqueue", lambda refund_id: ids.append(refund_id))
    return ids


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def test_a_refund_whose_message_was_lost_is_sent_again(approve, sent, settings):
    # given a pending refund, due three minutes ago, sent once and never executed
    settings.REFUND_SWEEP_AFTER_SECONDS = 120
    approve(payments=[payment("ch_ok", "25.00")])
    Refund.objects.update(next_attempt_at=ago(minutes=3), last_enqueued_at=ago(minutes=3))

    # when the sweep runs
    count = refunds_sweep()

    # then it is sent again, and marked so the next sweep waits before re-sending
    refund = Refund.objects.get()
    assert (count, sent) == (1, [refund.pk])
    assert refund.last_enqueued_at > ago(seconds=5)
    assert refunds_sweep() == 0


def test_the_sweep_leaves_fresh_backing_off_in_flight_and_settled_refunds(approve, sent, settings):
    settings.REFUND_SWEEP_AFTER_SECONDS = 120
    # just created (its on-commit message is on its way)
    approve(payments=[payment("ch_ok", "25.00")], external_id="fresh")
    # backing off for another ten minutes
    approve(payments=[payment("ch_ok", "25.00")], external_id="waiting")
    Refund.objects.filter(payment__order__external_id="waiting").update(
        next_attempt_at=timezone.now() + timedelta(minutes=10), last_enqueued_at=ago(hours=1)
    )
    # succeeded long ago
    approve(payments=[payment("ch_ok", "25.00")], external_id="done")
    done = Refund.objects.get(payment__order__external_id="done")
    refund_execute(refund_id=done.pk)
    Refund.objects.filter(pk=done.pk).update(last_enqueued_at=ago(hours=1))

    assert refunds_sweep() == 0
    assert sent == []


def test_a_worker_that_died_mid_attempt_is_covered_once_its_claim_runs_out(approve, sent, settings):
    # given an attempt claimed by a worker that then died
    settings.REFUND_SWEEP_AFTER_SECONDS = 120
    approve(payments=[payment("ch_ok", "25.00")])
    refund = Refund.objects.get()
    services._attempt_claim(refund.pk)
    Refund.objects.update(last_enqueued_at=ago(hours=1))

    # then the sweep waits while the claim holds, and re-sends after it ran out
    assert refunds_sweep() == 0
    Refund.objects.update(next_attempt_at=ago(minutes=3))
    assert refunds_sweep() == 1
    assert sent == [refund.pk]


def test_the_beat_task_runs_the_sweep_in_process(approve, settings, caplog):
    # given a stuck refund, with tasks in-process (no broker configured)
    settings.REFUND_SWEEP_AFTER_SECONDS = 0
    approve(payments=[payment("ch_ok", "25.00")])

    # when beat's task runs
    with caplog.at_level(logging.INFO, "refunds.tasks"):
        sweep_pending_refunds.delay()

    # then the refund went out
    assert Refund.objects.get().status == "succeeded"
    assert "re-sent 1 pending refund(s)" in caplog.text

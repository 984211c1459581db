"""One public shape per object: the declared schema fields name exactly the keys the
representation gives (API and webhooks alike)."""

import pytest

from cancellations.representation import CancellationOutput, cancellation_data
from refunds.representation import RefundOutput, refund_data
from refunds.store_credit.representation import StoreCreditOutput
from returns.models import Return
from returns.representation import ReturnOutput, return_data

pytestmark = pytest.mark.django_db


def test_declared_fields_match_the_representations(
    shipped_order, start_return, act, submit, django_capture_on_commit_callbacks
):
    shipped_order(lines=(("l1", "TEE", 2, "10.00"),))
    with django_capture_on_commit_callbacks(execute=True):
        cancellation_id = submit(lines=[{"line": "l1", "quantity": 1}]).json()["id"]
    returned = Return.objects.get()
    act(returned.pk, "receive", {"lines": [{"line": "l1", "quantity": 1}]})
    with django_capture_on_commit_callbacks(execute=True):
        act(returned.pk, "inspect", {"lines": [{"line": "l1", "resellable": 1}]})
    returned.refresh_from_db()

    assert set(ReturnOutput().fields) == set(return_data(returned))
    refund = returned.refunds.get()
    assert set(RefundOutput().fields) == set(refund_data(refund))
    assert refund_data(refund)["return"] == returned.pk
    cancellation = returned.cancellation
    assert cancellation.pk == cancellation_id
    assert set(CancellationOutput().fields) == set(cancellation_data(cancellation))
    assert set(StoreCreditOutput().fields) == {
        "id",
        "code",
        "amount",
        "currency",
        "customer",
        "source",
        "status",
        "created_at",
    }

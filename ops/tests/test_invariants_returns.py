"""check_invariants over returns and store credit: clean after the normal flows, and
each new rule catches the row that breaks it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from ops.invariants import inspected_returns_settled, invariants_check, store_credit_issues
from refunds.models import StoreCredit
from returns.models import Return

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(make_order):
    return make_order(
        lines=(("l1", "TEE", 2, "10.00"),),
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=1)).isoformat(),
    )


def _inspect(api, rid, **grades):
    api.post(
        f"/api/v1/returns/{rid}/receive", {"lines": [{"line": "l1", "quantity": 2}]}, format="json"
    )
    return api.post(
        f"/api/v1/returns/{rid}/inspect", {"lines": [{"line": "l1", **grades}]}, format="json"
    )


def test_all_hold_after_returns_refunded_and_credited(
    shipped, make_order, api, submit, django_capture_on_commit_callbacks
):
    make_order("ord-2", lines=(("l1", "TEE", 1, "10.00"),))
    with django_capture_on_commit_callbacks(execute=True):
        rid = api.post(
            "/api/v1/returns",
            {"order": "ord-1", "reason": "defective", "resolution": "store_credit"},
            format="json",
        ).json()["id"]
        _inspect(api, rid, resellable=1, damaged=1)
        submit(order="ord-2", refund_method="store_credit")

    assert Return.objects.get().status == "closed"
    assert invariants_check(grace=timedelta(0)) == []


def test_a_credit_failed_after_being_issued_and_a_stuck_return_are_caught(
    shipped, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        rid = api.post(
            "/api/v1/returns",
            {"order": "ord-1", "reason": "defective", "resolution": "store_credit"},
            format="json",
        ).json()["id"]
        _inspect(api, rid, resellable=2)
    assert store_credit_issues() == []

    # a credit recorded as failed although the issuer issued it
    StoreCredit.objects.update(status="failed")
    assert [v.check for v in store_credit_issues()] == ["store_credit_issues"]

    # an inspected return with nothing pending and nobody told to look at it
    Return.objects.update(status="inspected", needs_attention=False)
    StoreCredit.objects.update(status="issued")
    stuck = inspected_returns_settled(now=timezone.now() + timedelta(hours=1))
    assert [v.check for v in stuck] == ["inspected_not_settled"]

"""The services the desk will call (close with goodwill), supervisors' store-credit
retry, refunds listed by return, and the expiry's place on the beat schedule."""

from decimal import Decimal

import pytest
from django.conf import settings as django_settings

from kernel.actors import Actor
from kernel.errors import DomainError
from refunds.models import Refund, StoreCredit
from refunds.store_credit.services import store_credit_retry
from returns.models import Return
from returns.settlement import return_close

pytestmark = pytest.mark.django_db


def test_an_agent_closes_a_wrong_item_return_with_goodwill(
    shipped_order, start_return, act, api, django_capture_on_commit_callbacks
):
    shipped_order(lines=(("l1", "TEE", 1, "30.00"),))
    rid = start_return(reason="wrong_item_sent").json()["id"]
    act(rid, "receive", {"lines": [{"line": "l1", "quantity": 1}]})
    act(rid, "inspect", {"lines": [{"line": "l1", "wrong_item": 1}]})
    returned = Return.objects.get()
    assert (returned.status, returned.needs_attention) == ("inspected", True)

    with pytest.raises(DomainError) as refused:
        return_close(return_request=returned, actor=Actor.system("agent"), note="")
    assert refused.value.code == "invalid"
    with pytest.raises(DomainError) as too_much:
        return_close(
            return_request=returned, actor=Actor.system("agent"), note="x", goodwill=Decimal(99)
        )
    assert too_much.value.code == "invalid"

    with django_capture_on_commit_callbacks(execute=True):
        return_close(
            return_request=returned,
            actor=Actor.system("agent"),
            note="Customer kept the wrong item; goodwill for the trouble.",
            goodwill=Decimal("7.50"),
        )

    returned.refresh_from_db()
    assert (returned.status, returned.needs_attention) == ("closed", False)
    (refund,) = Refund.objects.all()
    assert (refund.amount, refund.status) == (Decimal("7.50"), "succeeded")
    listed = api.get(f"/api/v1/refunds?return={rid}").json()["results"]
    assert [(r["id"], r["return"], r["cancellation"]) for r in listed] == [(refund.pk, rid, None)]
    assert api.get("/api/v1/refunds?return=999999").json()["count"] == 0

    with pytest.raises(DomainError) as closed:
        return_close(return_request=returned, actor=Actor.system("agent"), note="again")
    assert (closed.value.code, closed.value.extra["current_status"]) == (
        "illegal_transition",
        "closed",
    )


def test_a_supervisor_retries_a_failed_store_credit_and_the_return_closes(
    make_order, supervisor, agent, start_return, act, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    make_order(
        lines=(("l1", "TEE", 1, "30.00"),),
        customer="sandbox_decline_7",
        fulfillment_status="shipped",
        shipped_at=(timezone.now() - timedelta(days=1)).isoformat(),
    )
    rid = start_return(reason="defective", resolution="store_credit").json()["id"]
    act(rid, "receive", {"lines": [{"line": "l1", "quantity": 1}]})
    with django_capture_on_commit_callbacks(execute=True):
        act(rid, "inspect", {"lines": [{"line": "l1", "resellable": 1}]})
    credit = StoreCredit.objects.get()
    returned = Return.objects.get()
    assert credit.status == "failed"
    assert (returned.status, returned.needs_attention) == ("inspected", True)

    with pytest.raises(DomainError) as denied:
        store_credit_retry(store_credit=credit, actor=Actor.for_user(agent.user))
    assert denied.value.code == "permission_denied"

    # the customer's account is sorted out at the issuer; a supervisor retries
    credit.customer.external_id = "cust-fixed"
    credit.customer.save()
    with django_capture_on_commit_callbacks(execute=True):
        store_credit_retry(store_credit=credit, actor=Actor.for_user(supervisor.user))
    credit.refresh_from_db()
    assert credit.status == "issued"
    assert credit.code.startswith("SC-")
    # the agent settles the flag the failure raised, and the return closes
    return_close(return_request=returned, actor=Actor.for_user(agent.user), note="Credit reissued.")
    assert Return.objects.get().status == "closed"


def test_the_expiry_runs_on_the_beat_schedule():
    entry = django_settings.CELERY_BEAT_SCHEDULE["returns-expire"]
    assert entry["task"] == "returns.tasks.expire_returns"
    from returns.tasks import expire_returns

    assert expire_returns.name == "returns.tasks.expire_returns"

"""Supervisors run the operation from admin: requests, bulk actions, macros."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from cancellations.models import CancellationRequest, Status
from desk.models import Macro
from desk.tests.backoffice_fixtures import (  # noqa: F401
    agent_client,
    many_cases,
    open_case,
    other_agent_client,
    supervisor_client,
)
from orders.models import OrderEvent
from retailers.services import policy_update

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/cancellations/cancellationrequest/"


def test_supervisors_can_use_every_admin_screen_they_need(supervisor_client):
    pages = [
        "/admin/",
        CHANGELIST,
        "/admin/desk/macro/",
        "/admin/desk/macro/add/",
        "/admin/retailers/retailer/",
        "/admin/retailers/policy/",
        "/admin/retailers/staffmember/",
        "/admin/refunds/refund/",
    ]

    statuses = {page: supervisor_client.get(page).status_code for page in pages}

    assert statuses == dict.fromkeys(pages, 200)


def test_the_request_list_filters_and_searches_in_a_fixed_number_of_queries(
    many_cases, open_case, supervisor_client, django_assert_max_num_queries
):
    many_cases(40)
    case = open_case("ord-77")
    supervisor_client.get(CHANGELIST)

    # session, user, permissions, counts, rows, and one per list filter: none per row
    with django_assert_max_num_queries(13):
        listing = supervisor_client.get(CHANGELIST)
    found = supervisor_client.get(CHANGELIST, {"q": "ord-77"})
    in_review = supervisor_client.get(CHANGELIST, {"status__exact": "in_review", "q": "ord-77"})
    rejected = supervisor_client.get(CHANGELIST, {"status__exact": "rejected"})

    assert listing.context["cl"].result_count == 41
    assert [c.pk for c in found.context["cl"].result_list] == [case.pk]
    assert [c.pk for c in in_review.context["cl"].result_list] == [case.pk]
    assert rejected.context["cl"].result_count == 0


def test_a_request_cannot_be_edited_added_or_deleted_by_hand(open_case, supervisor_client):
    case = open_case()

    page = supervisor_client.get(f"{CHANGELIST}{case.pk}/change/")
    supervisor_client.post(f"{CHANGELIST}{case.pk}/change/", {"status": "approved"})

    assert page.status_code == 200
    assert "Open request #" in page.content.decode()
    assert "TEE" in page.content.decode()  # the lines inline
    assert supervisor_client.get(f"{CHANGELIST}add/").status_code == 403
    assert supervisor_client.get(f"{CHANGELIST}{case.pk}/delete/").status_code == 403
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_bulk_approve_approves_within_the_limit_and_skips_the_rest(
    open_case, supervisor_client, retailer
):
    policy_update(retailer=retailer, values={"agent_approval_limit": "100.00"}, created_by="t")
    small = open_case("ord-1")  # 35.00
    big = open_case("ord-2", status=Status.ESCALATED)  # 1205.00
    decided = open_case("ord-3")
    CancellationRequest.objects.filter(pk=decided.pk).update(status=Status.REJECTED)

    response = supervisor_client.post(
        CHANGELIST,
        {"action": "approve_within_limit", ACTION_CHECKBOX_NAME: [small.pk, big.pk, decided.pk]},
        follow=True,
    )

    small.refresh_from_db()
    big.refresh_from_db()
    assert small.status == Status.APPROVED
    assert small.refund_total == Decimal("35.00")
    assert big.status == Status.ESCALATED
    assert OrderEvent.objects.get(kind="cancellation.approved").actor_label == "sam"
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "Approved 1 case(s)."
    assert f"#{big.pk} refunds 1205.00 USD, above the limit of 100.00" in messages[1]
    assert f"#{decided.pk} is rejected" in messages[1]


def test_bulk_reassign_asks_whom_then_gives_each_case_through_the_service(
    many_cases, supervisor_client, agent_client, other_retailer
):
    cases = many_cases(2)
    foreign = many_cases(1, retailer=other_retailer, start=10)[0]
    selected = [c.pk for c in cases] + [foreign.pk]

    ask = supervisor_client.post(CHANGELIST, {"action": "reassign", ACTION_CHECKBOX_NAME: selected})
    done = supervisor_client.post(
        CHANGELIST,
        {
            "action": "reassign",
            ACTION_CHECKBOX_NAME: selected,
            "apply": "1",
            "to": agent_client.user.pk,
        },
        follow=True,
    )

    assert ask.status_code == 200
    assert "Give the selected cases to" in ask.content.decode()
    assigned = dict(
        CancellationRequest.objects.filter(pk__in=selected).values_list("pk", "assigned_to")
    )
    assert assigned == {
        cases[0].pk: agent_client.user.pk,
        cases[1].pk: agent_client.user.pk,
        foreign.pk: None,
    }
    assert OrderEvent.objects.filter(kind="cancellation.reassigned").count() == 2
    messages = [str(m) for m in done.context["messages"]]
    assert messages[0] == "Gave 2 case(s) to ana."
    assert messages[1] == f"#{foreign.pk}: ana does not work cases of this retailer."


def test_macros_are_edited_in_admin_and_offered_on_the_case(
    open_case, supervisor_client, agent_client, retailer
):
    response = supervisor_client.post(
        "/admin/desk/macro/add/",
        {
            "name": "Refund timeline",
            "retailer": retailer.pk,
            "subject": "Your refund for {order}",
            "body": "Your refund of {refund_total} arrives in {refund_timeline}.",
            "is_active": "on",
        },
    )
    case = open_case()

    page = agent_client.get(f"/queue/cases/{case.pk}/")

    assert response.status_code == 302
    macro = Macro.objects.get(retailer=retailer)
    assert macro.name == "Refund timeline"
    offered = {m["name"]: m for m in page.context["macros"]}
    assert offered["Refund timeline"]["body"] == (
        "Your refund of 35.00 USD arrives in 5-10 business days."
    )


def test_agents_have_no_admin(agent_client):
    response = agent_client.get(CHANGELIST)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")

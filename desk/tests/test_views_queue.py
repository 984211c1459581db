"""The queue screen, sign-in and the supervisor overview, as agents and others see them."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cancellations.models import CancellationRequest, Status
from desk.tests.backoffice_fixtures import (  # noqa: F401
    PASSWORD,
    agent_client,
    manager_client,
    many_cases,
    open_case,
    other_agent_client,
    staff,
    supervisor_client,
)
from orders.models import Customer, OrderEvent
from retailers.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def case_ids(response) -> list[int]:
    return [row["pk"] for row in response.context["rows"]]


# --- signing in ---------------------------------------------------------------------


def test_the_queue_asks_for_a_sign_in_first(client):
    response = client.get("/queue/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/queue/"


def test_an_agent_signs_in_and_lands_on_the_queue(agent_client):
    client = Client()

    page = client.get("/accounts/login/")
    response = client.post("/accounts/login/", {"username": "ana", "password": PASSWORD})

    assert page.status_code == 200
    assert b"Sign in to Rescind" in page.content
    assert response.status_code == 302
    assert response["Location"] == "/queue/"
    assert client.get("/queue/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(agent_client):
    response = Client().post("/accounts/login/", {"username": "ana", "password": "nope"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content


def test_sign_out_ends_the_session(agent_client):
    response = agent_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert agent_client.get("/queue/").status_code == 302


def test_password_change_page_works_for_an_agent(agent_client):
    page = agent_client.get("/accounts/password_change/")
    response = agent_client.post(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase 42",
            "new_password2": "another long passphrase 42",
        },
    )

    assert page.status_code == 200 and b"Change your password" in page.content
    assert response["Location"] == "/accounts/password_change/done/"
    agent_client.user.refresh_from_db()
    assert agent_client.user.check_password("another long passphrase 42")


def test_someone_who_is_not_bpo_staff_is_refused(db):
    client = Client()
    client.force_login(UserFactory(username="shopper"))

    assert client.get("/queue/").status_code == 403


def test_admin_is_for_supervisors_only(agent_client, supervisor_client):
    agent_admin = agent_client.get("/admin/")
    supervisor_admin = supervisor_client.get("/admin/")

    assert agent_admin.status_code == 302 and "/admin/login/" in agent_admin["Location"]
    assert supervisor_admin.status_code == 200


# --- the list -----------------------------------------------------------------------


def test_the_queue_lists_cases_by_due_time_with_breaches_highlighted(many_cases, agent_client):
    late, soon, later = many_cases(3)
    now = timezone.now()
    CancellationRequest.objects.filter(pk=late.pk).update(sla_due_at=now - timedelta(minutes=90))
    CancellationRequest.objects.filter(pk=soon.pk).update(sla_due_at=now + timedelta(minutes=20))
    CancellationRequest.objects.filter(pk=later.pk).update(sla_due_at=now + timedelta(hours=3))

    response = agent_client.get("/queue/")

    assert case_ids(response) == [late.pk, soon.pk, later.pk]
    rows = response.context["rows"]
    assert [r["breached"] for r in rows] == [True, False, False]
    assert [r["sla_class"] for r in rows] == ["breached", "urgent", ""]
    html = response.content.decode()
    assert "1h 30m over" in html or "1h 29m over" in html
    assert 'class="breached"' in html


def test_what_customers_typed_is_shown_as_text_in_the_queue(many_cases, agent_client):
    (case,) = many_cases(1)
    Customer.objects.filter(orders=case.order_id).update(name='<script>alert("x")</script>')
    CancellationRequest.objects.filter(pk=case.pk).update(
        needs_attention=True, status="approved", attention_reason="<b>declined</b> & 'why'"
    )

    html = agent_client.get("/queue/").content.decode()

    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>alert" not in html
    assert 'title="&lt;b&gt;declined&lt;/b&gt; &amp; &#x27;why&#x27;"' in html


def test_an_agent_sees_only_the_retailers_they_serve(many_cases, agent_client, other_retailer):
    mine = many_cases(2)
    many_cases(3, retailer=other_retailer, start=100)

    response = agent_client.get("/queue/")

    assert sorted(case_ids(response)) == sorted(c.pk for c in mine)
    assert response.context["tabs"][0]["count"] == 2


def test_a_supervisor_sees_every_retailer_and_escalations(
    open_case, supervisor_client, agent_client, other_retailer
):
    review = open_case("ord-1")
    escalated = open_case("ord-2", status=Status.ESCALATED)
    elsewhere = open_case("ord-3", retailer=other_retailer)

    for_supervisor = supervisor_client.get("/queue/")
    for_agent = agent_client.get("/queue/")

    assert set(case_ids(for_supervisor)) == {review.pk, escalated.pk, elsewhere.pk}
    assert case_ids(for_agent) == [review.pk]
    assert "escalated" not in [tab["value"] for tab in for_agent.context["tabs"]]


def test_tabs_count_what_each_state_holds(open_case, supervisor_client):
    open_case("ord-1")
    open_case("ord-2")
    open_case("ord-3", status=Status.ESCALATED)
    open_case("ord-4", status=Status.AWAITING_CUSTOMER)
    quiet = open_case("ord-5", status=Status.AWAITING_CUSTOMER)
    CancellationRequest.objects.filter(pk=quiet.pk).update(
        confirmation_expires_at=timezone.now() + timedelta(hours=40)
    )

    response = supervisor_client.get("/queue/")

    counts = {tab["value"]: tab["count"] for tab in response.context["tabs"]}
    assert counts == {
        "open": 4,
        "in_review": 2,
        "escalated": 1,
        "awaiting_customer": 1,
        "needs_attention": 0,
        "awaiting_warehouse": 0,
        "all": None,
    }


def test_the_all_tab_finds_decided_requests_too(open_case, supervisor_client):
    case = open_case()
    CancellationRequest.objects.filter(pk=case.pk).update(status=Status.REJECTED)

    open_tab = supervisor_client.get("/queue/")
    all_tab = supervisor_client.get("/queue/?state=all")

    assert case_ids(open_tab) == []
    assert case_ids(all_tab) == [case.pk]


def test_filters_live_in_the_url_and_narrow_the_list(
    many_cases, open_case, agent_client, other_agent_client
):
    bulk = many_cases(3)
    phone = open_case("ord-9")
    CancellationRequest.objects.filter(pk=phone.pk).update(channel="phone", reason="other")
    CancellationRequest.objects.filter(pk=bulk[0].pk).update(assigned_to=agent_client.user)
    CancellationRequest.objects.filter(pk=bulk[1].pk).update(assigned_to=other_agent_client.user)

    by_channel = agent_client.get("/queue/?channel=phone")
    by_reason = agent_client.get("/queue/?reason=other")
    mine = agent_client.get("/queue/?assigned=me")
    unassigned = agent_client.get("/queue/?assigned=unassigned")
    by_order = agent_client.get("/queue/?q=ord-9")
    by_number = agent_client.get(f"/queue/?q=%23{bulk[2].pk}")

    assert case_ids(by_channel) == [phone.pk]
    assert case_ids(by_reason) == [phone.pk]
    assert case_ids(mine) == [bulk[0].pk]
    assert set(case_ids(unassigned)) == {bulk[2].pk, phone.pk}
    assert case_ids(by_order) == [phone.pk]
    assert case_ids(by_number) == [bulk[2].pk]
    # The tabs keep the filters, so a filtered view survives switching tabs.
    assert "channel=phone" in by_channel.context["tabs"][1]["url"]
    assert by_channel.context["tabs"][0]["count"] == 1


def test_search_by_customer_email_or_name(many_cases, agent_client):
    cases = many_cases(3)
    customer = cases[1].order.customer
    customer.email, customer.name = "pat@shoppers.example", "Pat Shopper"
    customer.save()

    by_email = agent_client.get("/queue/?q=PAT@shoppers.example")
    by_name = agent_client.get("/queue/?q=shopper")
    nothing = agent_client.get("/queue/?q=nobody")

    assert case_ids(by_email) == [cases[1].pk]
    assert case_ids(by_name) == [cases[1].pk]
    assert case_ids(nothing) == []
    assert by_email.context["tabs"][0]["count"] == 1


def test_long_queues_are_paged_with_the_total_from_the_tab_count(many_cases, agent_client):
    many_cases(55)

    first = agent_client.get("/queue/")
    second = agent_client.get("/queue/?page=2")
    history = agent_client.get("/queue/?state=all&page=2")
    beyond = agent_client.get("/queue/?page=9")

    assert len(first.context["rows"]) == 50 and first.context["page"].has_next
    assert len(second.context["rows"]) == 5 and not second.context["page"].has_next
    assert "51\u201355 of 55" in second.content.decode()  # an en dash, as shown
    assert history.context["page"].total is None
    assert len(history.context["rows"]) == 5
    assert beyond.context["page"].number == 2


def test_filtering_by_rule_and_age(open_case, many_cases, agent_client):
    old = many_cases(1)[0]
    CancellationRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=5)
    )
    fresh = open_case()

    by_rule = agent_client.get("/queue/?rule=outside_cancellation_window")
    older = agent_client.get("/queue/?age=older")
    new = agent_client.get("/queue/?age=1h")

    assert set(case_ids(by_rule)) == {old.pk, fresh.pk}
    assert case_ids(older) == [old.pk]
    assert case_ids(new) == [fresh.pk]


def test_a_retailer_outside_the_agents_scope_is_not_a_filter_they_can_use(
    many_cases, agent_client, other_retailer
):
    many_cases(1)
    many_cases(1, retailer=other_retailer, start=50)

    response = agent_client.get(f"/queue/?retailer={other_retailer.pk}")

    assert response.context["filter"].errors["retailer"]
    assert all(row["retailer_id"] != other_retailer.pk for row in response.context["rows"])


def test_htmx_gets_only_the_results_for_filter_changes_and_refreshes(many_cases, agent_client):
    many_cases(2)

    response = agent_client.get(
        "/queue/?reason=changed_mind",
        headers={"HX-Request": "true", "HX-Target": "queue-results"},
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-results"')
    assert "<html" not in html
    assert 'hx-get="/queue/?reason=changed_mind"' in html


def test_the_queue_page_runs_a_fixed_number_of_queries(
    many_cases, agent_client, django_assert_max_num_queries
):
    many_cases(50)
    agent_client.get("/queue/")  # warm the session

    # session, user, staff member with their retailers (the retailer menu too), tab
    # counts (one aggregate per kind of case: requests, and those awaiting the
    # warehouse), the page's rows: none per row
    with django_assert_max_num_queries(6):
        response = agent_client.get("/queue/")

    assert len(response.context["rows"]) == 50


def test_a_retailer_manager_reads_the_queue_without_acting(many_cases, manager_client):
    many_cases(2)

    response = manager_client.get("/queue/")

    assert len(response.context["rows"]) == 2
    html = response.content.decode()
    assert "Next case" not in html
    assert ">Claim<" not in html


# --- next case ----------------------------------------------------------------------


def test_next_case_claims_the_most_urgent_case_and_opens_it(many_cases, agent_client):
    first, _second = many_cases(2)

    response = agent_client.post("/queue/next/")

    assert response.status_code == 302
    assert response["Location"] == f"/queue/cases/{first.pk}/"
    first.refresh_from_db()
    assert first.assigned_to == agent_client.user
    assert OrderEvent.objects.filter(kind="cancellation.claimed", subject_id=first.pk).exists()


def test_next_case_with_an_empty_queue_says_so(agent_client):
    response = agent_client.post("/queue/next/", follow=True)

    assert response.redirect_chain == [("/queue/", 302)]
    assert "Nothing is waiting for you right now" in response.content.decode()


def test_next_case_is_a_post_so_a_link_prefetch_never_claims(many_cases, agent_client):
    many_cases(1)

    response = agent_client.get("/queue/next/")

    assert response.status_code == 405
    assert not CancellationRequest.objects.filter(assigned_to__isnull=False).exists()


def test_a_manager_cannot_take_cases(many_cases, manager_client):
    many_cases(1)

    response = manager_client.post("/queue/next/")

    assert response.status_code == 403
    assert not CancellationRequest.objects.filter(assigned_to__isnull=False).exists()


def test_claiming_from_the_list(many_cases, agent_client, other_agent_client):
    case = many_cases(1)[0]

    claimed = agent_client.post(f"/queue/cases/{case.pk}/claim/")
    refused = other_agent_client.post(f"/queue/cases/{case.pk}/claim/", follow=True)

    assert claimed["Location"] == f"/queue/cases/{case.pk}/"
    assert "already being worked by ana" in refused.content.decode()
    case.refresh_from_db()
    assert case.assigned_to == agent_client.user


# --- overview -----------------------------------------------------------------------


def test_the_overview_shows_queue_size_breaches_and_workload(
    open_case, many_cases, supervisor_client, agent_client, django_assert_max_num_queries
):
    cases = many_cases(3)
    CancellationRequest.objects.filter(pk=cases[0].pk).update(
        sla_due_at=timezone.now() - timedelta(hours=2), assigned_to=agent_client.user
    )
    escalated = open_case("ord-1", status=Status.ESCALATED)
    OrderEvent.objects.create(
        order=escalated.order,
        kind="cancellation.rejected",
        message="Rejected.",
        actor_kind="user",
        actor_label="ana",
        actor_user=agent_client.user,
    )
    supervisor_client.get("/queue/overview/")

    # Two more than with one kind of case: the warehouse kind's counts and rows.
    with django_assert_max_num_queries(10):
        response = supervisor_client.get("/queue/overview/")

    totals = response.context["totals"]
    assert (totals["total"], totals["in_review"], totals["escalated"]) == (4, 3, 1)
    assert totals["breached"] == 1
    assert [row["pk"] for row in response.context["worst"]] == [cases[0].pk]
    ana = next(row for row in response.context["workload"] if row["user"].username == "ana")
    assert (ana["assigned"], ana["breached"], ana["decided_today"]) == (1, 1, 1)
    assert "Operations overview" in response.content.decode()


def test_the_overview_is_for_supervisors(agent_client, manager_client):
    assert agent_client.get("/queue/overview/").status_code == 403
    assert manager_client.get("/queue/overview/").status_code == 403

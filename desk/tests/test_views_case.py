"""The case screen: what it shows, who may see it, and every action on it."""

# ruff: noqa: F811 (fixtures imported from backoffice_fixtures are used as arguments)

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from cancellations.assignment import cancellation_claim
from cancellations.models import CancellationRequest, Status
from desk.models import Macro
from desk.tests.backoffice_fixtures import (  # noqa: F401
    agent_client,
    manager_client,
    open_case,
    other_agent_client,
    staff,
    supervisor_client,
)
from kernel.actors import Actor
from notifications.models import WebhookDelivery
from orders.models import OrderEvent, OrderLine
from refunds.models import Refund
from refunds.services import refund_execute
from retailers.services import policy_update

pytestmark = pytest.mark.django_db

THREE_LINES = (("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "22.00"), ("l3", "SOCK", 2, "5.50"))


def url(case, action=""):
    return f"/queue/cases/{case.pk}/" + (f"{action}/" if action else "")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def events(case, kind):
    return OrderEvent.objects.filter(subject_id=case.pk, kind=kind)


# --- what the screen shows ----------------------------------------------------------


def test_the_case_screen_shows_everything_needed_to_decide(open_case, agent_client):
    older = open_case("ord-0", lines=(("l1", "HAT", 1, "12.00"),))
    CancellationRequest.objects.filter(pk=older.pk).update(status=Status.REJECTED)
    case = open_case("ord-1", lines=THREE_LINES, requested=[{"line": "l1", "quantity": 2}])

    response = agent_client.get(url(case))

    assert response.status_code == 200
    context = response.context
    rows = {row["line"].sku: row for row in context["lines"]}
    assert (rows["TEE"]["requested"], rows["CAP"]["requested"]) == (2, 0)
    assert context["preview"].quote.total == Decimal("20.00")
    assert [(a.payment.external_id, a.amount) for a in context["preview"].quote.allocations] == [
        ("p1", Decimal("20.00"))
    ]
    assert context["routing"].data["rule"] == "outside_cancellation_window"
    assert [r["pk"] for r in context["history"]["requests"]] == [older.pk]
    assert [o["external_id"] for o in context["history"]["orders"]] == ["ord-0"]
    kinds = [event.kind for event in context["timeline"]]
    assert kinds[-1] == "order.created" and "cancellation.in_review" in kinds
    html = response.content.decode()
    assert "outside_cancellation_window" in html
    assert "20.00 USD" in html
    assert "Approve" in html and "Reject" in html and "Escalate" in html


def test_requested_lines_follow_the_order_whatever_order_they_were_asked_in(
    open_case, agent_client, django_assert_max_num_queries
):
    case = open_case(
        "ord-1",
        lines=THREE_LINES,
        requested=[{"line": "l3", "quantity": 1}, {"line": "l1", "quantity": 2}],
    )

    with django_assert_max_num_queries(12):
        response = agent_client.get(url(case))

    rows = [(row["line"].sku, row["requested"]) for row in response.context["lines"]]
    assert rows == [("TEE", 2), ("CAP", 0), ("SOCK", 1)]
    preview = response.context["preview"]
    assert [lr.line.sku for lr in preview.quote.lines] == ["TEE", "SOCK"]
    assert preview.quote.total == Decimal("25.50")


def test_the_case_shows_the_policy_it_was_read_under_and_the_current_one(
    open_case, agent_client, retailer, django_assert_max_num_queries
):
    case = open_case("ord-1")
    applied = case.policy.version

    with django_assert_max_num_queries(10):  # the current policy comes with the case
        same = agent_client.get(url(case))
    policy_update(retailer=retailer, values={"agent_approval_limit": "31.00"}, created_by="t")
    changed = agent_client.get(url(case))

    assert f"Version {applied} applied" in same.content.decode()
    assert "(now v" not in same.content.decode()
    assert same.context["policy"].version == applied
    html = changed.content.decode()
    assert f"Version {applied} applied (now v{applied + 1})" in html
    assert "31.00 USD" in html
    assert changed.context["policy"].version == applied + 1


def test_another_retailers_case_is_a_404(open_case, agent_client, other_retailer):
    foreign = open_case("ord-9", retailer=other_retailer)

    assert agent_client.get(url(foreign)).status_code == 404
    assert agent_client.post(url(foreign, "note"), {"text": "hi"}).status_code == 404
    assert agent_client.post(url(foreign, "approve")).status_code == 404
    assert not events(foreign, "cancellation.note").exists()


def test_the_case_screen_runs_a_fixed_number_of_queries(
    open_case, agent_client, django_assert_max_num_queries
):
    small = open_case("ord-1")
    big = open_case("ord-2", lines=THREE_LINES * 1)
    for n in range(15):
        agent_client.post(url(big, "note"), {"text": f"note {n}"})
    agent_client.get(url(small))

    # session, user, staff member with their retailers, the case (with the current
    # policy), its lines, order lines, payments, timeline, other orders, past requests,
    # macros (an undecided request has no refunds to read)
    with django_assert_max_num_queries(12):
        agent_client.get(url(small))
    with django_assert_max_num_queries(12):
        response = agent_client.get(url(big))

    assert len(response.context["timeline"]) > 15


def test_a_retailer_manager_reads_the_case_but_cannot_act(open_case, manager_client):
    case = open_case()

    page = manager_client.get(url(case))
    attempt = manager_client.post(url(case, "approve"), {"qty_l1": "3"})

    assert page.status_code == 200
    assert "Read-only" in page.content.decode()
    assert 'id="approve-form"' not in page.content.decode()
    assert attempt.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


@pytest.mark.parametrize("action", ["approve", "reject", "note", "claim", "contact"])
def test_a_manager_is_told_404_for_another_retailers_case_before_any_role_check(
    open_case, manager_client, other_retailer, action
):
    # SPEC §1: another retailer's object is 404, never 403, for every kind of person.
    theirs = open_case("ord-9", retailer=other_retailer)
    mine = open_case("ord-1")

    foreign = manager_client.post(url(theirs, action), {"qty_l1": "3", "text": "x"})
    own = manager_client.post(url(mine, action), {"qty_l1": "3", "text": "x"})

    assert (foreign.status_code, own.status_code) == (404, 403)
    theirs.refresh_from_db()
    assert theirs.status == Status.IN_REVIEW


def test_forms_are_csrf_protected(open_case, agent_client):
    case = open_case()
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent_client.user)

    response = client.post(url(case, "reject"), {"reason_code": "other", "message": "No."})

    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


# --- approving ----------------------------------------------------------------------


def test_an_agent_approves_the_whole_request(open_case, agent_client):
    case = open_case()

    response = agent_client.post(url(case, "approve"), {"qty_l1": "3"}, follow=True)

    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert case.refund_total == Decimal("35.00")  # 3 x 10.00 and the shipping
    assert case.decision_rule == "agent_decision"
    assert messages_of(response) == [
        f"Approved request #{case.pk}: 35.00 USD goes back to the customer."
    ]
    event = events(case, "cancellation.approved").get()
    assert (event.actor_label, event.from_state) == ("ana", "in_review")
    assert not events(case, "cancellation.lines_changed").exists()


def test_an_agent_approves_fewer_units_than_asked(open_case, agent_client):
    case = open_case(lines=THREE_LINES)

    agent_client.post(url(case, "approve"), {"qty_l1": "1", "qty_l2": "0", "qty_l3": "2"})

    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert case.refund_total == Decimal("21.00")  # 1 x 10.00 + 2 x 5.50, shipping stays
    lines = {line.external_id: line.cancelled_quantity for line in OrderLine.objects.all()}
    assert lines == {"l1": 1, "l2": 0, "l3": 2}
    changed = events(case, "cancellation.lines_changed").get()
    assert changed.message == "Units to cancel changed before approval: 1 x TEE, 2 x SOCK."
    assert sum(r.amount for r in Refund.objects.filter(cancellation=case)) == Decimal("21.00")


def test_approving_nothing_is_refused_and_points_to_reject(open_case, agent_client):
    case = open_case()

    response = agent_client.post(url(case, "approve"), {"qty_l1": "0"})

    assert response.status_code == 400
    assert "to keep the whole order, reject the request" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_more_units_than_requested_are_refused(open_case, agent_client):
    case = open_case()

    response = agent_client.post(url(case, "approve"), {"qty_l1": "4"})

    assert response.status_code == 400
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW
    assert OrderLine.objects.get().cancelled_quantity == 0


def test_above_the_agent_limit_approve_becomes_escalate(open_case, agent_client, retailer):
    policy_update(retailer=retailer, values={"agent_approval_limit": "20.00"}, created_by="t")
    case = open_case()

    page = agent_client.get(url(case))
    attempt = agent_client.post(url(case, "approve"), {"qty_l1": "3"})

    assert page.context["preview"].above_limit
    assert "Escalate instead" in page.content.decode()
    assert attempt.status_code == 403
    assert "above the agent approval limit of 20.00: escalate it" in attempt.content.decode()
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


def test_the_refund_preview_follows_the_edited_quantities(open_case, agent_client, retailer):
    policy_update(retailer=retailer, values={"agent_approval_limit": "25.00"}, created_by="t")
    case = open_case(lines=THREE_LINES)

    within = agent_client.get(
        url(case, "preview"),
        {"qty_l1": "2", "qty_l2": "0", "qty_l3": "0"},
        headers={"HX-Request": "true"},
    )
    above = agent_client.get(url(case, "preview"), {"qty_l1": "3", "qty_l2": "1", "qty_l3": "2"})
    invalid = agent_client.get(url(case, "preview"), {"qty_l1": "9", "qty_l2": "0", "qty_l3": "0"})

    assert within.context["preview"].quote.total == Decimal("20.00")
    assert not within.context["preview"].above_limit
    assert 'id="approve-submit" hx-swap-oob="true"' in within.content.decode()
    assert above.context["preview"].quote.total == Decimal("68.00")
    assert above.context["preview"].above_limit
    assert invalid.context["preview"].error
    assert not Refund.objects.exists()


def test_a_double_submitted_approval_acts_once(open_case, agent_client):
    case = open_case()
    form = {"qty_l1": "3", "nonce": "abc123"}

    first = agent_client.post(url(case, "approve"), form)
    second = agent_client.post(url(case, "approve"), form, follow=True)

    assert first.status_code == 302
    assert "That was already done; here is the case as it is now." in messages_of(second)
    assert events(case, "cancellation.approved").count() == 1
    assert Refund.objects.filter(cancellation=case).count() == 1


def test_a_form_sent_back_with_errors_can_be_submitted_again_once_fixed(open_case, agent_client):
    case = open_case()
    page = agent_client.get(url(case))
    nonce = page.context["nonce"]

    refused = agent_client.post(url(case, "reject"), {"reason_code": "other", "nonce": nonce})
    fixed = agent_client.post(
        url(case, "reject"),
        {"reason_code": "other", "message": "Sorry.", "nonce": refused.context["nonce"]},
    )

    assert refused.status_code == 400
    assert refused.context["nonce"] != nonce
    assert f'value="{refused.context["nonce"]}"' in refused.content.decode()
    assert fixed.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.REJECTED


def test_a_second_approval_without_the_form_token_is_refused_by_the_state_machine(
    open_case, agent_client
):
    case = open_case()
    agent_client.post(url(case, "approve"), {"qty_l1": "3"})

    again = agent_client.post(url(case, "approve"), {"qty_l1": "3"})

    assert again.status_code == 409
    assert "Only requests in review or escalated are decided by people" in again.content.decode()
    assert events(case, "cancellation.approved").count() == 1


def test_a_case_held_by_another_agent_cannot_be_decided_by_me(
    open_case, agent_client, other_agent_client
):
    case = open_case()
    cancellation_claim(cancellation=case, actor=Actor.for_user(other_agent_client.user))

    page = agent_client.get(url(case))
    response = agent_client.post(url(case, "approve"), {"qty_l1": "3"}, follow=True)

    assert not page.context["may"]["decide"]
    assert "ben is working this case" in messages_of(response)[0]
    case.refresh_from_db()
    assert case.status == Status.IN_REVIEW


# --- the other decisions ------------------------------------------------------------


def test_reject_needs_a_reason_and_a_message_for_the_customer(open_case, agent_client):
    case = open_case()

    missing = agent_client.post(url(case, "reject"), {"reason_code": "", "message": ""})
    done = agent_client.post(
        url(case, "reject"),
        {"reason_code": "already_fulfilled", "message": "Your parcel is with the carrier."},
        follow=True,
    )

    assert missing.status_code == 400
    assert missing.context["open_panel"] == "reject"
    case.refresh_from_db()
    assert case.status == Status.REJECTED
    assert case.decision_explanation == "Your parcel is with the carrier."
    event = events(case, "cancellation.rejected").get()
    assert event.data == {"reason_code": "already_fulfilled"}
    assert messages_of(done) == [f"Rejected request #{case.pk}; the customer is told why."]


def test_escalate_with_a_note_hands_the_case_to_supervisors(open_case, agent_client):
    case = open_case()
    cancellation_claim(cancellation=case, actor=Actor.for_user(agent_client.user))

    agent_client.post(url(case, "escalate"), {"note": "Third request this month."})

    case.refresh_from_db()
    assert case.status == Status.ESCALATED
    assert case.assigned_to is None
    assert events(case, "cancellation.escalated").get().message == (
        "Escalated to a supervisor: Third request this month."
    )


def test_an_agent_cannot_decide_an_escalation(open_case, agent_client):
    case = open_case(status=Status.ESCALATED)

    page = agent_client.get(url(case))
    attempt = agent_client.post(url(case, "approve"), {"qty_l1": "1"})

    assert "a supervisor decides this one" in page.content.decode()
    assert attempt.status_code == 403
    assert "Only a supervisor decides an escalated request" in attempt.content.decode()
    case.refresh_from_db()
    assert case.status == Status.ESCALATED


def test_a_supervisor_approves_an_escalation_above_the_agent_limit(
    open_case, supervisor_client, retailer
):
    policy_update(retailer=retailer, values={"agent_approval_limit": "100.00"}, created_by="t")
    case = open_case(status=Status.ESCALATED)

    supervisor_client.post(url(case, "approve"), {"qty_l1": "1"})

    case.refresh_from_db()
    assert case.status == Status.APPROVED
    assert case.refund_total == Decimal("1205.00")
    assert case.decision_rule == "supervisor_decision"
    assert events(case, "cancellation.approved").get().actor_label == "sam"


def test_an_escalation_is_approved_or_rejected_not_turned_into_a_return(
    open_case, supervisor_client
):
    case = open_case(status=Status.ESCALATED)

    page = supervisor_client.get(url(case))

    html = page.content.decode()
    assert 'id="action-approve"' in html and 'id="action-reject"' in html
    assert 'id="action-return"' not in html and 'id="action-escalate"' not in html


def test_convert_to_a_return(open_case, agent_client):
    case = open_case()

    agent_client.post(url(case, "return"), {"note": "Already packed; send it back."})

    case.refresh_from_db()
    assert case.status == Status.RETURN_REQUIRED
    assert events(case, "cancellation.return_required").get().message == (
        "Already packed; send it back."
    )


def test_withdraw_on_the_customers_behalf(open_case, agent_client):
    case = open_case()

    agent_client.post(url(case, "withdraw"), {"why": "Customer called: keep the order."})

    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN
    event = events(case, "cancellation.withdrawn").get()
    assert (event.message, event.actor_label) == ("Customer called: keep the order.", "ana")


# --- talking and notes --------------------------------------------------------------


def test_an_internal_note_lands_on_the_timeline_once(open_case, agent_client):
    case = open_case()
    form = {"text": "Customer sounded upset.", "nonce": "n1"}

    agent_client.post(url(case, "note"), form)
    agent_client.post(url(case, "note"), form)

    note = events(case, "cancellation.note").get()
    assert (note.message, note.actor_label, note.data) == (
        "Customer sounded upset.",
        "ana",
        {"internal": True},
    )


def test_contacting_the_customer_with_a_macro(open_case, agent_client, retailer):
    Macro.objects.create(
        retailer=retailer,
        name="Chase confirmation",
        subject="About order {order}",
        body="Hi {customer_name}, please confirm by replying. {agent}",
    )
    case = open_case()

    page = agent_client.get(url(case))
    macro = next(m for m in page.context["macros"] if m["name"] == "Chase confirmation")
    response = agent_client.post(
        url(case, "contact"),
        {"macro": macro["pk"], "subject": macro["subject"], "body": macro["body"]},
        follow=True,
    )

    assert macro["subject"] == "About order ord-1"
    assert macro["body"] == "Hi Pat Shopper, please confirm by replying. ana"
    event = events(case, "cancellation.customer_contacted").get()
    assert event.message == "Message to the customer: \u201cAbout order ord-1\u201d."
    assert event.data["body"] == "Hi Pat Shopper, please confirm by replying. ana"
    assert event.data["macro"] == "Chase confirmation"
    assert messages_of(response) == [
        "Message to cust-1@shoppers.example is on its way; it is on the timeline."
    ]


def test_a_message_to_the_customer_is_sent_word_for_word_and_told_to_webhooks(
    open_case, agent_client, retailer
):
    from notifications.models import Notification
    from notifications.services import webhook_endpoint_create

    webhook_endpoint_create(retailer=retailer, url="https://127.0.0.1/rescind")
    case = open_case()

    agent_client.post(url(case, "contact"), {"subject": "Your order", "body": "Shall we?"})
    agent_client.post(url(case, "contact"), {"subject": "Your order", "body": "Hello again"})

    messages = Notification.objects.filter(event_type="cancellation.agent_message")
    assert [(m.recipient, m.data["body"]) for m in messages.order_by("id")] == [
        ("cust-1@shoppers.example", "Shall we?"),
        ("cust-1@shoppers.example", "Hello again"),
    ]
    delivery = WebhookDelivery.objects.filter(event_type="cancellation.agent_message").earliest(
        "id"
    )
    assert delivery.payload["data"]["subject"] == "Your order"
    assert delivery.payload["data"]["body"] == "Shall we?"
    assert delivery.payload["data"]["id"] == case.pk


def test_a_macro_of_another_retailer_is_not_offered_nor_accepted(
    open_case, agent_client, other_retailer
):
    foreign = Macro.objects.create(retailer=other_retailer, name="Theirs", subject="s", body="b")
    shared = Macro.objects.create(retailer=None, name="Shared", subject="s", body="b")
    case = open_case()

    page = agent_client.get(url(case))
    response = agent_client.post(
        url(case, "contact"), {"macro": foreign.pk, "subject": "s", "body": "b"}
    )

    offered = [m["pk"] for m in page.context["macros"]]
    assert shared.pk in offered and foreign.pk not in offered
    assert response.status_code == 400
    assert not events(case, "cancellation.customer_contacted").exists()


def test_default_macros_ship_with_the_product_and_fill_in_the_case(open_case, agent_client):
    case = open_case()

    page = agent_client.get(url(case))

    by_name = {m["name"]: m for m in page.context["macros"]}
    refund = by_name["Refund on its way"]
    assert refund["subject"] == "Your refund for order ord-1"
    assert "35.00 USD goes back to your original payment method" in refund["body"]
    assert "within 5-10 business days" in refund["body"]
    assert refund["body"].endswith("ana\nAcme Outfitters customer care")
    assert "{" not in "".join(m["body"] + m["subject"] for m in by_name.values())


def test_a_refused_message_keeps_the_canned_reply_picked(open_case, agent_client):
    case = open_case()
    macro = Macro.objects.filter(is_active=True).order_by("name").last()

    response = agent_client.post(
        url(case, "contact"), {"macro": macro.pk, "subject": "Hello", "body": ""}
    )

    menu = response.content.decode().split('<select id="id_macro"', 1)[1].split("</select>")[0]
    assert response.status_code == 400
    assert menu.count(" selected>") == 1
    picked = menu.split(f'<option value="{macro.pk}"', 1)[1].split(">", 1)[0]
    assert picked.endswith(" selected")


def test_a_message_without_text_is_refused(open_case, agent_client):
    case = open_case()

    response = agent_client.post(url(case, "contact"), {"subject": "Hello", "body": ""})

    assert response.status_code == 400
    assert response.context["open_panel"] == "contact"
    assert not events(case, "cancellation.customer_contacted").exists()


# --- assignment on the case screen --------------------------------------------------


def test_claim_and_release_from_the_case(open_case, agent_client):
    case = open_case()

    agent_client.post(url(case, "claim"))
    claimed = CancellationRequest.objects.get(pk=case.pk).assigned_to
    agent_client.post(url(case, "release"))

    assert claimed == agent_client.user
    case.refresh_from_db()
    assert case.assigned_to is None


def test_a_supervisor_reassigns_from_the_case(open_case, supervisor_client, other_agent_client):
    case = open_case()

    page = supervisor_client.get(url(case))
    supervisor_client.post(url(case, "reassign"), {"to": other_agent_client.user.pk})

    assert other_agent_client.user in page.context["forms"]["reassign"].fields["to"].queryset
    case.refresh_from_db()
    assert case.assigned_to == other_agent_client.user


def test_an_agent_cannot_reassign(open_case, agent_client, other_agent_client):
    case = open_case()

    response = agent_client.post(url(case, "reassign"), {"to": other_agent_client.user.pk})

    assert response.status_code == 403
    assert "Only a supervisor reassigns cases." in response.content.decode()
    case.refresh_from_db()
    assert case.assigned_to is None


def test_an_unknown_action_is_a_404(open_case, agent_client):
    assert agent_client.post(url(open_case(), "explode")).status_code == 404


# --- failed refunds -----------------------------------------------------------------


@pytest.fixture
def failed_refund(open_case, agent_client, django_capture_on_commit_callbacks):
    """An approved request whose refund the gateway declined: back in the queue."""
    case = open_case(
        payments=[
            {
                "external_id": "p1",
                "method": "card",
                "amount": "35.00",
                "reference": "sandbox_decline_1",
            }
        ]
    )
    agent_client.post(url(case, "approve"), {"qty_l1": "3"})
    refund = Refund.objects.get(cancellation=case)
    refund_execute(refund_id=refund.pk)
    case.refresh_from_db()
    assert case.needs_attention and case.status == Status.APPROVED
    return case, Refund.objects.get(pk=refund.pk)


def test_a_failed_refund_puts_the_case_in_the_needs_attention_tab(failed_refund, agent_client):
    case, _refund = failed_refund

    response = agent_client.get("/queue/?state=needs_attention")

    assert [row["pk"] for row in response.context["rows"]] == [case.pk]
    assert "Needs attention" in agent_client.get(url(case)).content.decode()


def test_a_supervisor_records_a_manual_refund(failed_refund, supervisor_client):
    case, refund = failed_refund

    supervisor_client.post(
        f"/queue/cases/{case.pk}/refunds/{refund.pk}/manual/",
        {"reference": "bank transfer 4471", "note": "Card closed."},
    )

    refund.refresh_from_db()
    case.refresh_from_db()
    assert (refund.status, refund.manual) == ("succeeded", True)
    assert case.status == Status.COMPLETED
    assert not case.needs_attention


def test_a_supervisor_retries_a_failed_refund(failed_refund, supervisor_client):
    case, refund = failed_refund

    response = supervisor_client.post(
        f"/queue/cases/{case.pk}/refunds/{refund.pk}/retry/", follow=True
    )

    refund.refresh_from_db()
    assert refund.status == "pending"
    assert OrderEvent.objects.filter(kind="refund.retried", subject_id=refund.pk).exists()
    assert messages_of(response) == [f"Refund {refund.pk} sent to the gateway again."]


def test_agents_cannot_fix_refunds(failed_refund, agent_client):
    case, refund = failed_refund

    page = agent_client.get(url(case))
    response = agent_client.post(
        f"/queue/cases/{case.pk}/refunds/{refund.pk}/manual/", {"reference": "x"}
    )

    assert ">Retry<" not in page.content.decode()
    assert response.status_code == 403
    assert "Only a supervisor can record a manual refund" in response.content.decode()
    refund.refresh_from_db()
    assert refund.status == "failed"


def test_a_manual_refund_needs_a_reference(failed_refund, supervisor_client):
    case, refund = failed_refund

    response = supervisor_client.post(
        f"/queue/cases/{case.pk}/refunds/{refund.pk}/manual/", {"reference": ""}
    )

    assert response.status_code == 400
    refund.refresh_from_db()
    assert refund.status == "failed"


def test_a_refund_of_another_request_is_a_404(failed_refund, open_case, supervisor_client):
    _case, refund = failed_refund
    other = open_case("ord-2")

    response = supervisor_client.post(f"/queue/cases/{other.pk}/refunds/{refund.pk}/retry/")

    assert response.status_code == 404


def test_webhooks_hear_of_an_agent_decision(open_case, agent_client, retailer):
    from notifications.services import webhook_endpoint_create

    webhook_endpoint_create(retailer=retailer, url="https://127.0.0.1/rescind")
    case = open_case()

    agent_client.post(url(case, "reject"), {"reason_code": "other", "message": "No."})

    types = set(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert "cancellation.rejected" in types


def test_sla_time_left_is_shown_on_the_case(open_case, agent_client):
    case = open_case()
    CancellationRequest.objects.filter(pk=case.pk).update(
        sla_due_at=timezone.now() - timedelta(minutes=30)
    )

    response = agent_client.get(url(case))

    assert response.context["sla"].breached
    assert "SLA · 30m over" in response.content.decode() or "SLA · 29m over" in (
        response.content.decode()
    )


def test_the_refund_preview_reads_the_current_policy_with_the_case(
    open_case, agent_client, django_assert_max_num_queries
):
    case = open_case(lines=THREE_LINES)
    agent_client.get(url(case, "preview"), {"qty_l1": "1", "qty_l2": "0", "qty_l3": "0"})

    # user, viewer, the case with its current policy id, its lines, order lines and
    # payments: the policy it was read under is the current one, so it is not read again
    with django_assert_max_num_queries(6):
        response = agent_client.get(
            url(case, "preview"), {"qty_l1": "1", "qty_l2": "0", "qty_l3": "0"}
        )
    assert response.status_code == 200
    assert response.context["preview"].quote is not None

"""The case page's rows (timeline, order lines, payments, the customer's history, canned
replies, the refund preview) are template partials: each row shows what it should, and
every value that customers, retailers, gateways or rules wrote is escaped."""

from datetime import UTC, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string

from desk.presenters import timeline_entries
from desk.tests import backoffice_fixtures
from orders.models import OrderEvent, OrderLine, Payment

agent_client = backoffice_fixtures.agent_client
manager_client = backoffice_fixtures.manager_client
open_case = backoffice_fixtures.open_case

CASE_PK = 7


def _events():
    moment = datetime(2026, 3, 4, 9, 5, 7, tzinfo=UTC)
    common = {"order_id": 1, "created_at": moment, "actor_kind": "agent"}
    return [
        OrderEvent(
            kind="cancellation.in_review",
            message="Claimed",
            actor_label="ana",
            subject_type="cancellationrequest",
            subject_id=CASE_PK,
            from_state="submitted",
            to_state="in_review",
            data={},
            **common,
        ),
        OrderEvent(
            kind="cancellation.customer_contacted",
            message="Asked for details",
            actor_label="bo",
            subject_type="cancellationrequest",
            subject_id=CASE_PK,
            data={"body": "Hi <b>there</b>\nline two & more"},
            **common,
        ),
        OrderEvent(
            kind="cancellation.note",
            message="internal",
            actor_label="bo",
            subject_type="cancellationrequest",
            subject_id=99,
            data={},
            **common,
        ),
        OrderEvent(
            kind="refund.failed",
            message='Gateway said <script>alert("x")</script>',
            actor_label="Gateway <acme> & 'co'",
            subject_type="refund",
            subject_id=3,
            data={"body": "not shown"},
            **common,
        ),
        OrderEvent(
            kind="cancellation.needs_attention",
            message="",
            actor_label="system",
            subject_type="cancellationrequest",
            subject_id=98,
            data=None,
            **common,
        ),
    ]


def _timeline():
    entries = timeline_entries(_events(), subject_type="cancellationrequest", subject_id=CASE_PK)
    return render_to_string(
        "desk/_timeline.html", {"timeline_rows": entries, "case_noun": "request"}
    )


def test_the_timeline_marks_this_case_other_cases_and_what_each_event_is():
    written = _timeline()

    assert written.count("<li") == 5
    assert 'class="mine state"' in written
    assert 'class="mine message"' in written
    assert 'class="other note"' in written and "request #99" in written
    assert 'class=" refund"' in written
    assert 'class="other attention"' in written
    assert "Submitted → In review" in written
    assert "4 Mar, 09:05" in written


def test_the_timeline_escapes_gateway_and_customer_text():
    written = _timeline()

    assert "<script>" not in written
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in written
    assert "Gateway &lt;acme&gt; &amp; &#x27;co&#x27;" in written
    assert "Hi &lt;b&gt;there&lt;/b&gt;\nline two &amp; more" in written
    assert "not shown" not in written  # a refund event's data is not a message body


# --- the order lines -------------------------------------------------------------------

THREE_LINES = (("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "22.00"), ("l3", "SOCK", 2, "5.50"))


def _case_with_html_in_lines(open_case):
    case = open_case("ord-1", lines=THREE_LINES, requested=[{"line": "l1", "quantity": 2}])
    OrderLine.objects.filter(external_id="l1").update(
        title='<img src=x onerror="alert(1)"> & co', final_sale=False
    )
    OrderLine.objects.filter(external_id="l2").update(sku="<b>CAP</b>", cancelled_quantity=1)
    OrderLine.objects.filter(external_id="l3").update(final_sale=True)
    return case


def _section(page: str, heading: str) -> str:
    start = page.index(f"<h2>{heading}</h2>")
    return page[start : page.index("</section>", start)]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent_client", "manager_client"])
def test_order_lines_show_each_line_and_escape_the_catalogue(open_case, who, request):
    case = _case_with_html_in_lines(open_case)

    page = request.getfixturevalue(who).get(f"/queue/cases/{case.pk}/").content.decode()

    lines = _section(page, "Order lines")
    assert lines.count("<tr") == 4  # the header and three lines
    assert lines.count('class="not-requested"') == 2  # CAP and SOCK were not asked for
    assert "Final sale" in lines
    # only the agent can change the units to cancel
    assert ("hx-get=" in lines) is (who == "agent_client")
    assert ('name="qty_l1"' in lines) is (who == "agent_client")
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in page
    assert "&lt;b&gt;CAP&lt;/b&gt;" in page


@pytest.mark.django_db
def test_order_lines_show_the_units_refused(open_case, agent_client):
    case = _case_with_html_in_lines(open_case)

    response = agent_client.post(f"/queue/cases/{case.pk}/approve/", {"qty_l1": "9"})

    assert response.status_code == 400
    lines = _section(response.content.decode(), "Order lines")
    assert 'class="errorlist"' in lines
    assert "less than or equal to 2" in lines


# --- the customer's history ------------------------------------------------------------


def _history():
    moment = datetime(2026, 1, 30, 23, 59, tzinfo=UTC)
    return {
        "requests": [
            {
                "pk": 12,
                "status": "rejected",
                "status_label": "Rejected <b>",
                "created_at": moment,
                "order_external_id": '<img src=x onerror="alert(1)">',
                "url": "/queue/cases/12/?a=1&b=2",
            },
        ],
        "orders": [
            {
                "pk": 5,
                "external_id": "ord-<3>",
                "placed_at": moment,
                "fulfillment_status": "shipped",
                "fulfillment_label": "Shipped & 'Sent'",
                "total": Decimal("1234.50"),
                "currency": "USD",
            },
        ],
    }


def test_the_customer_panel_escapes_what_the_customer_and_retailer_wrote():
    customer = SimpleNamespace(external_id="c-1", name="Pat", email="p@x.example", phone="")
    written = render_to_string("desk/_customer.html", {"history": _history(), "customer": customer})

    lists = written[written.index('<ul class="history">') :]
    assert lists.count("<li>") == 2
    assert "<img" not in lists and "<b>" not in lists and "<3>" not in lists
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in written
    assert "shipped &amp; &#x27;sent&#x27;" in written
    assert 'href="/queue/cases/12/?a=1&amp;b=2"' in written
    assert "1,234.50 USD" in written


# --- the canned replies ----------------------------------------------------------------


@pytest.mark.django_db
def test_canned_replies_escape_what_the_retailer_wrote(open_case, agent_client, retailer):
    from desk.models import Macro

    case = open_case()
    Macro.objects.create(
        retailer=retailer,
        name="Refund <on its way>",
        subject='Your order "A&B"',
        body="Hi <script>x()</script>,\nit's done.",
    )

    page = agent_client.get(f"/queue/cases/{case.pk}/").content.decode()

    assert "<script>x()" not in page and "<on its way>" not in page
    assert 'data-subject="Your order &quot;A&amp;B&quot;"' in page
    assert "Hi &lt;script&gt;x()&lt;/script&gt;,\nit&#x27;s done." in page


# --- the refund preview ----------------------------------------------------------------


def _quote(allocations=True):
    line = SimpleNamespace(sku="<i>TEE</i>")
    payment = SimpleNamespace(method="gift_card", external_id='pay-"1"&2')
    return SimpleNamespace(
        lines=[
            SimpleNamespace(line=line, quantity=2, amount=Decimal("1020.00")),
            SimpleNamespace(line=SimpleNamespace(sku="CAP"), quantity=1, amount=Decimal("5")),
        ],
        shipping=Decimal(0),
        total=Decimal("1025.00"),
        allocations=[SimpleNamespace(payment=payment, amount=Decimal("1025.00"))]
        if allocations
        else [],
    )


@pytest.mark.parametrize("allocations", [True, False])
def test_the_refund_preview_shows_lines_and_payments_escaped(allocations):
    case = SimpleNamespace(order=SimpleNamespace(currency="USD"))
    preview = SimpleNamespace(quote=_quote(allocations), error="", above_limit=False)

    written = render_to_string("desk/_refund_preview.html", {"case": case, "preview": preview})

    assert ("Nothing to refund." in written) is not allocations
    assert "<i>" not in written
    assert "&lt;i&gt;TEE&lt;/i&gt;" in written
    assert ('Gift card <span class="faint mono">pay-&quot;1&quot;&amp;2</span>' in written) is (
        allocations
    )
    assert "1,020.00" in written and "1,025.00 USD" in written


# --- the payments ----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("decided", [False, True])
def test_payments_show_this_requests_refunds_once_decided(open_case, agent_client, decided):
    case = open_case()
    Payment.objects.update(reference='<a href="x">ref</a>', external_id="pay-<1>")
    if decided:
        agent_client.post(f"/queue/cases/{case.pk}/approve/", {"qty_l1": "3"})

    page = agent_client.get(f"/queue/cases/{case.pk}/").content.decode()

    payments = _section(page, "Payments and fulfilment")
    assert ("This request" in payments) is decided
    assert ('class="badge pending"' in payments or 'class="badge succeeded"' in payments) is (
        decided
    )
    assert '<a href="x">' not in page and "pay-<1>" not in page
    assert "&lt;a href=&quot;x&quot;&gt;ref&lt;/a&gt;" in page

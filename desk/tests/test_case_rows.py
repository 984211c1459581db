"""The case page's per-row loops are written by tags (`timeline_rows`): an agent must
get exactly the markup the template loops gave, with every value from customers,
gateways and rules escaped."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.template import engines

from desk.tests import backoffice_fixtures
from orders.models import OrderEvent, OrderLine, Payment

agent_client = backoffice_fixtures.agent_client
manager_client = backoffice_fixtures.manager_client
open_case = backoffice_fixtures.open_case

# The timeline loop as case.html wrote it before `timeline_rows`.
TIMELINE_LOOP = (
    "{% load desk %}\n" + (Path(__file__).parent / "case_timeline_loop.html").read_text()
)

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
            from_state="",
            to_state="",
            data=None,
            **common,
        ),
        OrderEvent(
            kind="order.shipped",
            message="Shipped",
            actor_label="warehouse",
            subject_type="order",
            subject_id=1,
            from_state="",
            to_state="shipped",
            data={},
            **common,
        ),
    ]


def _render(source, **context):
    return engines["django"].from_string(source).render(context)


def test_timeline_rows_write_the_markup_of_the_template_loop():
    events = _events()
    expected = _render(TIMELINE_LOOP, timeline=events, case={"pk": CASE_PK})
    written = _render(
        "{% load desk %}\n        {% timeline_rows timeline case.pk %}\n",
        timeline=events,
        case={"pk": CASE_PK},
    )
    assert written == expected
    assert 'class="mine state"' in written
    assert "request #99" in written


def test_timeline_rows_escape_gateway_and_customer_text():
    written = _render("{% load desk %}{% timeline_rows timeline 7 %}", timeline=_events())
    assert "<script>" not in written
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in written
    assert "Gateway &lt;acme&gt; &amp; &#x27;co&#x27;" in written
    assert "Hi &lt;b&gt;there&lt;/b&gt;\nline two &amp; more" in written
    assert "not shown" not in written


# --- the order lines -------------------------------------------------------------------

ORDER_LINES_LOOP = (
    "{% load desk %}{% with currency=order.currency %}"
    + (Path(__file__).parent / "case_order_lines_loop.html").read_text()
    + "{% endwith %}"
)
THREE_LINES = (("l1", "TEE", 3, "10.00"), ("l2", "CAP", 1, "22.00"), ("l3", "SOCK", 2, "5.50"))


def _case_with_html_in_lines(open_case):
    case = open_case("ord-1", lines=THREE_LINES, requested=[{"line": "l1", "quantity": 2}])
    OrderLine.objects.filter(external_id="l1").update(
        title='<img src=x onerror="alert(1)"> & co', final_sale=False
    )
    OrderLine.objects.filter(external_id="l2").update(sku="<b>CAP</b>", cancelled_quantity=1)
    OrderLine.objects.filter(external_id="l3").update(final_sale=True)
    return case


def _old_loop(response) -> str:
    return engines["django"].from_string(ORDER_LINES_LOOP).render(response.context[-1].flatten())


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["agent_client", "manager_client"])
def test_order_line_rows_write_the_markup_of_the_template_loop(open_case, who, request):
    case = _case_with_html_in_lines(open_case)

    response = request.getfixturevalue(who).get(f"/queue/cases/{case.pk}/")

    page = response.content.decode()
    old = _old_loop(response)
    assert old.count("<tr") == 3 and 'class="not-requested"' in old
    assert ("hx-get=" in old) is (who == "agent_client")
    assert old in page
    assert '<img src=x onerror="alert(1)">' not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co" in page
    assert "&lt;b&gt;CAP&lt;/b&gt;" in page


@pytest.mark.django_db
def test_order_line_rows_show_the_units_refused_with_the_old_markup(open_case, agent_client):
    case = _case_with_html_in_lines(open_case)

    response = agent_client.post(f"/queue/cases/{case.pk}/approve/", {"qty_l1": "4"})

    assert response.status_code == 400
    page = response.content.decode()
    old = _old_loop(response)
    assert 'class="errorlist"' in old
    assert old in page


# --- the customer's history ------------------------------------------------------------

HISTORY_LOOPS = (Path(__file__).parent / "customer_history_loops.html").read_text()


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
            {
                "pk": 1234,
                "status": "approved",
                "status_label": "Approved",
                "created_at": moment,
                "order_external_id": "ord-2",
                "url": "/queue/cases/1234/",
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
            {
                "pk": 6,
                "external_id": "ord-6",
                "placed_at": moment,
                "fulfillment_status": "unfulfilled",
                "fulfillment_label": "Unfulfilled",
                "total": Decimal("1500"),
                "currency": "JPY",
            },
        ],
    }


def test_history_rows_write_the_markup_of_the_template_loops():
    history = _history()
    expected = _render(HISTORY_LOOPS, history=history)
    written = _render(
        "{% load desk %}{% past_request_rows history.requests %}|"
        "{% other_order_rows history.orders %}\n",
        history=history,
    )
    assert written == expected
    assert written.count("<li>") == 4


def test_history_rows_escape_what_the_customer_and_retailer_wrote():
    written = _render(
        "{% load desk %}{% past_request_rows history.requests %}"
        "{% other_order_rows history.orders %}",
        history=_history(),
    )
    assert "<img" not in written and "<b>" not in written and "<3>" not in written
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in written
    assert "shipped &amp; &#x27;sent&#x27;" in written
    assert 'href="/queue/cases/12/?a=1&amp;b=2"' in written
    assert "1,234.50 USD" in written


# --- the canned replies ----------------------------------------------------------------

MACRO_LOOP = (Path(__file__).parent / "macro_options_loop.html").read_text()
MACROS = [
    {
        "pk": 3,
        "name": "Refund <on its way>",
        "subject": 'Your order "A&B"',
        "body": "Hi <script>x()</script>,\nit's done.",
    },
    {"pk": 4, "name": "Plain", "subject": "", "body": "", "selected": True},
]


def test_macro_options_write_the_markup_of_the_template_loop():
    written = _render("{% load desk %}{% macro_options macros %}\n", macros=MACROS)
    assert written == _render(MACRO_LOOP, macros=MACROS)
    assert written.count("<option") == 2 and "selected>Plain" in written


def test_macro_options_escape_what_the_retailer_wrote():
    written = _render("{% load desk %}{% macro_options macros %}", macros=MACROS)
    assert "<script>" not in written and "<on" not in written
    assert 'data-subject="Your order &quot;A&amp;B&quot;"' in written
    assert "&lt;script&gt;x()&lt;/script&gt;,\nit&#x27;s done." in written


# --- the refund preview ----------------------------------------------------------------

PREVIEW_LOOPS = (Path(__file__).parent / "refund_preview_loops.html").read_text()
PREVIEW_TAGS = (
    "{% load desk %}{% preview_line_rows quote.lines currency %}|"
    "{% preview_allocation_rows quote.allocations currency %}\n"
)


def _quote(allocations=True):
    line = SimpleNamespace(sku="<i>TEE</i>")
    payment = SimpleNamespace(method="gift_card", external_id='pay-"1"&2')
    return SimpleNamespace(
        lines=[
            SimpleNamespace(line=line, quantity=2, amount=Decimal("1020.00")),
            SimpleNamespace(line=SimpleNamespace(sku="CAP"), quantity=1, amount=Decimal("5")),
        ],
        allocations=[SimpleNamespace(payment=payment, amount=Decimal("1025.00"))]
        if allocations
        else [],
    )


@pytest.mark.parametrize("allocations", [True, False])
def test_preview_rows_write_the_markup_of_the_template_loops(allocations):
    context = {"quote": _quote(allocations), "currency": "USD"}
    written = _render(PREVIEW_TAGS, **context)
    assert written == _render(PREVIEW_LOOPS, **context)
    assert ("Nothing to refund." in written) is not allocations


def test_preview_rows_escape_gateway_and_catalogue_text():
    written = _render(PREVIEW_TAGS, quote=_quote(), currency="USD")
    assert "<i>" not in written
    assert "&lt;i&gt;TEE&lt;/i&gt;" in written
    assert 'Gift card <span class="faint mono">pay-&quot;1&quot;&amp;2</span>' in written
    assert "1,020.00" in written


# --- the payments ----------------------------------------------------------------------

PAYMENTS_LOOP = (
    "{% load desk %}{% with currency=order.currency %}"
    + (Path(__file__).parent / "case_payments_loop.html").read_text()
    + "{% endwith %}"
)


@pytest.mark.django_db
@pytest.mark.parametrize("decided", [False, True])
def test_payment_rows_write_the_markup_of_the_template_loop(open_case, agent_client, decided):
    case = open_case()
    Payment.objects.update(reference='<a href="x">ref</a>', external_id="pay-<1>")
    if decided:
        agent_client.post(f"/queue/cases/{case.pk}/approve/", {"qty_l1": "3"})

    response = agent_client.get(f"/queue/cases/{case.pk}/")

    page = response.content.decode()
    old = engines["django"].from_string(PAYMENTS_LOOP).render(response.context[-1].flatten())
    assert old.count("<tr>") == 1
    assert ("badge" in old) is decided
    assert old in page
    assert '<a href="x">' not in page and "pay-<1>" not in page
    assert "&lt;a href=&quot;x&quot;&gt;ref&lt;/a&gt;" in page

"""The case page's per-row loops are written by tags (`timeline_rows`): an agent must
get exactly the markup the template loops gave, with every value from customers,
gateways and rules escaped."""

from datetime import UTC, datetime
from pathlib import Path

from django.template import engines

from orders.models import OrderEvent

# The timeline loop as case.html wrote it before `timeline_rows`.
TIMELINE_LOOP = (
    "{% load backoffice %}\n" + (Path(__file__).parent / "case_timeline_loop.html").read_text()
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
        "{% load backoffice %}\n        {% timeline_rows timeline case.pk %}\n",
        timeline=events,
        case={"pk": CASE_PK},
    )
    assert written == expected
    assert 'class="mine state"' in written
    assert "request #99" in written


def test_timeline_rows_escape_gateway_and_customer_text():
    written = _render("{% load backoffice %}{% timeline_rows timeline 7 %}", timeline=_events())
    assert "<script>" not in written
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in written
    assert "Gateway &lt;acme&gt; &amp; &#x27;co&#x27;" in written
    assert "Hi &lt;b&gt;there&lt;/b&gt;\nline two &amp; more" in written
    assert "not shown" not in written

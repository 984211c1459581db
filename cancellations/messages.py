"""What a customer message about a cancellation request may print (template variables),
registered with notifications (see CancellationsConfig.ready)."""

from django.utils import formats, timezone

from cancellations.links import confirmation_expires_at, confirmation_url
from notifications.context import DEADLINE_FORMAT, money_text, payment_label
from returns.messages import SAMPLE as RETURN_SAMPLE
from returns.messages import return_variables
from returns.models import Return

# Rules whose meaning a customer can be told in plain words (SPEC §4 verification).
REJECTION_WORDS = {
    "final_sale": (
        "One or more of the items you asked to cancel were sold as final sale, and "
        "final-sale items cannot be cancelled."
    ),
    "outside_return_window": (
        "Your order was delivered (or shipped) longer ago than the return window allows, "
        "so it can no longer be cancelled or returned."
    ),
}


def _refunds_of(cancellation):
    return list(cancellation.refunds.select_related("payment").order_by("payment__position", "id"))


def cancellation_variables(cancellation, language: str) -> dict:
    """The request as a template reads it: plain strings, money in the customer's words."""
    currency = cancellation.order.currency
    items = [
        {
            "sku": line.line.sku,
            "title": line.line.title or line.line.sku,
            "quantity": line.quantity,
            "refund_amount": money_text(line.refund_amount, currency, language),
        }
        for line in cancellation.lines.select_related("line")
    ]
    refunds = [
        {
            "method": payment_label(refund.payment),
            "amount": money_text(refund.amount, currency, language),
            "status": refund.status,
        }
        for refund in _refunds_of(cancellation)
    ]
    policy = cancellation.policy
    rule = cancellation.decision_rule
    return {
        "id": cancellation.pk,
        "status": cancellation.status,
        "status_label": cancellation.get_status_display(),
        "reason": cancellation.get_reason_display(),
        "reason_code": cancellation.reason,
        "channel": cancellation.channel,
        "items": items,
        "refund_total": money_text(cancellation.refund_total, currency, language),
        "refund_total_is_zero": not cancellation.refund_total,
        "shipping_refund": money_text(cancellation.shipping_refund, currency, language),
        "has_shipping_refund": bool(cancellation.shipping_refund),
        "refunds": refunds,
        "rule": rule,
        "explanation": cancellation.decision_explanation,
        "rejection_reason": REJECTION_WORDS.get(rule)
        or cancellation.decision_explanation
        or "Your request does not meet the store's cancellation policy.",
        "refund_timeline_text": policy.refund_timeline_text if policy else "5-10 business days",
    }


def cancellation_message_context(cancellation, *, event_type: str, language: str) -> dict:
    context = {"cancellation": cancellation_variables(cancellation, language)}
    if event_type == "cancellation.awaiting_customer":
        context["confirm_url"] = confirmation_url(cancellation)
        expires = confirmation_expires_at(cancellation)
        context["confirm_deadline"] = formats.date_format(
            timezone.localtime(expires), DEADLINE_FORMAT
        )
    if event_type == "cancellation.return_required":
        # The return the request handed over to: its label and where to follow it.
        handed_over = (
            Return.objects.select_related("order", "policy", "exchange_order")
            .defer("label_pdf")
            .filter(cancellation_id=cancellation.pk)
            .first()
        )
        if handed_over is not None:
            context["return"] = return_variables(handed_over, language)
    return context


SAMPLE = {
    "cancellation": {
        "id": 1042,
        "status": "approved",
        "status_label": "Approved",
        "reason": "Changed mind",
        "reason_code": "changed_mind",
        "channel": "storefront",
        "items": [
            {
                "sku": "TEE-BLK-M",
                "title": "Organic cotton tee, black, M",
                "quantity": 2,
                "refund_amount": "$48.00",
            },
            {
                "sku": "SOCK-3PK",
                "title": "Merino socks, 3 pack",
                "quantity": 1,
                "refund_amount": "$18.50",
            },
        ],
        "refund_total": "$71.50",
        "refund_total_is_zero": False,
        "shipping_refund": "$5.00",
        "has_shipping_refund": True,
        "refunds": [
            {"method": "Gift card", "amount": "$20.00", "status": "pending"},
            {"method": "Card", "amount": "$51.50", "status": "pending"},
        ],
        "rule": "final_sale",
        "explanation": "A requested line is final sale.",
        "rejection_reason": (
            "One or more of the items you asked to cancel were sold as final sale, and "
            "final-sale items cannot be cancelled."
        ),
        "refund_timeline_text": "5-10 business days",
    },
    **RETURN_SAMPLE,
    "confirm_url": "https://rescind.example/c/sample-token/",
    "confirm_deadline": "5 March 2026, 14:00 UTC",
}

"""What a customer message about a return may print (template variables), registered
with notifications (see ReturnsConfig.ready)."""

from django.utils import formats, timezone

from notifications.context import DEADLINE_FORMAT, money_text, payment_label
from returns.links import return_label_url, return_start_url, return_url
from returns.models import Resolution

FEE_WHY = (
    "The store charges a restocking fee and the return label when an item comes back "
    "because the customer changed their mind."
)


def return_variables(return_request, language: str) -> dict:
    order = return_request.order
    currency = order.currency
    inspected = return_request.inspected_at is not None
    items = []
    for row in return_request.lines.select_related("line"):
        items.append(
            {
                "sku": row.line.sku,
                "title": row.line.title or row.line.sku,
                "quantity": row.quantity,
                "received": row.received_quantity,
                "resellable": row.resellable,
                "damaged": row.damaged,
                "wrong_item": row.wrong_item,
                "missing": (row.quantity - row.graded) if inspected else 0,
                "exchanged": row.exchanged_quantity,
                "refund_amount": money_text(row.refund_amount, currency, language),
            }
        )
    refunds = [
        {
            "method": payment_label(refund.payment),
            "amount": money_text(refund.amount, currency, language),
            "status": refund.status,
        }
        for refund in return_request.refunds.select_related("payment").order_by("id")
    ]
    credit = return_request.store_credits.order_by("-id").first()
    ship_by = return_request.ship_by
    has_fees = bool(return_request.restocking_fee or return_request.label_fee)
    return {
        "id": return_request.pk,
        "status": return_request.status,
        "status_label": return_request.get_status_display(),
        "reason": return_request.get_reason_display(),
        "resolution": return_request.resolution,
        "resolution_label": return_request.get_resolution_display(),
        "is_refund": return_request.resolution == Resolution.REFUND,
        "is_store_credit": return_request.resolution == Resolution.STORE_CREDIT,
        "is_exchange": return_request.resolution == Resolution.EXCHANGE,
        "items": items,
        "refund_total": money_text(return_request.refund_total, currency, language),
        "refund_total_is_zero": not return_request.refund_total,
        "restocking_fee": money_text(return_request.restocking_fee, currency, language),
        "label_fee": money_text(return_request.label_fee, currency, language),
        "has_restocking_fee": bool(return_request.restocking_fee),
        "has_label_fee": bool(return_request.label_fee),
        "has_fees": has_fees,
        "fees_why": FEE_WHY if has_fees else "",
        "refunds": refunds,
        "store_credit_code": credit.code if credit else "",
        "store_credit_amount": money_text(credit.amount, currency, language) if credit else "",
        "exchange_order": (
            return_request.exchange_order.external_id if return_request.exchange_order_id else ""
        ),
        "needs_attention": return_request.needs_attention,
        "decline_reason": return_request.decline_reason,
        "tracking_number": return_request.tracking_number,
        "ship_by": formats.date_format(timezone.localtime(ship_by), DEADLINE_FORMAT)
        if ship_by
        else "",
        "return_url": return_url(return_request),
        "label_url": return_label_url(return_request) if return_request.tracking_number else "",
        "start_url": return_start_url(order, return_request.policy),
        "refund_timeline_text": return_request.policy.refund_timeline_text,
    }


def return_message_context(return_request, *, event_type: str, language: str) -> dict:
    return {"return": return_variables(return_request, language)}


SAMPLE = {
    "return": {
        "id": 88,
        "status": "authorised",
        "status_label": "Authorised",
        "reason": "Changed mind",
        "resolution": "refund",
        "resolution_label": "Refund",
        "is_refund": True,
        "is_store_credit": False,
        "is_exchange": False,
        "items": [
            {
                "sku": "TEE-BLK-M",
                "title": "Organic cotton tee, black, M",
                "quantity": 2,
                "received": 2,
                "resellable": 1,
                "damaged": 1,
                "wrong_item": 0,
                "missing": 0,
                "exchanged": 0,
                "refund_amount": "$48.00",
            }
        ],
        "refund_total": "$41.60",
        "refund_total_is_zero": False,
        "restocking_fee": "$2.40",
        "label_fee": "$4.00",
        "has_restocking_fee": True,
        "has_label_fee": True,
        "has_fees": True,
        "fees_why": FEE_WHY,
        "refunds": [{"method": "Card", "amount": "$41.60", "status": "pending"}],
        "store_credit_code": "",
        "store_credit_amount": "",
        "exchange_order": "",
        "needs_attention": False,
        "decline_reason": "",
        "tracking_number": "SBX0000008812AB34CD",
        "ship_by": "15 December 2026, 10:00 UTC",
        "return_url": "https://rescind.example/r/return/sample-token/",
        "label_url": "https://rescind.example/r/return/sample-token/label.pdf",
        "start_url": "https://rescind.example/r/sample-token/",
        "refund_timeline_text": "5-10 business days",
    }
}

"""Previewing a template in admin: rendered against the retailer's latest real request
when there is one, else against a made-up sample, never sent anywhere."""

from django.apps import apps

from notifications.context import branding_context, message_context
from notifications.rendering import Source, render_source

SAMPLE_CANCELLATION = {
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
}


def _sample_context(event_type: str, retailer) -> dict:
    return {
        "event_type": event_type,
        "brand": branding_context(retailer) if retailer else {"name": "Your store"},
        "customer": {"name": "Pat Shopper", "first_name": "Pat"},
        "order": {"external_id": "ORD-10042", "placed_at": "3 March 2026", "currency": "USD"},
        "cancellation": SAMPLE_CANCELLATION,
        "refund": {
            "id": 7,
            "amount": "$51.50",
            "method": "Card",
            "status": "failed" if event_type == "refund.failed" else "succeeded",
            "failure_code": "declined",
            "failure_reason": "Your bank or card issuer declined the refund.",
        },
        "message": {
            "subject": "About your order ORD-10042",
            "body": "Hi Pat, we are looking into your request and will reply by tomorrow.",
        },
        "confirm_url": "https://rescind.example/c/sample-token/",
        "confirm_deadline": "5 March 2026, 14:00 UTC",
        "endpoint": {
            "url": "https://hooks.example.com/rescind",
            "disabled_reason": "every delivery failed for 24 hours (8 attempts in a row).",
            "last_error": "HTTP 500",
        },
    }


def _real_context(event_type: str, retailer) -> dict | None:
    if retailer is None or not event_type.startswith("cancellation."):
        return None
    model = apps.get_model("cancellations", "CancellationRequest")
    cancellation = (
        model.objects.filter(retailer=retailer)
        .select_related("order__customer", "policy")
        .order_by("-created_at")
        .first()
    )
    if cancellation is None:
        return None
    order = cancellation.order
    return message_context(
        event_type=event_type,
        retailer=retailer,
        order=order,
        customer=order.customer,
        subject=cancellation,
        language=order.customer.language,
    )


def template_preview(template) -> dict:
    """{subject, text, html, sample}: the template rendered, or the error it raises."""
    context = _real_context(template.event_type, template.retailer)
    sample = "the retailer's latest request" if context else "a made-up sample request"
    context = context or _sample_context(template.event_type, template.retailer)
    source = Source(template.subject, template.text, template.html, "preview")
    subject, text, html = render_source(source, context)
    return {"subject": subject, "text": text, "html": html, "sample": sample}

"""What a customer message about a refund may print (template variables), registered
with notifications (see RefundsConfig.ready)."""

from notifications.context import money_text, payment_label
from notifications.subjects import subject_context
from refunds.sources import refund_source

REFUND_FAILURE_WORDS = {
    "declined": "Your bank or card issuer declined the refund.",
    "gateway_unavailable": "The payment provider could not be reached after several tries.",
}
GENERIC_REFUND_FAILURE = "The payment provider could not complete it."


def refund_message_context(refund, *, event_type: str, language: str) -> dict:
    code = refund.failure_code or ""
    context = {
        "refund": {
            "id": refund.pk,
            "amount": money_text(refund.amount, refund.currency, language),
            "method": payment_label(refund.payment),
            "status": refund.status,
            "failure_code": code,
            "failure_reason": REFUND_FAILURE_WORDS.get(code, GENERIC_REFUND_FAILURE),
        }
    }
    # What the refund is for (a cancellation, a return...) speaks for itself.
    source = refund_source(refund)
    if source is not None:
        context.update(subject_context(source, event_type=event_type, language=language))
    return context


SAMPLE = {
    "refund": {
        "id": 7,
        "amount": "$51.50",
        "method": "Card",
        "status": "succeeded",
        "failure_code": "declined",
        "failure_reason": "Your bank or card issuer declined the refund.",
    }
}

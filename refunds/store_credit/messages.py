"""What a customer message about a store credit may print (template variables)."""

from notifications.context import money_text
from notifications.subjects import subject_context
from refunds.sources import store_credit_source


def store_credit_message_context(credit, *, event_type: str, language: str) -> dict:
    context = {
        "store_credit": {
            "id": credit.pk,
            "code": credit.code,
            "amount": money_text(credit.amount, credit.currency, language),
            "bonus_amount": money_text(credit.bonus_amount, credit.currency, language),
            "has_bonus": bool(credit.bonus_amount),
            "status": credit.status,
        }
    }
    source = store_credit_source(credit)
    if source is not None:
        context.update(subject_context(source, event_type=event_type, language=language))
    return context


SAMPLE = {
    "store_credit": {
        "id": 3,
        "code": "SC-4F2A9C1B7E00",
        "amount": "$52.50",
        "bonus_amount": "$2.50",
        "has_bonus": True,
        "status": "issued",
    }
}

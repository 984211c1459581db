"""A refund as storefronts (the API) and retailers' systems (webhooks) see it: one shape.

Add fields freely; never rename or remove one (docs/webhooks.md).
"""

from rest_framework import serializers

from kernel.serializers import MoneyField, Representation, iso_datetime, money
from refunds.models import Refund


def refund_data(refund: Refund) -> dict:
    return {
        "id": refund.pk,
        "cancellation": refund.cancellation_id,
        "return": refund.return_request_id,
        "order": refund.payment.order.external_id,
        "payment": refund.payment.external_id,
        "amount": money(refund.amount, refund.currency),
        "currency": refund.currency,
        "status": refund.status,
        "attempts": refund.attempts,
        "gateway_reference": refund.gateway_reference,
        "failure_code": refund.failure_code,
        "created_at": iso_datetime(refund.created_at),
        "updated_at": iso_datetime(refund.updated_at),
    }


class RefundOutput(Representation):
    """A refund (SPEC §5)."""

    represent = staticmethod(refund_data)

    id = serializers.IntegerField()
    cancellation = serializers.IntegerField(allow_null=True, help_text="The request it is for.")
    # `return` is a Python keyword: declared below.
    order = serializers.CharField(help_text="The order's external id.")
    payment = serializers.CharField(help_text="The payment's external id.")
    amount = MoneyField()
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=Refund.Status.choices)
    attempts = serializers.IntegerField(help_text="Gateway calls made.")
    gateway_reference = serializers.CharField()
    failure_code = serializers.CharField(
        help_text="Why it failed for good (`declined`, `gateway_unavailable`), or why it "
        "was never sent (`chargeback_lost`); empty otherwise."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


RefundOutput._declared_fields["return"] = serializers.IntegerField(
    allow_null=True, help_text="The return it is for."
)
